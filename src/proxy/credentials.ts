// Where agents put their key, and where each provider wants the real one.
import type { IncomingHttpHeaders } from 'node:http';

/** Headers that can carry a credential; none of them is forwarded or recorded as sent. */
export const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'proxy-authorization', 'x-goog-api-key'] as const;

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

/** Puts the real key in the header the agent used for the dummy (after every credential header was removed). */
export function setRealKey(headers: Record<string, string | string[]>, key: string, presentedAs: string): void {
  if (presentedAs === 'authorization') headers.authorization = `Bearer ${key}`;
  else headers[presentedAs] = key; // x-api-key (Anthropic), api-key (Azure OpenAI)
}

export function presentedHeaderName(headers: IncomingHttpHeaders): string {
  if (typeof headers.authorization === 'string') return 'authorization';
  if (typeof headers['x-api-key'] === 'string') return 'x-api-key';
  return 'api-key';
}
