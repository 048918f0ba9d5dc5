// One request from the agent: authenticate, classify, ask the guard, forward the original bytes, relay the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from '../../providers.js';
import type { Recorder } from '../../recording/recorder.js';
import { secretMatcher } from '../../secrets/dummy-key.js';
import { presentedHeaderName, presentedKey, setRealKey } from '../credentials.js';
import { errorBody, errorHeaders, type ProxyError } from '../error-response.js';
import { recordRequest, recordGuardrunAnswer } from '../record-exchange.js';
import { relayResponse } from './relay.js';
import { hasPathTrick, routeOf, type Route } from '../route.js';
import type { Exchange, Guard } from '../types.js';
import type { Upstream } from '../upstream.js';
import { forwardHeaders } from '../headers.js';
import { Cancel } from '../cancel.js';
import { hasDuplicateKeys } from '../duplicate-keys.js';
import { decodeRequestBody, encodeRequestBody, MAX_DECODED_BYTES, type Coding } from '../content-encoding.js';
import type { ArrivedEncoding } from '../record-exchange.js';
import { askForStreamUsage } from './stream-usage.js';

export interface HandlerOptions {
  dummyKey: string;
  keys: Partial<Record<Provider, string>>;
  upstreams: Partial<Record<Provider, Upstream>>;
  recorder: Recorder;
  guard: Guard;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Largest request body once its Content-Encoding is undone, in bytes (default MAX_DECODED_BYTES, 64 MiB). */
  maxDecodedBytes?: number;
  /** Numbers exchanges (1, 2, …); shared with the WebSocket transport so ids stay unique in the session. */
  nextId?: () => number;
  /** Picks the route of a request; default: by path prefix (`/v1`, `/anthropic`). Intercepted connections route by host (proxy/intercept/). */
  route?: (url: string, req: IncomingMessage) => Route | undefined;
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
  const presented = presentedKey(req.headers);
  if (presented === undefined || !isDummyKey(presented)) {
    req.resume();
    if (presented !== undefined) o.onForeignKey?.(route, req);
    return sendError(res, route.provider, { status: 401, code: 'guardrun_invalid_key', message: invalidKeyMessage(route) });
  }
  const realKey = o.keys[route.provider];
  const upstream = o.upstreams[route.provider];
  if (realKey === undefined || upstream === undefined) {
    req.resume();
    return sendError(res, route.provider, { status: 401, code: 'guardrun_no_key', message: `guardrun holds no ${route.provider} key for this session; ${NO_KEY_FIX[route.provider]}` });
  }

  // Listen from the start: an agent can give up while its request is read, checked or waiting for a human.
  const abort = new Cancel();
  res.on('close', () => {
    // The agent went away: stop paying for the answer (a streaming relay reads on for its usage, see relay.ts).
    if (!res.writableFinished && !abort.keepReading) abort.abort();
  });
  const raw = await readBody(req, o.maxBodyBytes);
  if (raw === undefined) {
    return sendError(res, route.provider, { status: 413, code: 'guardrun_body_too_large', message: `request body larger than ${o.maxBodyBytes} bytes` });
  }
  // A compressed body is checked, masked and recorded decoded, exactly like one sent plain.
  const started = performance.now();
  const header = req.headers['content-encoding'];
  const encoding: ArrivedEncoding | undefined = header === undefined ? undefined : { header: String(header), bytes: raw.length };
  const decoded = await decodeRequestBody(raw, header, o.maxDecodedBytes ?? MAX_DECODED_BYTES);
  if ('error' in decoded) return refuseBody(req, res, route, o, { id: nextId(), started }, decoded.error, encoding ?? { header: '', bytes: raw.length });
  const body = decoded.body;
  const exchange = classify(req, route, body, nextId());
  exchange.startedMs = started;
  const duplicateKeys = exchange.text !== undefined && exchange.json !== undefined && hasDuplicateKeys(exchange.text, exchange.json);
  // Its parsed form hides the repeated values: record (and mask) such a body as plain text.
  if (duplicateKeys) exchange.json = undefined;
  recordRequest(o.recorder, o.guard, exchange, req.headers, encoding);
  if (duplicateKeys) {
    const refused: ProxyError = { status: 400, code: 'guardrun_duplicate_json_keys', message: 'guardrun refuses a JSON body that repeats a key: its checks and the upstream could read different values' };
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
  setRealKey(headers, realKey, presentedHeaderName(req.headers));
  // A stream that would carry no usage is asked for it (a recording answers as recorded: nothing to ask).
  const withUsage = upstream.pool.source === 'replay' ? undefined : askForStreamUsage(exchange, verdict.body ?? body);
  const encodeStart = performance.now();
  const sent = await upstreamBody(raw, decoded.codings, withUsage ?? verdict.body, headers);
  exchange.guardMs += performance.now() - encodeStart;
  let upstreamRes;
  try {
    upstreamRes = await upstream.pool.request({
      method: req.method as 'POST',
      path: upstream.prefix + route.upstreamPath,
      headers,
      body: raw.length > 0 || !['GET', 'HEAD'].includes(req.method ?? '') ? sent : undefined,
      signal: abort,
    });
  } catch (error) {
    const err: ProxyError = abort.aborted
      ? { status: 499, code: 'guardrun_client_closed', message: 'the agent closed the connection' }
      : { status: 502, code: 'guardrun_upstream_unreachable', message: `guardrun could not reach the ${route.provider} upstream ${upstream.url}: ${describeNetworkError(error)}` };
    if (!abort.aborted) sendError(res, route.provider, err);
    recordGuardrunAnswer(o.recorder, exchange, err);
    void o.guard.finish(exchange, { status: err.status, usage: undefined, forwarded: false, denied: false });
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

function classify(req: IncomingMessage, route: Route, body: Buffer, id: number): Exchange {
  const contentType = String(req.headers['content-type'] ?? '');
  let json: unknown;
  let text: string | undefined;
  if (body.length > 0 && contentType.includes('json')) {
    try {
      text = body.toString('utf8');
      json = JSON.parse(text);
    } catch {
      json = undefined; // forwarded as is; the upstream answers the agent's own mistake
    }
  }
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
    host: route.host,
  };
}

/** Azure-style routes name the model in the path: /openai/deployments/<name>/chat/completions. */
function deploymentOf(path: string): string | undefined {
  const m = /\/deployments\/([^/]+)\//.exec(path);
  return m ? decodeURIComponent(m[1]) : undefined;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
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
  res.writeHead(error.status, errorHeaders(body));
  res.end(body);
}

function describeNetworkError(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code ?? e.message ?? 'unknown error';
}
