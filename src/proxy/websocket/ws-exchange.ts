// One exchange of a WebSocket connection (one checked client event) from forwarding to its record: the server
// events it received, its usage, and the single `response` line and `guard.finish` call it ends with.
import { createStreamUsage, type StreamUsage } from '../../cost/usage.js';
import type { Recorder } from '../../recording/recorder.js';
import type { ProxyError } from '../error-response.js';
import { elapsed, transportOf } from '../record-exchange.js';
import { StreamRecord } from '../stream-record.js';
import type { Charge, Exchange, Guard, ResponseFilter } from '../types.js';
import type { ClientRef } from './error-event.js';
import { parseEvent } from '../response/sse.js';

export interface WsEnd {
  /** What the exchange ended as: the HTTP-like status (200 streamed, or an upstream error event's `status`). */
  status: number;
  /** guardrun ended it itself (the agent or the upstream left, the session ended). */
  error?: ProxyError;
}

export class WsExchange {
  readonly filter: ResponseFilter | undefined;
  readonly usage: StreamUsage;
  /** The server events as the agent received them, and the upstream's when they differ. */
  readonly record: StreamRecord;
  /** Item ids of this response's output (withheld with it when a tool call is refused). */
  readonly itemIds = new Set<string>();
  /** `response.created` was seen (so an `error` event is part of the stream, not the request's refusal). */
  started = false;
  /** Realtime: the response id the upstream gave it. */
  responseId: string | undefined;
  /** A tool call was refused: the upstream's remaining events for this response are read (for usage) and dropped. */
  draining = false;
  drainTimer: NodeJS.Timeout | undefined;
  /** Messages handed to the filter as SSE events, by their SSE text, until the filter passes them on unchanged. */
  readonly originals = new Map<string, string>();
  private firstMs: number | undefined;
  private done = false;

  constructor(
    readonly ex: Exchange,
    private readonly guard: Guard,
    private readonly recorder: Recorder,
    private readonly source: 'upstream' | 'replay',
    /** For the stream lane it was sent on (Responses `stream_id`, '' for none). */
    readonly lane: string,
    /** Whether a response (server events) comes back for it. */
    readonly generating: boolean,
    /** How the client event named itself (an `error` from the upstream may name it). */
    readonly ref: ClientRef = {},
  ) {
    this.filter = generating ? guard.openResponse(ex) : undefined;
    const filter = this.filter;
    this.record = new StreamRecord(async (texts) => (filter ? messagesForRecord(filter, texts) : texts.map(guard.maskText)), guard.masksResponses);
    this.usage = createStreamUsage(ex.provider, ex.apiPath);
  }

  get finished(): boolean {
    return this.done;
  }

  /** Notes the arrival of one of its server events (for the time to first event and the events' offsets). */
  arrived(): number {
    const now = performance.now();
    this.firstMs ??= now;
    return Math.round(now - this.firstMs);
  }

  /**
   * Calls `guard.finish` (which prices the answer and settles its budget reservation) and writes the `response`
   * line with that charge: once, whatever happens after. The line follows the charge by a promise turn.
   */
  finish(end: WsEnd): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.drainTimer);
    this.originals.clear();
    const postStart = performance.now();
    const usage = this.usage.result();
    const denied = this.filter?.denied ?? false;
    // A generating exchange ended by guardrun (a side left, the session ended) ended before its end.
    const cut = this.generating && end.error !== undefined;
    const guardStart = performance.now() - postStart;
    void this.guard
      .finish(this.ex, { status: end.error?.status ?? end.status, usage, usageFinal: this.usage.final(), forwarded: true, cut, denied })
      .catch(() => ({}) as Charge)
      .then(async (charge: Charge) => {
        const pending = this.generating ? this.record.finish() : {};
        const stream = pending instanceof Promise ? await pending : pending;
        this.recorder.write({
          type: 'response',
          id: this.ex.id,
          time: new Date().toISOString(),
          status: end.status,
          headers: {},
          ...stream,
          usage,
          usageEstimated: charge.usageEstimated,
          costUsd: charge.costUsd,
          costEstimated: charge.costEstimated,
          priceIsGuess: charge.priceIsGuess,
          priceEntry: charge.priceEntry === undefined ? undefined : this.guard.maskText(charge.priceEntry),
          tier: charge.tier,
          tierFactor: charge.tierFactor,
          ttfbMs: this.firstMs === undefined ? undefined : Math.round((this.firstMs - this.ex.startedMs) * 100) / 100,
          durationMs: elapsed(this.ex),
          guardMs: Math.round((this.ex.guardMs + guardStart) * 1000) / 1000,
          error: end.error ? { code: end.error.code, message: end.error.message } : undefined,
          source: end.error ? 'guardrun' : this.source,
          ...transportOf(this.ex),
        });
      });
  }
}

/** WebSocket messages masked for the file as one stream: each passes the filter as the SSE event it is wrapped in. */
async function messagesForRecord(filter: ResponseFilter, messages: readonly string[]): Promise<string[]> {
  const wrapped = messages.map((m) => `data: ${m.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`);
  const out = await filter.forRecord(wrapped);
  return out.map((text, i) => (text === wrapped[i] ? messages[i] : parseEvent(text).data));
}
