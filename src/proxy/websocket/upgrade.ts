// WebSocket upgrades on the proxy (`server.on('upgrade')`): `/v1/responses` (Responses WebSocket mode, used by
// Codex) and `/v1/realtime`. The session key is checked (`Authorization`, or the `openai-insecure-api-key.`
// subprotocol), the policy's `endpoints` must allow `WS /path`, the upstream is connected with the real key,
// and only then is the agent's side accepted, so any refusal is an HTTP status the agent reads at once:
// - the policy refuses `WS /v1/responses`: 426, on which Codex falls back to HTTP at once (403/404/429/5xx
//   make it retry for ~10 s first); `WS /v1/realtime`: 403. Recorded once per endpoint, as a denied exchange;
// - the upstream refuses: its 401/403 (a bad real key) as guardrun's own 400 for Responses (Codex ends the turn
//   and shows it; a 401 it retries for ~13 s) or 401 for Realtime; anything else 426 (Responses) or 502 (Realtime).
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { secretMatcher } from '../../secrets/dummy-key.js';
import { presentedKey } from '../credentials.js';
import { errorBody, type ProxyError } from '../error-response.js';
import { recordGuardrunAnswer, recordRequest } from '../record-exchange.js';
import { hasPathTrick, routeOf } from '../route.js';
import type { Exchange, TransportOptions } from '../types.js';
import { WsConnection } from './connection.js';
import type { WsProtocol } from './error-event.js';
import { agentHandshakeLines, isValidHandshake, offeredProtocols, recordedAnswerHeaders, recordedHandshakeHeaders, refuseUpgrade, upstreamHandshakeHeaders } from './handshake.js';
import { UpgradeRefused, type UpstreamSocket } from './upstream-socket.js';
import { recordUpgrade } from './ws-record.js';

export interface UpgradeOptions extends TransportOptions {
  nextId(): number;
  /** Numbers WebSocket connections (1, 2, …); shared with the interceptor's upgrades so numbers stay unique in the session. */
  nextConnection?: () => number;
}

export interface UpgradeHandler {
  (req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every connection (the session is ending) and waits until their exchanges are recorded. */
  closeAll(): Promise<void>;
}

const require = createRequire(import.meta.url);

export function createUpgradeHandler(o: UpgradeOptions): UpgradeHandler {
  const isDummyKey = secretMatcher(o.dummyKey);
  const connections = new Set<WsConnection>();
  const refusedOnce = new Set<string>();
  const handshakeLines = new WeakMap<IncomingMessage, string[]>();
  let wss: WebSocketServer | undefined;
  let count = 0;
  const nextConnection = o.nextConnection ?? ((): number => ++count);

  const selected = new WeakMap<IncomingMessage, string>();
  /** The agent-side server, made at the first upgrade (`ws` is loaded then, not at start-up). */
  const agentSide = (): WebSocketServer => {
    if (!wss) {
      const { WebSocketServer: Server } = require('ws') as typeof import('ws');
      wss = new Server({
        noServer: true,
        clientTracking: false,
        perMessageDeflate: true,
        maxPayload: o.maxBodyBytes,
        // The subprotocol the upstream selected, when the agent offered it (the key-bearing one is never offered upstream).
        handleProtocols: (_offered, req) => selected.get(req) ?? false,
      });
      wss.on('headers', (headers, req) => headers.push(...(handshakeLines.get(req) ?? [])));
    }
    return wss;
  };

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = req.url ?? '/';
    const wanted = String(req.headers.upgrade ?? '');
    if (wanted.toLowerCase() !== 'websocket') {
      // Node hands every Upgrade request here once a listener exists (curl --http2 asks for h2c); it cannot go back to HTTP.
      return refuseUpgrade(socket, 400, errorBody('openai', { status: 400, code: 'guardrun_upgrade_unsupported', message: `guardrun does not switch connections to "${wanted.slice(0, 40)}"; send the request without an Upgrade header (HTTP/1.1)` }));
    }
    const route = hasPathTrick(url) ? undefined : o.route ? o.route(url, req) : routeOf(url);
    const protocol = route?.provider === 'openai' ? protocolOf(route.apiPath) : undefined;
    if (!route || !protocol) {
      return refuseUpgrade(socket, 404, errorBody('openai', { status: 404, code: 'guardrun_unknown_path', message: `guardrun serves WebSockets on /v1/responses and /v1/realtime only; ${url.split('?')[0]} is not one of them` }));
    }
    if (!isValidHandshake(req.method, req.headers)) {
      return refuseUpgrade(socket, 400, errorBody('openai', { status: 400, code: 'guardrun_bad_handshake', message: 'not a valid WebSocket handshake (RFC 6455 §4.1)' }));
    }
    const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
    const presented = presentedKey(req.headers) ?? offered.key;
    if (presented === undefined || !isDummyKey(presented) || (offered.key !== undefined && !isDummyKey(offered.key))) {
      return refuseUpgrade(socket, 401, errorBody('openai', { status: 401, code: 'guardrun_invalid_key', message: 'guardrun: this WebSocket does not carry the session key; use the OPENAI_API_KEY that guardrun gave the process' }));
    }
    const realKey = o.keys.openai;
    const upstream = o.upstreams.openai;
    if (realKey === undefined || upstream === undefined) {
      return refuseUpgrade(socket, 401, errorBody('openai', { status: 401, code: 'guardrun_no_key', message: 'guardrun holds no openai key for this session; run `guardrun key set openai`, or pass --key-env OPENAI_API_KEY' }));
    }
    const endpoint = `WS ${route.apiPath}`;
    const model = protocol === 'realtime' ? (new URLSearchParams(url.split('?')[1] ?? '').get('model') ?? undefined) : undefined;
    if (!o.guard.endpointAllowed(endpoint)) return refusePolicy(req, socket, protocol, route.apiPath, endpoint, model);

    const id = nextConnection();
    const conn = new WsConnection({ id, protocol, path: url, apiPath: route.apiPath, endpoint, model, guard: o.guard, recorder: o.recorder, source: upstream.sockets.source ?? 'upstream', nextId: o.nextId });
    const headers = upstreamHandshakeHeaders(req.headers);
    headers.authorization = `Bearer ${realKey}`;
    const base = { connection: id, path: o.guard.maskText(url), provider: 'openai' as const, endpoint, model, headers: recordedHandshakeHeaders(req.headers, offered.others, o.guard.maskText), host: route.host };
    let up: UpstreamSocket;
    try {
      up = await upstream.sockets.connect({ path: upstream.prefix + route.upstreamPath, headers, protocols: offered.others, maxPayload: o.maxBodyBytes }, conn.upstreamEvents);
    } catch (error) {
      const answer = upstreamRefusal(protocol, error, upstream.url, o.guard.maskText);
      recordUpgrade(o.recorder, { ...base, status: answer.status, error: { code: answer.code, message: answer.message, upstreamStatus: error instanceof UpgradeRefused ? error.status : undefined } });
      return refuseUpgrade(socket, answer.status, errorBody('openai', answer));
    }
    if (socket.destroyed) {
      recordUpgrade(o.recorder, { ...base, status: 499, error: { code: 'guardrun_client_closed', message: 'the agent left while guardrun connected upstream' } });
      return conn.abandon(up);
    }
    const chosen = up.protocol !== '' && offered.others.includes(up.protocol) ? up.protocol : undefined;
    if (chosen) selected.set(req, chosen);
    handshakeLines.set(req, agentHandshakeLines(up.headers, o.guard.maskOutgoing));
    connections.add(conn);
    void conn.done.finally(() => connections.delete(conn));
    const gone = (): void => conn.abandon(up);
    socket.once('close', gone);
    agentSide().handleUpgrade(req, socket, head, (client) => {
      socket.off('close', gone);
      recordUpgrade(o.recorder, { ...base, status: 101, protocol: chosen, upstreamHeaders: recordedAnswerHeaders(up.headers, o.guard.maskText) });
      conn.start(client, up);
    });
  }

  /** The policy does not allow `WS /path`: a denied exchange, recorded the first time, then a status the client does not retry. */
  async function refusePolicy(req: IncomingMessage, socket: Duplex, protocol: WsProtocol, apiPath: string, endpoint: string, model: string | undefined): Promise<void> {
    const status = protocol === 'responses' ? 426 : 403;
    const fallback = protocol === 'responses' ? `; use HTTP (POST ${apiPath}), or add "${endpoint}" to endpoints.allow` : `; add "${endpoint}" to endpoints.allow to use it`;
    let error: ProxyError = { status, code: 'endpoint', message: `guardrun denied this WebSocket: endpoint ${endpoint} is not in endpoints.allow${fallback}` };
    if (!refusedOnce.has(endpoint)) {
      refusedOnce.add(endpoint);
      const ex: Exchange = { id: o.nextId(), provider: 'openai', method: 'WS', path: req.url ?? apiPath, apiPath, endpoint, model, stream: true, contentType: '', body: Buffer.alloc(0), json: undefined, text: undefined, startedMs: performance.now(), guardMs: 0, transport: 'websocket' };
      const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
      recordRequest(o.recorder, o.guard, ex, recordedHandshakeHeaders(req.headers, offered.others, o.guard.maskText));
      const verdict = await o.guard.checkRequest(ex);
      if (!verdict.allow) error = { ...verdict.error, status, message: verdict.error.message + fallback };
      recordGuardrunAnswer(o.recorder, ex, error);
      void o.guard.finish(ex, { status, usage: undefined, forwarded: false, denied: true });
    }
    refuseUpgrade(socket, status, errorBody('openai', error));
  }

  const handler = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    o.onRequest?.();
    socket.on('error', () => undefined);
    upgrade(req, socket, head).catch(() => {
      refuseUpgrade(socket, 500, errorBody('openai', { status: 500, code: 'guardrun_internal', message: 'guardrun internal error' }));
    });
  };
  return Object.assign(handler, {
    async closeAll() {
      await Promise.all([...connections].map((c) => c.shutdown()));
    },
  });
}

/** Which WebSocket API a path speaks, if guardrun serves it. */
function protocolOf(apiPath: string): WsProtocol | undefined {
  if (apiPath === '/v1/responses') return 'responses';
  if (apiPath === '/v1/realtime') return 'realtime';
  return undefined;
}

/** What the agent gets when the upstream refuses the upgrade or cannot be reached; never anything the upstream echoed. */
function upstreamRefusal(protocol: WsProtocol, error: unknown, upstreamUrl: string, mask: (text: string) => string): ProxyError {
  if (error instanceof UpgradeRefused && (error.status === 401 || error.status === 403)) {
    // Codex retries a 401 (seven upgrades, then six HTTP requests, ~13 s); on 400 it ends the turn and shows the message.
    return { status: protocol === 'responses' ? 400 : 401, code: 'guardrun_upstream_refused_key', message: `the ${upstreamUrl} upstream refused guardrun's key for this WebSocket (HTTP ${error.status}); check the key guardrun holds with \`guardrun key status\`` };
  }
  const status = protocol === 'responses' ? 426 : 502;
  const why = error instanceof UpgradeRefused ? `answered HTTP ${error.status}` : `could not be reached (${mask(describe(error))})`;
  const hint = protocol === 'responses' ? '; use HTTP (POST /v1/responses)' : '';
  return { status, code: 'guardrun_upstream_no_websocket', message: `the ${upstreamUrl} upstream ${why} to the WebSocket upgrade${hint}` };
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e?.code ?? e?.message ?? 'unknown error';
}
