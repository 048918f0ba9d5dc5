// Session-file lines about connections rather than single exchanges: WebSocket connections (`ws.upgrade`,
// `ws.message`, `ws.close`), the egress proxy's tunnels and proxy requests (`egress`), and refused attempts to
// reach a model host around the guard (`bypass`). Part of the format in format.ts (which re-exports these).
import type { Provider } from '../providers.js';
import type { Decider } from './format.js';

/** A WebSocket upgrade that passed the session key and the policy: accepted (status 101) or refused by the upstream. */
export interface WsUpgradeEvent {
  type: 'ws.upgrade';
  /** 1, 2, … in the session; the connection's other lines and exchanges carry it. */
  connection: number;
  time: string;
  /** The upgrade's path as the agent sent it, with query. */
  path: string;
  provider: Provider;
  /** `WS /path`, as policies see it. */
  endpoint: string;
  /** The model named by the upgrade (Realtime's `?model=`). */
  model?: string;
  /** 101 when the connection opened; else what guardrun answered the agent. */
  status: number;
  /** The agent's handshake headers, without credentials or the key-bearing subprotocol. */
  headers: Record<string, string>;
  /** The upstream's handshake answer headers worth keeping. */
  upstreamHeaders?: Record<string, string>;
  /** The subprotocol agreed with the agent. */
  protocol?: string;
  /** Why the upgrade failed (the upstream refused it or could not be reached). */
  error?: { code: string; message: string; upstreamStatus?: number };
  /** The model host the agent addressed when guardrun intercepted the upgrade (`api.openai.com`); absent on the base URL. */
  host?: string;
}

/** A WebSocket message that is not part of an exchange: a client control event, a refused frame, a server event of the connection. */
export interface WsMessageEvent {
  type: 'ws.message';
  connection: number;
  time: string;
  direction: 'client' | 'server';
  /** The message text, masked; absent when omitted. */
  data?: string;
  /** Why the message is not recorded (`binary frame`, `audio`), with its size. */
  omitted?: string;
  bytes?: number;
  /** guardrun did not pass it on: the code and reason the agent was given. */
  refused?: { code: string; message: string };
  /** A server event guardrun dropped: about a refused tool call, or of a Realtime response nobody asked for through it. */
  withheld?: boolean;
}

/** A WebSocket connection ended. */
export interface WsCloseEvent {
  type: 'ws.close';
  connection: number;
  time: string;
  /** Which side closed first: the agent, the upstream, or guardrun (a refused frame, the session ending). */
  by: 'client' | 'upstream' | 'guardrun';
  code: number;
  reason?: string;
  durationMs: number;
}

/**
 * One connection (CONNECT tunnel) or plain-HTTP request the agent sent through guardrun's egress proxy to a host
 * other than a model API, written when it ends (or at once when refused). Model hosts are not egress: their
 * calls are intercepted and recorded as requests, or refused as `bypass`.
 */
export interface EgressEvent {
  type: 'egress';
  /** 1, 2, … in the session (its own count, not an exchange id). */
  id: number;
  /** When the agent asked for it. */
  time: string;
  /** `CONNECT` for a tunnel; the HTTP method of a plain-HTTP request. */
  method: string;
  host: string;
  port: number;
  /** Plain HTTP only: the path and query, masked. */
  path?: string;
  verdict: 'allow' | 'deny';
  decidedBy: Decider;
  /** What decided: `network.allow`, `network.deny`, `network.unknown`, or `network.loopback` (a loopback or link-local address `network.allow` does not name). */
  rule: string;
  /** The matching pattern (`*.example.com`), when a list decided. */
  pattern?: string;
  reason?: string;
  /** The address dialled (after DNS), when guardrun connected directly. */
  address?: string;
  /** The parent proxy the connection went through (`proxy.corp:3128`), when the user's HTTPS_PROXY / HTTP_PROXY chained it. */
  via?: string;
  /** What the agent was answered: 200 for an opened tunnel, the upstream's status for plain HTTP, guardrun's refusal otherwise. */
  status: number;
  /** Bytes from the agent to the host, and back (after the CONNECT: the tunnel's payload). */
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  /** Why it failed or ended early (`ECONNREFUSED`, `ENOTFOUND`, `session ended`). */
  error?: string;
}

/** A connection to a model host that guardrun refused instead of intercepting (never tunnelled): the agent tried to reach the provider around the guard. */
export interface BypassEvent {
  type: 'bypass';
  time: string;
  host: string;
  port: number;
  /** The provider that host belongs to, when guardrun serves it. */
  provider?: Provider;
  /**
   * `no-intercept` (--no-intercept), `intercept-unavailable` (the session CA could not be made), `untrusted-ca`
   * (the client refused guardrun's certificate), `tls-failed` (the handshake failed otherwise: a reset, no common
   * protocol, not TLS after all), `not-served` (a model host guardrun recognises but has no
   * upstream for), `foreign-key` (an intercepted request carried credentials of its own instead of the session
   * key: a stored login; answered 401).
   */
  reason: 'no-intercept' | 'intercept-unavailable' | 'untrusted-ca' | 'tls-failed' | 'not-served' | 'foreign-key';
  /** The sentence the agent (or the exit line) was given. */
  message: string;
  /** What guardrun answered: 403 to the CONNECT, 401 to a request with foreign credentials, or 200 when the refusal came after the CONNECT (a TLS handshake the client broke off). */
  status: number;
  /** For `foreign-key`: the request (`POST /v1/messages`), without its query, masked. */
  path?: string;
}
