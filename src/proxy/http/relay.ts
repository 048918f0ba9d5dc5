// The upstream's answer on its way to the agent: streams event by event, other bodies whole, binary as is.
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { costUsd } from '../../cost/cost.js';
import { createStreamUsage, usageFromBody } from '../../cost/usage.js';
import type { StreamChunk, TokenUsage } from '../../recording/format.js';
import { RawJson } from '../../recording/raw-json.js';
import type { Recorder } from '../../recording/recorder.js';
import { errorBody, errorHeaders, type ProxyError } from '../error-response.js';
import { agentHeaders, maskHeaderValues, recordableHeaders } from '../headers.js';
import { elapsed, recordedBody } from '../record-exchange.js';
import { parseEvent, SseSplitter } from '../response/sse.js';
import type { Exchange, Guard } from '../types.js';
import type { Cancel } from '../cancel.js';

interface RelayContext {
  recorder: Recorder;
  guard: Guard;
  abort: Cancel;
  source: 'upstream' | 'replay';
}

const MAX_TEXT_BODY = 64 * 1024 * 1024;

export async function relayResponse(ex: Exchange, up: Dispatcher.ResponseData, res: ServerResponse, ctx: RelayContext): Promise<void> {
  const contentType = String(up.headers['content-type'] ?? '');
  const headers = maskHeaderValues(agentHeaders(up.headers), ctx.guard.maskText);
  let outcome: Outcome;
  // A stream fills this as it goes, so an answer cut short is still recorded up to where it broke.
  const partial: Outcome = {};
  // A stream the upstream forgot to label is still filtered as a stream (tool-call hold-back, masking).
  const isStream = contentType.includes('text/event-stream') || (ex.stream && up.statusCode < 300 && !contentType.includes('json'));
  try {
    const encoding = String(up.headers['content-encoding'] ?? 'identity').toLowerCase();
    // guardrun asked for identity; a compressed body could not be inspected or masked, so it does not pass.
    if (encoding !== 'identity') throw new UpstreamBroke(`the upstream answered with content-encoding ${encoding}, which guardrun cannot inspect`);
    if (isStream) outcome = await relayStream(ex, up, res, headers, ctx, partial);
    else if (isTextual(contentType)) outcome = await relayWhole(ex, up, res, headers, ctx);
    else outcome = await relayBinary(up, res, headers, ctx.abort, ctx.guard);
  } catch (error) {
    const gone = !(error instanceof UpstreamBroke);
    const failure: ProxyError = { status: gone ? 499 : 502, code: gone ? 'guardrun_client_closed' : 'guardrun_upstream_broke', message: gone ? 'the agent closed the connection' : `the upstream answer could not be relayed: ${(error as Error).message}` };
    ctx.abort.abort();
    if (!gone && !res.headersSent && !res.destroyed) {
      const body = errorBody(ex.provider, failure);
      res.writeHead(failure.status, errorHeaders(body));
      res.end(body);
    } else {
      res.destroy(); // mid-answer: end the agent's side like a dropped connection would
    }
    outcome = { ...partial, usage: partial.usageSoFar?.(), error: failure };
  }
  const postStart = performance.now();
  const usage = outcome.usage;
  const cost = usage && ex.model ? costUsd(ex.model, usage) : undefined;
  ctx.recorder.write({
    type: 'response',
    id: ex.id,
    time: new Date().toISOString(),
    status: outcome.error && !res.headersSent ? outcome.error.status : up.statusCode,
    headers: maskHeaderValues(recordableHeaders(up.headers), ctx.guard.maskText),
    body: outcome.body,
    events: outcome.events,
    usage,
    costUsd: cost,
    ttfbMs: outcome.ttfbMs,
    durationMs: elapsed(ex),
    guardMs: Math.round((ex.guardMs + performance.now() - postStart) * 1000) / 1000,
    error: outcome.error ? { code: outcome.error.code, message: outcome.error.message } : undefined,
    source: outcome.error ? 'guardrun' : ctx.source,
  });
  ctx.guard.finish(ex, { status: outcome.error?.status ?? up.statusCode, usage, costUsd: cost, denied: outcome.denied ?? false });
}

interface Outcome {
  usage?: TokenUsage;
  body?: ReturnType<typeof recordedBody> | { json: RawJson };
  events?: StreamChunk[];
  ttfbMs?: number;
  error?: ProxyError;
  denied?: boolean;
  /** For a stream cut short: the usage seen so far. */
  usageSoFar?: () => TokenUsage | undefined;
}

/** The upstream's body failed mid-answer (as opposed to the agent leaving). */
class UpstreamBroke extends Error {}

/** Iterates the upstream body, telling its failures apart from the agent's. */
async function* upstreamChunks(up: Dispatcher.ResponseData, cancel: Cancel): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    if (cancel.aborted) throw error;
    throw new UpstreamBroke((error as Error).message);
  }
}

async function relayStream(ex: Exchange, up: Dispatcher.ResponseData, res: ServerResponse, headers: Record<string, string | string[]>, ctx: RelayContext, partial: Outcome): Promise<Outcome> {
  res.writeHead(up.statusCode, headers);
  res.flushHeaders();
  const filter = ctx.guard.openResponse(ex);
  const splitter = new SseSplitter();
  const usage = createStreamUsage(ex.provider, ex.apiPath);
  const events: StreamChunk[] = [];
  partial.events = events;
  partial.usageSoFar = () => usage.result();
  let firstMs: number | undefined;
  const send = async (filtered: string[]): Promise<void> => {
    for (const event of filtered) {
      // Safety net: the filter masks the fields it knows; a secret in any other field is masked here.
      const text = ctx.guard.maskOutgoing(event);
      events.push({ t: firstMs === undefined ? 0 : Math.round(performance.now() - firstMs), data: ctx.guard.masksResponses ? text : ctx.guard.maskText(text) });
      if (!res.write(text)) await drained(res);
    }
  };
  for await (const chunk of upstreamChunks(up, ctx.abort)) {
    if (firstMs === undefined) {
      firstMs = performance.now();
      partial.ttfbMs = Math.round((firstMs - ex.startedMs) * 100) / 100;
    }
    for (const event of splitter.push(chunk)) {
      usage.onEvent(event.event, event.data);
      await send(await filter.event(event));
      if (filter.closed) break;
    }
    if (filter.closed) {
      ctx.abort.abort(); // refused mid-stream: stop the upstream's generation too
      break;
    }
  }
  if (!filter.closed) {
    const rest = splitter.rest();
    if (rest.length > 0) await send(await filter.event(parseEvent(rest)));
    await send(await filter.end());
  }
  res.end();
  const ttfbMs = firstMs === undefined ? undefined : Math.round((firstMs - ex.startedMs) * 100) / 100;
  return { usage: usage.result(), events, ttfbMs, denied: filter.denied };
}

async function relayWhole(ex: Exchange, up: Dispatcher.ResponseData, res: ServerResponse, headers: Record<string, string | string[]>, ctx: RelayContext): Promise<Outcome> {
  const chunks: Buffer[] = [];
  let size = 0;
  let firstMs: number | undefined;
  for await (const chunk of upstreamChunks(up, ctx.abort)) {
    firstMs ??= performance.now();
    size += chunk.length;
    if (size > MAX_TEXT_BODY) throw new UpstreamBroke(`response body larger than ${MAX_TEXT_BODY} bytes`);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks, size);
  const text = raw.toString('utf8');
  const filtered = await ctx.guard.openResponse(ex).body(text);
  const ttfbMs = firstMs === undefined ? undefined : Math.round((firstMs - ex.startedMs) * 100) / 100;
  let json: unknown;
  if (String(up.headers['content-type']).includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  const usage = json === undefined ? undefined : usageFromBody(ex.provider, ex.apiPath, json);
  if ('error' in filtered) {
    const body = errorBody(ex.provider, filtered.error);
    res.writeHead(filtered.error.status, errorHeaders(body));
    res.end(body);
    return { usage, ttfbMs, error: filtered.error, denied: true, body: recordedBody(raw, json !== undefined, ctx.guard.maskText) };
  }
  const out = filtered.text === text ? raw : Buffer.from(filtered.text, 'utf8');
  if (NO_BODY_STATUS.has(up.statusCode)) delete headers['content-length'];
  else if (ex.method === 'HEAD') headers['content-length'] = String(up.headers['content-length'] ?? 0);
  else headers['content-length'] = String(out.length);
  res.writeHead(up.statusCode, headers);
  res.end(out);
  const scanned = ctx.guard.masksResponses ? { text: filtered.text, masked: filtered.text } : undefined;
  return { usage, ttfbMs, body: recordedBody(out, json !== undefined, ctx.guard.maskText, scanned) };
}

async function relayBinary(up: Dispatcher.ResponseData, res: ServerResponse, headers: Record<string, string | string[]>, cancel: Cancel, guard: Guard): Promise<Outcome> {
  const length = up.headers['content-length'];
  if (typeof length === 'string') headers['content-length'] = length;
  res.writeHead(up.statusCode, headers);
  let bytes = 0;
  let tail = '';
  for await (const chunk of upstreamChunks(up, cancel)) {
    // Binary cannot be masked without corrupting it; one of guardrun's own keys in it ends the answer.
    const window = tail + chunk.toString('latin1');
    if (guard.hasOwnKey(window)) throw new UpstreamBroke('the upstream answer contained a key guardrun holds');
    tail = window.slice(-256);
    bytes += chunk.length;
    if (!res.write(chunk)) await drained(res);
  }
  res.end();
  return { body: bytes > 0 ? { omitted: 'binary response', bytes } : undefined };
}

/** Waits for room to write; rejects if the agent's connection closes first (then no 'drain' ever comes). */
function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('the agent closed the connection'));
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      reject(new Error('the agent closed the connection'));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

// Statuses and methods whose responses carry no body: their content-length describes something else.
const NO_BODY_STATUS = new Set([204, 304]);

function isTextual(contentType: string): boolean {
  return contentType === '' || contentType.includes('json') || contentType.startsWith('text/') || contentType.includes('xml') || contentType.includes('x-www-form-urlencoded');
}
