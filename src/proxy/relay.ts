// The upstream's answer on its way to the agent: streams event by event, other bodies whole, binary as is.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { costUsd } from '../cost/cost.js';
import { createStreamUsage, usageFromBody } from '../cost/usage.js';
import type { StreamChunk, TokenUsage } from '../recording/format.js';
import { RawJson } from '../recording/raw-json.js';
import type { Recorder } from '../recording/recorder.js';
import { errorBody, errorHeaders, type ProxyError } from './error-response.js';
import { agentHeaders, recordableHeaders } from './headers.js';
import { elapsed, recordedBody } from './record-exchange.js';
import { parseEvent, SseSplitter } from './sse.js';
import type { Exchange, Guard } from './types.js';
import type { Cancel } from './cancel.js';

interface RelayContext {
  recorder: Recorder;
  guard: Guard;
  abort: Cancel;
  source: 'upstream' | 'replay';
}

const MAX_TEXT_BODY = 64 * 1024 * 1024;

export async function relayResponse(ex: Exchange, up: Dispatcher.ResponseData, res: ServerResponse, ctx: RelayContext): Promise<void> {
  const contentType = String(up.headers['content-type'] ?? '');
  const headers = agentHeaders(up.headers);
  let outcome: Outcome;
  try {
    if (contentType.includes('text/event-stream')) outcome = await relayStream(ex, up, res, headers, ctx);
    else if (isTextual(contentType)) outcome = await relayWhole(ex, up, res, headers, ctx);
    else outcome = await relayBinary(up, res, headers);
  } catch (error) {
    // The agent left or the upstream broke mid-answer: end the agent's side like a dropped connection would.
    res.destroy();
    const gone = ctx.abort.aborted;
    outcome = { error: { status: gone ? 499 : 502, code: gone ? 'guardrun_client_closed' : 'guardrun_upstream_broke', message: gone ? 'the agent closed the connection' : `the upstream connection broke: ${(error as Error).message}` } };
  }
  const postStart = performance.now();
  const usage = outcome.usage;
  const cost = usage && ex.model ? costUsd(ex.model, usage) : undefined;
  ctx.recorder.write({
    type: 'response',
    id: ex.id,
    time: new Date().toISOString(),
    status: outcome.error?.status ?? up.statusCode,
    headers: recordableHeaders(up.headers),
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
}

async function relayStream(ex: Exchange, up: Dispatcher.ResponseData, res: ServerResponse, headers: Record<string, string | string[]>, ctx: RelayContext): Promise<Outcome> {
  res.writeHead(up.statusCode, headers);
  res.flushHeaders();
  const filter = ctx.guard.openResponse(ex);
  const splitter = new SseSplitter();
  const usage = createStreamUsage(ex.provider, ex.apiPath);
  const events: StreamChunk[] = [];
  let firstMs: number | undefined;
  const send = async (texts: string[]): Promise<void> => {
    for (const text of texts) {
      events.push({ t: firstMs === undefined ? 0 : Math.round(performance.now() - firstMs), data: text });
      if (!res.write(text)) await once(res, 'drain');
    }
  };
  for await (const chunk of up.body as AsyncIterable<Buffer>) {
    firstMs ??= performance.now();
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
  for await (const chunk of up.body as AsyncIterable<Buffer>) {
    firstMs ??= performance.now();
    size += chunk.length;
    if (size > MAX_TEXT_BODY) throw new Error(`response body larger than ${MAX_TEXT_BODY} bytes`);
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
  headers['content-length'] = String(out.length);
  res.writeHead(up.statusCode, headers);
  res.end(out);
  const scanned = ctx.guard.masksResponses ? { text: filtered.text, masked: filtered.text } : undefined;
  return { usage, ttfbMs, body: recordedBody(out, json !== undefined, ctx.guard.maskText, scanned) };
}

async function relayBinary(up: Dispatcher.ResponseData, res: ServerResponse, headers: Record<string, string | string[]>): Promise<Outcome> {
  const length = up.headers['content-length'];
  if (typeof length === 'string') headers['content-length'] = length;
  res.writeHead(up.statusCode, headers);
  let bytes = 0;
  for await (const chunk of up.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (!res.write(chunk)) await once(res, 'drain');
  }
  res.end();
  return { body: bytes > 0 ? { omitted: 'binary response', bytes } : undefined };
}

function isTextual(contentType: string): boolean {
  return contentType === '' || contentType.includes('json') || contentType.startsWith('text/') || contentType.includes('xml') || contentType.includes('x-www-form-urlencoded');
}
