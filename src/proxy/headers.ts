// Which headers cross the proxy. Hop-by-hop headers are the connection's own; credentials never cross.
import type { IncomingHttpHeaders } from 'node:http';
import { CREDENTIAL_HEADERS } from './credentials.js';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'host', 'content-length', 'expect', 'http2-settings',
]);
const DROP_TO_UPSTREAM = new Set<string>([...HOP_BY_HOP, ...CREDENTIAL_HEADERS, 'accept-encoding', 'cookie']);

/** Request headers for the upstream; the caller adds the real key. Asks for identity encoding so the body can be read. */
export function forwardHeaders(incoming: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || DROP_TO_UPSTREAM.has(name)) continue;
    out[name] = value;
  }
  out['accept-encoding'] = 'identity';
  return out;
}

/** Response headers for the agent: everything but hop-by-hop (content-length is set by the relay). */
export function agentHeaders(upstream: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Headers worth keeping in the session file: no credentials, no cookies. */
export function recordableHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'cookie' || name === 'set-cookie') continue;
    if ((CREDENTIAL_HEADERS as readonly string[]).includes(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The same headers with every value passed through the masker (an upstream may echo a key in a header), and
 * without any header whose *name* the masker changes: a name cannot be masked in place, and one carrying a key
 * (or a secret) is not a header any client needs.
 */
export function maskHeaders<T extends string | string[]>(headers: Record<string, T>, mask: (text: string) => string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (mask(name) !== name) continue;
    out[name] = (Array.isArray(value) ? value.map(mask) : mask(value as string)) as T;
  }
  return out;
}
