// The upstream's answer on its way to the agent: streams event by event, other bodies whole, binary as is.
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { bodyOutputText } from '../../cost/output-text.js';
import { usageFromBody } from '../../cost/usage.js';
import type { TokenUsage } from '../../recording/format.js';
import { RawJson } from '../../recording/raw-json.js';
import type { Recorder } from '../../recording/recorder.js';
import { errorBody, errorHeaders, type ProxyError } from '../error-response.js';
import { agentHeaders, maskHeaders, recordableHeaders } from '../headers.js';
import { elapsed, recordedBody } from '../record-exchange.js';
import type { Exchange, Guard } from '../types.js';
import type { Cancel } from '../cancel.js';
import type { StreamRecord } from '../stream-record.js';
import { AGENT_GONE, drained, ReadOn, relayStream, UpstreamBroke, upstreamChunks } from './relay-stream.js';

export interface RelayContext {
  recorder: Recorder;
  guard: Guard;
  abort: Cancel;
  source: 'upstream' | 'replay';
  /** guardrun added `stream_options.include_usage`: what that adds to the stream is kept from the agent. */
  hideAddedUsage?: boolean;
}

const MAX_TEXT_BODY = 64 * 1024 * 1024;

/** What a relay saw of the answer: for the response line and the charge. */
export interface Outcome {
  usage?: TokenUsage;
  /** False when `usage` is not the provider's final figure (a stream cut before it). */
  usageFinal?: boolean;
  /** The answer ended before its end; see ExchangeResult.cut. */
  cut?: boolean;
  /** The generated text, only when the usage is missing or partial (for an estimate). */
  outputText?: string;
  body?: ReturnType<typeof recordedBody> | { json: RawJson };
  /** A stream's events, as the agent received them and as the upstream sent them (masked for the file when it is written). */
  stream?: StreamRecord;
  ttfbMs?: number;
  error?: ProxyError;
  denied?: boolean;
  /** guardrun answered the agent itself with this status in place of the upstream's whole answer (a response-phase denial). */
  agentStatus?: number;
}

export async function relayResponse(ex: Exchange, up: Dispatcher.ResponseData, res: ServerResponse, ctx: RelayContext): Promise<void> {
  const contentType = String(up.headers['content-type'] ?? '');
  const headers = maskHeaders(agentHeaders(up.headers), ctx.guard.maskText);
  let outcome: Outcome;
  // A stream fills this as it goes, so an answer cut short is still recorded up to where it broke.
  const partial: { outcome?: () => Outcome } = {};
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
    // The reason may quote the upstream (a header value it sent): masked like everything that leaves.
    const failure: ProxyError = { status: gone ? 499 : 502, code: gone ? 'guardrun_client_closed' : 'guardrun_upstream_broke', message: gone ? 'the agent closed the connection' : ctx.guard.maskText(`the upstream answer could not be relayed: ${(error as Error).message}`) };
    ctx.abort.abort();
    if (!gone && !res.headersSent && !res.destroyed) {
      const body = errorBody(ex.provider, failure);
      res.writeHead(failure.status, errorHeaders(body));
      res.end(body);
    } else {
      res.destroy(); // mid-answer: end the agent's side like a dropped connection would
    }
    outcome = { ...partial.outcome?.(), cut: true, error: failure };
  }
  const usage = outcome.usage;
  // What the agent received (session-format.md); the upstream's status beside it when guardrun answered in its place.
  const status = outcome.agentStatus ?? (outcome.error && !res.headersSent ? outcome.error.status : up.statusCode);
  const charge = await ctx.guard.finish(ex, {
    status: up.statusCode, usage, usageFinal: outcome.usageFinal, forwarded: true, cut: outcome.cut, outputText: outcome.outputText, denied: outcome.denied ?? false,
  });
  const postStart = performance.now();
  ctx.recorder.write({
    type: 'response',
    id: ex.id,
    time: new Date().toISOString(),
    status,
    upstreamStatus: status !== up.statusCode ? up.statusCode : undefined,
    headers: maskHeaders(recordableHeaders(up.headers), ctx.guard.maskText),
    body: outcome.body,
    ...(outcome.stream ? await outcome.stream.finish() : {}),
    usage,
    usageEstimated: charge.usageEstimated,
    costUsd: charge.costUsd,
    costEstimated: charge.costEstimated,
    priceIsGuess: charge.priceIsGuess,
    priceEntry: charge.priceEntry === undefined ? undefined : ctx.guard.maskText(charge.priceEntry),
    tier: charge.tier,
    tierFactor: charge.tierFactor,
    ttfbMs: outcome.ttfbMs,
    durationMs: elapsed(ex),
    guardMs: Math.round((ex.guardMs + performance.now() - postStart) * 1000) / 1000,
    error: outcome.error ? { code: outcome.error.code, message: outcome.error.message } : undefined,
    source: outcome.error ? 'guardrun' : ctx.source,
  });
}

async function relayWhole(ex: Exchange, up: Dispatcher.ResponseData, res: ServerResponse, headers: Record<string, string | string[]>, ctx: RelayContext): Promise<Outcome> {
  const chunks: Buffer[] = [];
  let size = 0;
  let firstMs: number | undefined;
  // An agent that leaves does not cancel the request at once: the answer's usage is read on (bounded).
  const readOn = new ReadOn(ctx.abort);
  ctx.abort.keepReading = true;
  const leave = (): void => {
    if (!res.writableFinished) readOn.start();
  };
  res.once('close', leave);
  try {
    for await (const chunk of upstreamChunks(up, ctx.abort)) {
      firstMs ??= performance.now();
      size += chunk.length;
      if (size > MAX_TEXT_BODY) throw new UpstreamBroke(`response body larger than ${MAX_TEXT_BODY} bytes`);
      if (readOn.active && !readOn.take(chunk.length)) throw new Error('the agent closed the connection');
      chunks.push(chunk);
    }
  } finally {
    readOn.end();
    res.off('close', leave);
  }
  const raw = Buffer.concat(chunks, size);
  const text = raw.toString('utf8');
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
  // A successful answer without usage (an unusual upstream) is estimated from its text.
  const outputText = usage === undefined && up.statusCode < 300 ? (json === undefined ? text : bodyOutputText(ex.provider, ex.apiPath, json)) : undefined;
  // Read to the end for its usage, but nobody is left to answer (nor to ask about its tool calls).
  if (readOn.active) return { usage, outputText, ttfbMs, error: AGENT_GONE };
  const filtered = await ctx.guard.openResponse(ex).body(text);
  if ('error' in filtered) {
    const body = errorBody(ex.provider, filtered.error);
    res.writeHead(filtered.error.status, errorHeaders(body));
    res.end(body);
    return { usage, outputText, ttfbMs, error: filtered.error, denied: true, agentStatus: filtered.error.status, body: recordedBody(raw, json !== undefined, ctx.guard.maskText, undefined, true) };
  }
  const out = filtered.text === text ? raw : Buffer.from(filtered.text, 'utf8');
  if (NO_BODY_STATUS.has(up.statusCode)) delete headers['content-length'];
  else if (ex.method === 'HEAD') headers['content-length'] = String(up.headers['content-length'] ?? 0);
  else headers['content-length'] = String(out.length);
  res.writeHead(up.statusCode, headers);
  res.end(out);
  const scanned = ctx.guard.masksResponses ? { text: filtered.text, masked: filtered.text } : undefined;
  return { usage, outputText, ttfbMs, body: recordedBody(out, json !== undefined, ctx.guard.maskText, scanned, true) };
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

// Statuses and methods whose responses carry no body: their content-length describes something else.
const NO_BODY_STATUS = new Set([204, 304]);

function isTextual(contentType: string): boolean {
  return contentType === '' || contentType.includes('json') || contentType.startsWith('text/') || contentType.includes('xml') || contentType.includes('x-www-form-urlencoded');
}
