// Where agents put their key, and where each provider wants the real one.
import type { IncomingHttpHeaders } from 'node:http';
import type { Provider } from '../providers.js';

/** Headers that can carry a credential; none of them is forwarded or recorded as sent. */
export const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'proxy-authorization'] as const;

/** The key the agent presented: `Authorization: Bearer`, `x-api-key` or `api-key`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    return auth.slice(7).trim();
  }
  const xApiKey = headers['x-api-key'];
  if (typeof xApiKey === 'string' && xApiKey) return xApiKey.trim();
  const apiKey = headers['api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey.trim();
  return undefined;
}

/** Sets the real key where the provider expects it, after every credential header was removed. */
export function setRealKey(provider: Provider, headers: Record<string, string | string[]>, key: string, presentedAs: string): void {
  if (provider === 'anthropic') {
    headers['x-api-key'] = key;
  } else if (presentedAs === 'api-key') {
    headers['api-key'] = key; // Azure OpenAI style
  } else {
    headers.authorization = `Bearer ${key}`;
  }
}

export function presentedHeaderName(headers: IncomingHttpHeaders): string {
  if (typeof headers.authorization === 'string') return 'authorization';
  if (typeof headers['x-api-key'] === 'string') return 'x-api-key';
  return 'api-key';
}
