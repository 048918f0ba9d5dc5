// One request from the agent: authenticate, classify, ask the guard, forward the original bytes, relay the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from '../../providers.js';
import { secretMatcher } from '../../secrets/dummy-key.js';
import { presentedHeaderName, presentedKey, setRealKey } from '../credentials.js';
import { errorBody, errorHeaders, type ProxyError } from '../error-response.js';
import { recordRequest, recordGuardrunAnswer } from '../record-exchange.js';
import { relayResponse } from './relay.js';
import { hasPathTrick, routeOf, type Route } from '../route.js';
import type { Exchange, TransportOptions } from '../types.js';
import { forwardHeaders } from '../headers.js';
import { Cancel } from '../cancel.js';
import { readBody as readBodyAs, type ReadBody } from '../body/read-body.js';
import { decodeRequestBody, encodeRequestBody, MAX_DECODED_BYTES, type Coding } from '../content-encoding.js';
import type { ArrivedEncoding } from '../record-exchange.js';
import { askForStreamUsage } from './stream-usage.js';
import { sendUpstream, upstreamFault, type FirstByteTimeouts } from './send-upstream.js';

export interface HandlerOptions extends TransportOptions {
  /** Largest request body once its Content-Encoding is undone, in bytes (default MAX_DECODED_BYTES, 64 MiB). */
  maxDecodedBytes?: number;
  /** Numbers exchanges (1, 2, …); shared with the WebSocket transport so ids stay unique in the session. */
  nextId?: () => number;
  /** How long to wait for the start of an answer (policy `upstream`); default 300 s streamed, 600 s otherwise. */
  firstByteTimeouts?: FirstByteTimeouts;
  /** Told of every request refused for carrying credentials other than the session key (the interceptor records these as `bypass`). */
  onForeignKey?: (route: Route, req: IncomingMessage) => void;
}

const NO_KEY_FIX: Record<Provider, string> = {
  openai: 'run `guardrun key set openai`, or pass --key-env OPENAI_API_KEY',
  anthropic: 'run `guardrun key set anthropic`, or pass --key-env anthropic=ANTHROPIC_API_KEY',
};

export interface Handler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Exchanges still being handled; the session waits for them (briefly) so each is recorded. */
  readonly inflight: Set<Promise<void>>;
}

export function createHandler(options: HandlerOptions): Handler {
  let count = 0;
  const nextId = options.nextId ?? ((): number => ++count);
  const isDummyKey = secretMatcher(options.dummyKey);
  const inflight = new Set<Promise<void>>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    options.onRequest?.();
    const work = handle(req, res, options, isDummyKey, nextId).catch((error: unknown) => {
      // Last resort: never leave the agent hanging, never echo anything that might hold a key.
      if (!res.headersSent && !res.destroyed) sendError(res, 'openai', { status: 500, code: 'guardrun_internal', message: `guardrun internal error: ${(error as Error)?.name ?? 'Error'}` });
      else res.destroy();
    });
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  };
  return Object.assign(handler, { inflight });
}

async function handle(req: IncomingMessage, res: ServerResponse, o: HandlerOptions, isDummyKey: (key: string) => boolean, nextId: () => number): Promise<void> {
  const url = req.url ?? '/';
  const route = hasPathTrick(url) ? undefined : o.route ? o.route(url, req) : routeOf(url);
  if (!route) {
    req.resume();
    return sendError(res, 'openai', { status: 404, code: 'guardrun_unknown_path', message: `guardrun serves /v1/* (OpenAI) and /anthropic/* (Anthropic), without dot segments, encoded slashes or empty segments; ${req.method} ${url.split('?')[0]} is not one of them` });
  }
  // No key for this provider: say so whatever the request carries (an agent with its own stored login, pointed
  // here, learns what to fix rather than that its credential is not the session's).
  const realKey = o.keys[route.provider];
  const upstream = o.upstreams[route.provider];
  const presented = presentedKey(req.headers);
  const foreign = presented !== undefined && !isDummyKey(presented);
  if (realKey === undefined || upstream === undefined) {
    req.resume();
    if (foreign) o.onForeignKey?.(route, req);
    return sendError(res, route.provider, { status: 401, code: 'guardrun_no_key', message: `guardrun holds no ${route.provider} key for this session; ${NO_KEY_FIX[route.provider]}` });
  }
  if (presented === undefined || foreign) {
    req.resume();
    if (foreign) o.onForeignKey?.(route, req);
    return sendError(res, route.provider, { status: 401, code: 'guardrun_invalid_key', message: invalidKeyMessage(route) });
  }

  // Listen from the start: an agent can give up while its request is read, checked or waiting for a human.
  const abort = new Cancel();
  res.on('close', () => {
    // The agent went away: stop paying for the answer (a streaming relay reads on for its usage, see relay.ts).
    if (!res.writableFinished && !abort.keepReading) abort.abort();
  });
  const arrived = await readBody(req, o.maxBodyBytes);
  // A compressed body is checked, masked and recorded decoded, exactly like one sent plain.
  const started = performance.now();
  if (arrived.body === undefined) {
    // Refused unread, and recorded by its size like any refusal.
    const tooLarge: ProxyError = { status: 413, code: 'guardrun_body_too_large', message: `request body larger than ${o.maxBodyBytes} bytes` };
    return refuseBody(req, res, route, o, { id: nextId(), started }, tooLarge, { header: String(req.headers['content-encoding'] ?? ''), bytes: arrived.size });
  }
  const raw = arrived.body;
  const header = req.headers['content-encoding'];
  const encoding: ArrivedEncoding | undefined = header === undefined ? undefined : { header: String(header), bytes: raw.length };
  const decoded = await decodeRequestBody(raw, header, o.maxDecodedBytes ?? MAX_DECODED_BYTES);
  if ('error' in decoded) return refuseBody(req, res, route, o, { id: nextId(), started }, decoded.error, encoding ?? { header: '', bytes: raw.length });
  const body = decoded.body;
  const maxDecoded = o.maxDecodedBytes ?? MAX_DECODED_BYTES;
  if (body.length > maxDecoded) {
    // The same limit whether it came compressed or not: everything after this holds the body in memory several times.
    return refuseBody(req, res, route, o, { id: nextId(), started }, { status: 413, code: 'guardrun_body_too_large', message: `request body larger than ${maxDecoded} bytes` }, encoding ?? { header: '', bytes: raw.length });
  }
  const read = await readBodyAs(body, String(req.headers['content-type'] ?? ''));
  const exchange = classify(req, route, body, nextId(), 'refused' in read ? { kind: 'text', text: read.refused.text } : read);
  exchange.startedMs = started;
  exchange.headers = forwardHeaders(req.headers);
  delete exchange.headers['accept-encoding']; // guardrun's own, not the agent's
  if ('refused' in read && read.refused.text === undefined) exchange.bodyKind = 'binary'; // recorded by its size only
  recordRequest(o.recorder, o.guard, exchange, req.headers, encoding);
  if ('refused' in read) {
    const refused: ProxyError = read.refused.error;
    sendError(res, route.provider, refused);
    recordGuardrunAnswer(o.recorder, exchange, refused);
    void o.guard.finish(exchange, { status: 400, usage: undefined, forwarded: false, denied: true });
    return;
  }

  const verdict = await o.guard.checkRequest(exchange);
  exchange.guardMs += performance.now() - exchange.startedMs - o.guard.humanMs(exchange);
  if (abort.aborted) {
    // Gone while we decided: nothing to forward, nobody to answer.
    const gone: ProxyError = { status: 499, code: 'guardrun_client_closed', message: 'the agent closed the connection before the request was sent' };
    recordGuardrunAnswer(o.recorder, exchange, gone);
    void o.guard.finish(exchange, { status: 499, usage: undefined, forwarded: false, denied: !verdict.allow });
    return;
  }
  if (!verdict.allow) {
    sendError(res, route.provider, verdict.error);
    recordGuardrunAnswer(o.recorder, exchange, verdict.error);
    void o.guard.finish(exchange, { status: verdict.error.status, usage: undefined, forwarded: false, denied: true });
    return;
  }

  const headers = forwardHeaders(req.headers);
  if (verdict.headers) Object.assign(headers, verdict.headers); // secrets redacted from header values
  setRealKey(headers, realKey, presentedHeaderName(req.headers));
  const upstreamPath = verdict.path === undefined ? route.upstreamPath : (routeOf(verdict.path)?.upstreamPath ?? route.upstreamPath);
  // A stream that would carry no usage is asked for it (a recording answers as recorded: nothing to ask).
  const withUsage = upstream.pool.source === 'replay' ? undefined : askForStreamUsage(exchange, verdict.body ?? body);
  const encodeStart = performance.now();
  const sent = await upstreamBody(raw, decoded.codings, withUsage ?? verdict.body, headers);
  exchange.guardMs += performance.now() - encodeStart;
  const sentUp = await sendUpstream(upstream, {
    method: req.method as 'POST',
    path: upstream.prefix + upstreamPath,
    headers,
    body: raw.length > 0 || !['GET', 'HEAD'].includes(req.method ?? '') ? sent : undefined,
    signal: abort,
  }, exchange.stream, o.firstByteTimeouts);
  const upstreamRes = sentUp.response;
  if (upstreamRes === undefined) {
    const err: ProxyError = abort.aborted
      ? { status: 499, code: 'guardrun_client_closed', message: 'the agent closed the connection' }
      : upstreamFault(sentUp.error, route.provider, upstream, exchange.stream, o.firstByteTimeouts);
    if (!abort.aborted) sendError(res, route.provider, err);
    recordGuardrunAnswer(o.recorder, exchange, err);
    // A first-byte timeout: the upstream had the request and may bill it.
    void o.guard.finish(exchange, { status: err.status, usage: undefined, forwarded: err.code === 'guardrun_upstream_timeout', denied: false });
    return;
  }
  await relayResponse(exchange, upstreamRes, res, { recorder: o.recorder, guard: o.guard, abort, source: upstream.pool.source ?? 'upstream', hideAddedUsage: withUsage !== undefined });
}

/**
 * The bytes for the upstream: the agent's own when the guard left the body alone (with its Content-Encoding),
 * else the changed body encoded again like the agent's, or sent identity (header removed) when this Node
 * cannot encode one of the codings (zstd before Node 22.15). undici sets Content-Length from the bytes.
 */
async function upstreamBody(raw: Buffer, codings: Coding[], changed: Buffer | undefined, headers: Record<string, string | string[]>): Promise<Buffer> {
  if (changed === undefined) return raw;
  if (codings.length === 0) return changed;
  const encoded = await encodeRequestBody(changed, codings);
  if (encoded.contentEncoding === undefined) delete headers['content-encoding'];
  else headers['content-encoding'] = encoded.contentEncoding;
  return encoded.body;
}

/** A body guardrun could not decode (415, 413, 400): refused, recorded with its size only, never its bytes. */
function refuseBody(req: IncomingMessage, res: ServerResponse, route: Route, o: HandlerOptions, at: { id: number; started: number }, error: ProxyError, encoding: ArrivedEncoding): void {
  const exchange = classify(req, route, Buffer.alloc(0), at.id);
  exchange.startedMs = at.started;
  const refused: ProxyError = { ...error, message: o.guard.maskText(error.message) }; // it may quote the agent's header
  recordRequest(o.recorder, o.guard, exchange, req.headers, { ...encoding, refused: `not decoded (${refused.code})` });
  sendError(res, route.provider, refused);
  recordGuardrunAnswer(o.recorder, exchange, refused);
  void o.guard.finish(exchange, { status: refused.status, usage: undefined, forwarded: false, denied: true });
}

/** Why a request without the session key is refused; on an intercepted connection, also why it was intercepted. */
function invalidKeyMessage(route: Route): string {
  const use = 'use the OPENAI_API_KEY / ANTHROPIC_API_KEY that guardrun gave the process';
  if (!route.host) return `guardrun: this request does not carry the session key; ${use}`;
  return `guardrun intercepted this request to ${route.host} (model calls cannot go around it) and it does not carry the session key: the program used a stored login or a key of its own; ${use}, or point it at OPENAI_BASE_URL / ANTHROPIC_BASE_URL`;
}

function classify(req: IncomingMessage, route: Route, body: Buffer, id: number, read: ReadBody = { kind: 'none' }): Exchange {
  const contentType = String(req.headers['content-type'] ?? '');
  const { json, text } = read;
  const fields = (json && typeof json === 'object' ? json : {}) as { model?: unknown; stream?: unknown };
  const model = typeof fields.model === 'string' ? fields.model : deploymentOf(route.apiPath);
  const method = req.method ?? 'GET';
  const agentPath = route.provider === 'anthropic' ? `/anthropic${route.apiPath}` : route.apiPath;
  return {
    id,
    provider: route.provider,
    method,
    path: req.url ?? '/',
    apiPath: route.apiPath,
    endpoint: `${method} ${agentPath}`,
    model,
    stream: fields.stream === true,
    contentType,
    body,
    json,
    text,
    startedMs: performance.now(),
    guardMs: 0,
    bodyKind: read.kind,
    parts: read.parts,
    uninspected: read.uninspected,
    bodySummary: read.summary,
    host: route.host,
  };
}

/** Azure-style routes name the model in the path: /openai/deployments/<name>/chat/completions. */
function deploymentOf(path: string): string | undefined {
  const m = /\/deployments\/([^/]+)\//.exec(path);
  return m ? decodeURIComponent(m[1]) : undefined;
}

/** The body, or (past `limit`) only its size: the rest is read and dropped, so the agent gets its answer. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body?: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? { size } : { body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), size }));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the agent closed the connection while sending'));
    });
  });
}

export function sendError(res: ServerResponse, provider: Provider, error: ProxyError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(provider, error);
  res.writeHead(error.status, errorHeaders(body, error.retryable));
  res.end(body);
}
