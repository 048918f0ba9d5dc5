// One request from the agent: authenticate, classify, ask the guard, forward the original bytes, relay the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from '../../providers.js';
import type { Recorder } from '../../recording/recorder.js';
import { secretMatcher } from '../../secrets/dummy-key.js';
import { presentedHeaderName, presentedKey, setRealKey } from '../credentials.js';
import { errorBody, errorHeaders, type ProxyError } from '../error-response.js';
import { recordRequest, recordGuardrunAnswer } from '../record-exchange.js';
import { relayResponse } from './relay.js';
import { hasPathTrick, routeOf } from '../route.js';
import type { Exchange, Guard } from '../types.js';
import type { Upstream } from '../upstream.js';
import { forwardHeaders } from '../headers.js';
import { Cancel } from '../cancel.js';
import { hasDuplicateKeys } from '../duplicate-keys.js';

export interface HandlerOptions {
  dummyKey: string;
  keys: Partial<Record<Provider, string>>;
  upstreams: Partial<Record<Provider, Upstream>>;
  recorder: Recorder;
  guard: Guard;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Numbers exchanges (1, 2, …); shared with the WebSocket transport so ids stay unique in the session. */
  nextId?: () => number;
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
  const route = hasPathTrick(url) ? undefined : routeOf(url);
  if (!route) {
    req.resume();
    return sendError(res, 'openai', { status: 404, code: 'guardrun_unknown_path', message: `guardrun serves /v1/* (OpenAI) and /anthropic/* (Anthropic), without dot segments, encoded slashes or empty segments; ${req.method} ${url.split('?')[0]} is not one of them` });
  }
  const presented = presentedKey(req.headers);
  if (presented === undefined || !isDummyKey(presented)) {
    req.resume();
    return sendError(res, route.provider, { status: 401, code: 'guardrun_invalid_key', message: 'guardrun: this request does not carry the session key; use the OPENAI_API_KEY / ANTHROPIC_API_KEY that guardrun gave the process' });
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
    if (!res.writableFinished) abort.abort(); // the agent went away: stop paying for the answer
  });
  const body = await readBody(req, o.maxBodyBytes);
  if (body === undefined) {
    return sendError(res, route.provider, { status: 413, code: 'guardrun_body_too_large', message: `request body larger than ${o.maxBodyBytes} bytes` });
  }
  const exchange = classify(req, route, body, nextId());
  const duplicateKeys = exchange.text !== undefined && exchange.json !== undefined && hasDuplicateKeys(exchange.text, exchange.json);
  // Its parsed form hides the repeated values: record (and mask) such a body as plain text.
  if (duplicateKeys) exchange.json = undefined;
  recordRequest(o.recorder, o.guard, exchange, req.headers);
  if (duplicateKeys) {
    const refused: ProxyError = { status: 400, code: 'guardrun_duplicate_json_keys', message: 'guardrun refuses a JSON body that repeats a key: its checks and the upstream could read different values' };
    sendError(res, route.provider, refused);
    recordGuardrunAnswer(o.recorder, exchange, refused);
    o.guard.finish(exchange, { status: 400, usage: undefined, costUsd: undefined, denied: true });
    return;
  }

  const verdict = await o.guard.checkRequest(exchange);
  exchange.guardMs += performance.now() - exchange.startedMs - o.guard.humanMs(exchange);
  if (abort.aborted) {
    // Gone while we decided: nothing to forward, nobody to answer.
    const gone: ProxyError = { status: 499, code: 'guardrun_client_closed', message: 'the agent closed the connection before the request was sent' };
    recordGuardrunAnswer(o.recorder, exchange, gone);
    o.guard.finish(exchange, { status: 499, usage: undefined, costUsd: undefined, denied: !verdict.allow });
    return;
  }
  if (!verdict.allow) {
    sendError(res, route.provider, verdict.error);
    recordGuardrunAnswer(o.recorder, exchange, verdict.error);
    o.guard.finish(exchange, { status: verdict.error.status, usage: undefined, costUsd: undefined, denied: true });
    return;
  }

  const headers = forwardHeaders(req.headers);
  setRealKey(headers, realKey, presentedHeaderName(req.headers));
  let upstreamRes;
  try {
    upstreamRes = await upstream.pool.request({
      method: req.method as 'POST',
      path: upstream.prefix + route.upstreamPath,
      headers,
      body: body.length > 0 || !['GET', 'HEAD'].includes(req.method ?? '') ? (verdict.body ?? body) : undefined,
      signal: abort,
    });
  } catch (error) {
    const err: ProxyError = abort.aborted
      ? { status: 499, code: 'guardrun_client_closed', message: 'the agent closed the connection' }
      : { status: 502, code: 'guardrun_upstream_unreachable', message: `guardrun could not reach the ${route.provider} upstream ${upstream.url}: ${describeNetworkError(error)}` };
    if (!abort.aborted) sendError(res, route.provider, err);
    recordGuardrunAnswer(o.recorder, exchange, err);
    o.guard.finish(exchange, { status: err.status, usage: undefined, costUsd: undefined, denied: false });
    return;
  }
  await relayResponse(exchange, upstreamRes, res, { recorder: o.recorder, guard: o.guard, abort, source: upstream.pool.source ?? 'upstream' });
}

function classify(req: IncomingMessage, route: NonNullable<ReturnType<typeof routeOf>>, body: Buffer, id: number): Exchange {
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
