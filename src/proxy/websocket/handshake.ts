// The HTTP side of a WebSocket upgrade (RFC 6455 §4): where the agent's key can be, which headers cross to
// the upstream and back, refusals written on the raw socket, and close codes and reasons that may be sent.
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { agentHeaders, forwardHeaders, recordableHeaders } from '../headers.js';

/**
 * The subprotocol browsers use to carry an OpenAI key (`openai-insecure-api-key.<key>`, OpenAI's Realtime
 * WebSocket docs): accepted as the session key, never forwarded, recorded or selected.
 */
export const KEY_PROTOCOL_PREFIX = 'openai-insecure-api-key.';

export interface OfferedProtocols {
  /** The key from the key-bearing subprotocol, if one was offered. */
  key: string | undefined;
  /** The other subprotocols, in the order offered. */
  others: string[];
}

/** Splits `Sec-WebSocket-Protocol` into the key it may carry and the other subprotocols. */
export function offeredProtocols(header: string | string[] | undefined): OfferedProtocols {
  const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim()).filter((p) => p !== '');
  let key: string | undefined;
  const others: string[] = [];
  for (const p of list) {
    if (p.startsWith(KEY_PROTOCOL_PREFIX)) key ??= p.slice(KEY_PROTOCOL_PREFIX.length);
    else others.push(p);
  }
  return { key, others };
}

// The handshake's own headers: ws writes fresh ones for each side.
const HANDSHAKE = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'sec-websocket-accept']);

/** Headers for the upstream's handshake: what the HTTP transport forwards, minus the handshake's own; the caller adds the real key. */
export function upstreamHandshakeHeaders(incoming: IncomingHttpHeaders): Record<string, string | string[]> {
  const out = forwardHeaders(incoming);
  for (const name of HANDSHAKE) delete out[name];
  delete out['accept-encoding']; // a handshake has no body; ws negotiates compression itself
  return out;
}

/** The agent's handshake headers for the session file: no credentials, no handshake internals (the key-bearing subprotocol least of all). */
export function recordedHandshakeHeaders(incoming: IncomingHttpHeaders, protocols: string[], mask: (text: string) => string): Record<string, string> {
  const out = recordableHeaders(incoming);
  for (const name of HANDSHAKE) delete out[name];
  if (protocols.length > 0) out['sec-websocket-protocol'] = protocols.join(', ');
  for (const name of Object.keys(out)) out[name] = mask(out[name]);
  return out;
}

/** The upstream's answer headers for the agent's 101 (`Name: value` lines), masked; ws adds the handshake's own. */
export function agentHandshakeLines(upstream: IncomingHttpHeaders, mask: (text: string) => string): string[] {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(agentHeaders(upstream))) {
    if (HANDSHAKE.has(name) || name === 'content-length' || name === 'date') continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      const masked = mask(v);
      if (!/[\r\n]/.test(masked)) lines.push(`${name}: ${masked}`);
    }
  }
  return lines;
}

/** The upstream's answer headers for the session file. */
export function recordedAnswerHeaders(upstream: IncomingHttpHeaders, mask: (text: string) => string): Record<string, string> {
  const out = recordableHeaders(upstream);
  for (const name of HANDSHAKE) delete out[name];
  for (const name of Object.keys(out)) out[name] = mask(out[name]);
  return out;
}

/** A well-formed client handshake (RFC 6455 §4.2.1): checked before guardrun connects upstream for it. */
export function isValidHandshake(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  const key = headers['sec-websocket-key'];
  const version = headers['sec-websocket-version'];
  return method === 'GET' && String(headers.upgrade ?? '').toLowerCase() === 'websocket' && typeof key === 'string' && /^[+/0-9A-Za-z]{22}==$/.test(key.trim()) && (version === '13' || version === '8');
}

/** Answers the upgrade with a plain HTTP response (JSON body) and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, body: string, extra: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-should-retry': 'false', 'x-guardrun': 'denied', connection: 'close', ...extra };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${head}\r\n${body}`);
}

/**
 * A close code that may be sent in a close frame (RFC 6455 §7.4): 1000–1003, 1007–1014 and 3000–4999.
 * 1005 (a close frame without a code) becomes 1000; 1006 (dropped) and the reserved ones become `fallback`.
 */
export function sendableCloseCode(code: number, fallback = 1011): number {
  if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)) return code;
  return code === 1005 ? 1000 : fallback;
}

/** A close reason for the wire: masked, and cut to the 123 bytes a close frame holds (on a character boundary). */
export function sendableCloseReason(reason: string, mask: (text: string) => string): string {
  let out = mask(reason);
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}
