// The upstream of a re-run: answers each request from the recording instead of the network. Requests
// match by method, path and canonical body hash, repeats in recorded order (like mitmproxy's server
// replay). A request with no match fails closed: a provider-shaped 409 naming the divergence.
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Provider } from '../providers.js';
import { decodeRequestBody } from '../proxy/content-encoding.js';
import { errorBody, errorHeaders } from '../proxy/error-response.js';
import type { UpstreamPool } from '../proxy/upstream.js';
import type { RecordedBody } from '../recording/format.js';
import { bodyKey, firstDifference, liveRecordedBody } from './body-key.js';
import type { RecordedExchange } from './exchanges.js';
import { recordedAnswer, type Answerable, type RecordedAnswer } from './recorded-answer.js';

export const NO_MATCH_CODE = 'guardrun_replay_no_match';

export interface Divergence {
  /** The n-th request that reached the recording in this re-run (1-based, all providers). */
  request: number;
  provider: Provider;
  method: string;
  /** Path as the agent addressed guardrun, masked. */
  path: string;
  /** One sentence: what did not match and the nearest recorded candidate. */
  message: string;
  nearest?: { id: number; method: string; path: string; difference?: { path: string; recorded: string; now: string } };
}

export interface ReplayPools {
  pools: Partial<Record<Provider, UpstreamPool>>;
  divergences: Divergence[];
  /** Recorded exchanges with an answer that no request of the re-run used, in recorded order. */
  unused(): RecordedExchange[];
  /** Requests answered from the recording so far. */
  answered(): number;
}

export interface ReplayPoolOptions {
  exchanges: readonly RecordedExchange[];
  /** The upstream URL's path prefix per provider (what the proxy puts before the API path). */
  prefixes: Partial<Record<Provider, string>>;
  /** Masks text the way the recorder did (the session's scanner). */
  mask(text: string): string;
  /** Keep the recorded timing: time to first byte, then each stream event at its recorded offset. */
  realtime?: boolean;
  /** How to wait with `realtime` (tests pass a recorder of the waits). Default: a timer that the request's signal cancels. */
  wait?: Wait;
  /** Numbers the requests that reach the recording (shared with the WebSocket side); default its own count. */
  nextRequest?: () => number;
  /** Where divergences go (shared with the WebSocket side); default a new list. */
  divergences?: Divergence[];
}

interface Entry {
  ex: RecordedExchange;
  key: string;
  body: RecordedBody | undefined;
  answer: Answerable;
  used: boolean;
}

export function createReplayPools(o: ReplayPoolOptions): ReplayPools {
  const entries: Entry[] = o.exchanges
    .filter((ex) => ex.request && ex.request.transport !== 'websocket') // WebSocket frames: replay-sockets.ts
    .map((ex) => ({ ex, key: keyOf(ex.request!.method, ex.request!.path, ex.request!.body), body: ex.request!.body, answer: recordedAnswer(ex), used: false }));
  const divergences: Divergence[] = o.divergences ?? [];
  let seen = 0;
  const nextRequest = o.nextRequest ?? ((): number => ++seen);
  let answered = 0;

  const pool = (provider: Provider): UpstreamPool => ({
    source: 'replay',
    async request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
      const n = nextRequest();
      const method = String(options.method);
      const path = o.mask(agentPath(provider, o.prefixes[provider] ?? '', String(options.path)));
      const live = liveRecordedBody(await decodedBody(options), headerOf(options.headers, 'content-type'), o.mask);
      const key = keyOf(method, path, live);
      const hit = entries.find((e) => !e.used && e.key === key && 'answer' in e.answer);
      if (hit && 'answer' in hit.answer) {
        hit.used = true;
        answered++;
        return respond(hit.answer.answer, options.signal as SignalLike | undefined, o.realtime ? (o.wait ?? sleep) : undefined);
      }
      const d = diverge(n, provider, method, path, live, key);
      divergences.push(d);
      return noMatch(provider, d.message);
    },
    async destroy() {},
  });

  const diverge = (n: number, provider: Provider, method: string, path: string, live: RecordedBody | undefined, key: string): Divergence => {
    const base = { request: n, provider, method, path };
    const what = `request ${n} of the re-run (${method} ${path}) has no match in the recording`;
    const same = entries.find((e) => e.key === key && !e.used);
    if (same && 'unavailable' in same.answer) {
      same.used = true;
      return { ...base, nearest: nearestOf(same), message: `${what}: it is recorded #${same.ex.id}, but ${same.answer.unavailable}` };
    }
    const open = entries.filter((e) => !e.used && 'answer' in e.answer && e.ex.request!.provider === provider);
    const candidate = open.find((e) => e.ex.request!.method === method && e.ex.request!.path === path) ?? open[0];
    if (!candidate) return { ...base, message: `${what}: every recorded ${provider} answer was already used (the agent made more requests than were recorded)` };
    const nearest = nearestOf(candidate);
    const req = candidate.ex.request!;
    let why: string;
    if (req.method !== method || req.path !== path) why = `a different request`;
    else if (candidate.body && live && 'json' in candidate.body && 'json' in live) {
      nearest.difference = firstDifference(candidate.body.json, live.json);
      why = nearest.difference ? `the body differs at ${nearest.difference.path}: recorded ${nearest.difference.recorded}, now ${nearest.difference.now}` : 'the body differs';
    } else why = 'the body differs';
    return { ...base, nearest, message: `${what}; nearest is recorded #${candidate.ex.id} (${req.method} ${req.path}): ${why}` };
  };

  const providers = [...new Set(entries.map((e) => e.ex.request!.provider)), ...(Object.keys(o.prefixes) as Provider[])];
  return {
    pools: Object.fromEntries([...new Set(providers)].map((p) => [p, pool(p)])),
    divergences,
    unused: () => entries.filter((e) => !e.used && 'answer' in e.answer).map((e) => e.ex),
    answered: () => answered,
  };
}

function keyOf(method: string, path: string, body: RecordedBody | undefined): string {
  return `${method.toUpperCase()} ${path} ${bodyKey(body)}`;
}

function nearestOf(e: Entry): NonNullable<Divergence['nearest']> {
  return { id: e.ex.id, method: e.ex.request!.method, path: e.ex.request!.path };
}

/** The path the agent used, from the one the proxy sends upstream (`<prefix>/v1/...`). */
function agentPath(provider: Provider, prefix: string, upstreamPath: string): string {
  const rest = prefix && upstreamPath.startsWith(prefix) ? upstreamPath.slice(prefix.length) : upstreamPath;
  return provider === 'anthropic' ? `/anthropic${rest}` : rest;
}

function toBuffer(body: Dispatcher.RequestOptions['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new Error('the replay upstream takes whole bodies only');
}

/**
 * The body as the recorder saw it: a compressed one decoded (the proxy forwards the agent's compressed bytes
 * when nothing was redacted, and the recording holds the decoded body). Undecodable stays as is: no match.
 */
async function decodedBody(options: Dispatcher.RequestOptions): Promise<Buffer | undefined> {
  const raw = toBuffer(options.body);
  const encoding = headerOf(options.headers, 'content-encoding');
  if (!raw || !encoding) return raw;
  const decoded = await decodeRequestBody(raw, encoding);
  return 'error' in decoded ? raw : decoded.body;
}

function headerOf(headers: Dispatcher.RequestOptions['headers'], wanted: string): string {
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return '';
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (name.toLowerCase() === wanted) return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return '';
}

/** What undici accepts as a request's signal: an AbortSignal, or an EventEmitter that emits 'abort' (proxy/cancel.ts). */
type SignalLike = { readonly aborted?: boolean } & ({ addEventListener(type: 'abort', fn: () => void): void; removeEventListener(type: 'abort', fn: () => void): void } | { once(type: 'abort', fn: () => void): unknown; off(type: 'abort', fn: () => void): unknown });

export type Wait = (ms: number, signal: SignalLike | undefined) => Promise<void>;

/** A timer that ends early (rejecting) when the request is cancelled. */
function sleep(ms: number, signal: SignalLike | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('the request was cancelled'));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('the request was cancelled'));
    };
    const timer = setTimeout(() => {
      if (signal && 'removeEventListener' in signal) signal.removeEventListener('abort', onAbort);
      else if (signal) signal.off('abort', onAbort);
      resolve();
    }, ms);
    if (signal && 'addEventListener' in signal) signal.addEventListener('abort', onAbort);
    else if (signal) signal.once('abort', onAbort);
  });
}

/** The recorded answer as undici would give it; with `wait`, at the recorded pace. */
async function respond(answer: RecordedAnswer, signal: SignalLike | undefined, wait: Wait | undefined): Promise<Dispatcher.ResponseData> {
  async function* chunks(): AsyncGenerator<Buffer> {
    let last = 0;
    for (const chunk of answer.chunks) {
      if (wait && chunk.t > last) await wait(chunk.t - last, signal);
      last = Math.max(last, chunk.t);
      if (signal?.aborted) throw new Error('the request was cancelled');
      yield chunk.data;
    }
    if (answer.broken) throw new Error('the upstream connection broke here in the recording');
  }
  if (wait && answer.ttfbMs) await wait(answer.ttfbMs, signal);
  const body = Readable.from(chunks()); // object mode: each recorded event stays its own chunk
  return { statusCode: answer.status, headers: { ...answer.headers }, body, trailers: {}, opaque: null, context: {} } as unknown as Dispatcher.ResponseData;
}

function noMatch(provider: Provider, message: string): Promise<Dispatcher.ResponseData> {
  const text = errorBody(provider, { status: 409, code: NO_MATCH_CODE, message: `guardrun replay: ${message}` });
  const headers = errorHeaders(text);
  const body = Readable.from([Buffer.from(text, 'utf8')]);
  return Promise.resolve({ statusCode: 409, headers, body, trailers: {}, opaque: null, context: {} } as unknown as Dispatcher.ResponseData);
}
