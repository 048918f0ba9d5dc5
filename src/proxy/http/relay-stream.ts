// A streamed answer, event by event, to the agent; and the read-on that keeps an answer's usage when nobody
// takes the rest of it. The provider bills what it generated whether or not anyone reads it: when the agent
// leaves mid-stream (Codex closes a Responses stream after its last `response.output_item.done`) or a response
// rule withholds a tool call, the usage still follows (chat: the usage chunk; Responses: `response.completed`;
// Anthropic: the cumulative `message_delta`). guardrun reads on, relaying nothing, until that usage arrives or
// a bound is reached (READ_ON_MS, READ_ON_BYTES); past the bound it cancels the request and the charge falls
// back to an estimate (session/charge.ts).
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { streamOutputText } from '../../cost/output-text.js';
import { createStreamUsage } from '../../cost/usage.js';
import type { Cancel } from '../cancel.js';
import type { ProxyError } from '../error-response.js';
import { parseEvent, SseSplitter, type SseEvent } from '../response/sse.js';
import { StreamRecord } from '../stream-record.js';
import type { Exchange } from '../types.js';
import type { Outcome, RelayContext } from './relay.js';
import { withoutAddedUsage } from './stream-usage.js';

/** How long, and how many bytes, guardrun reads on for an answer's usage once nobody takes the rest. */
export const READ_ON_MS = 10_000;
export const READ_ON_BYTES = 16 * 1024 * 1024;

export const AGENT_GONE: ProxyError = { status: 499, code: 'guardrun_client_closed', message: 'the agent closed the connection' };

/** The upstream's body failed mid-answer (as opposed to the agent leaving). */
export class UpstreamBroke extends Error {}

/** Iterates the upstream body, telling its failures apart from the agent's. */
export async function* upstreamChunks(up: Dispatcher.ResponseData, cancel: Cancel): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    if (cancel.aborted) throw error;
    throw new UpstreamBroke((error as Error).message);
  }
}

/** Reading on without relaying, bounded in time (it cancels the request when the time is up) and in bytes. */
export class ReadOn {
  private timer: NodeJS.Timeout | undefined;
  private bytes = 0;
  active = false;
  /** The bound was reached and the request cancelled. */
  stopped = false;

  constructor(private readonly cancel: Cancel) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.timer = setTimeout(() => this.stop(), READ_ON_MS);
    this.timer.unref();
  }

  /** Counts bytes read on; false once past the byte bound (the request is then cancelled). */
  take(bytes: number): boolean {
    this.bytes += bytes;
    if (this.bytes <= READ_ON_BYTES) return true;
    this.stop();
    return false;
  }

  stop(): void {
    this.stopped = true;
    this.end();
    this.cancel.abort();
  }

  end(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export async function relayStream(
  ex: Exchange,
  up: Dispatcher.ResponseData,
  res: ServerResponse,
  headers: Record<string, string | string[]>,
  ctx: RelayContext,
  partial: { outcome?: () => Outcome },
): Promise<Outcome> {
  res.writeHead(up.statusCode, headers);
  res.flushHeaders();
  const filter = ctx.guard.openResponse(ex);
  const splitter = new SseSplitter();
  const usage = createStreamUsage(ex.provider, ex.apiPath);
  const record = new StreamRecord((texts) => filter.forRecord(texts), ctx.guard.masksResponses);
  const unrelayed: string[] = []; // events read on after the agent left or a deny, for an output estimate
  const readOn = new ReadOn(ctx.abort);
  let firstMs: number | undefined;
  let agentLeft = false;
  let complete = false; // the upstream's stream reached its own end
  const outcome = (): Outcome => {
    const final = usage.final();
    const outputText = final ? undefined : streamOutputText(ex.provider, ex.apiPath, [...record.agentTexts().map((e) => parseEvent(e).data), ...unrelayed]);
    return { usage: usage.result(), usageFinal: final, cut: !complete && !final, outputText, stream: record, ttfbMs: ttfb(firstMs, ex), denied: filter.denied, error: agentLeft ? AGENT_GONE : undefined };
  };
  partial.outcome = outcome;
  // From here the agent leaving does not cancel the request at once: the read-on below decides.
  ctx.abort.keepReading = true;
  const leave = (): void => {
    if (!res.writableFinished && !filter.closed) agentLeft = true;
    if (agentLeft) readOn.start();
  };
  res.once('close', leave);
  const relaying = (): boolean => !agentLeft && !filter.closed;
  const since = (): number => (firstMs === undefined ? 0 : Math.round(performance.now() - firstMs));
  /** The upstream's event as it answers the agent's request (without the usage guardrun asked for); undefined when it is that addition. */
  const arrived = (raw: SseEvent): SseEvent | undefined => {
    const event = ctx.hideAddedUsage ? withoutAddedUsage(raw) : raw;
    if (event) record.upstreamEvent(event.raw, since());
    return event;
  };
  const send = async (filtered: string[]): Promise<void> => {
    for (const event of filtered) {
      if (agentLeft) return; // (a filter that closes still sends its own last words: the error event)
      // Safety net: the filter masks the fields it knows; a secret in any other field is masked here.
      const text = ctx.guard.maskOutgoing(event);
      record.agentEvent(text, since());
      try {
        if (!res.write(text)) await drained(res);
      } catch {
        leave();
        return;
      }
    }
  };
  try {
    let early = false;
    for await (const chunk of upstreamChunks(up, ctx.abort)) {
      if (firstMs === undefined) firstMs = performance.now();
      if (readOn.active && !readOn.take(chunk.length)) {
        early = true;
        break;
      }
      for (const raw of splitter.push(chunk)) {
        usage.onEvent(raw.event, raw.data);
        const event = arrived(raw);
        if (!relaying()) {
          unrelayed.push(raw.data);
          continue;
        }
        if (!event) continue;
        await send(await filter.event(event));
        if (filter.closed) {
          res.end(); // the agent has its error event; the rest is read on for the usage only
          readOn.start();
        }
      }
      if (readOn.active && usage.final()) {
        early = true; // the usage is in: nothing more is needed
        break;
      }
    }
    complete = !early;
  } catch (error) {
    // Reading on, a cancel (the bound) or a broken upstream just ends it: the charge covers what is missing.
    if (!readOn.active) throw error;
  } finally {
    readOn.end();
    res.off('close', leave);
  }
  if (readOn.active) {
    if (!complete && !ctx.abort.aborted) ctx.abort.abort(); // stop whatever the upstream would still send
    return outcome();
  }
  const rest = splitter.rest();
  if (rest.length > 0) {
    const raw = parseEvent(rest);
    usage.onEvent(raw.event, raw.data);
    const event = arrived(raw);
    if (event) await send(await filter.event(event));
  }
  await send(await filter.end());
  res.end();
  return outcome();
}

/** Waits for room to write; rejects if the agent's connection closes first (then no 'drain' ever comes). */
export function drained(res: ServerResponse): Promise<void> {
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

function ttfb(firstMs: number | undefined, ex: Exchange): number | undefined {
  return firstMs === undefined ? undefined : Math.round((firstMs - ex.startedMs) * 100) / 100;
}
