// OpenAI Responses streams: every `*.delta` event with a string `delta` (output text, refusal,
// reasoning summaries, function/custom/MCP call arguments, code) is a text channel keyed by event kind
// and output/content index, ended by its `*.done` event or its item's `response.output_item.done`.
// A tool-call item (`*_call`) is held from `response.output_item.added` to its `response.output_item.done`.
// The Realtime API's server events follow the same scheme (`response.output_text.delta`, `response.
// output_audio_transcript.delta`, `response.function_call_arguments.delta`, items added and done) with
// `response.done` as the final event and base64 audio in `response.output_audio.delta`: its dialect below.
import { extractToolCalls } from '../../policy/extract.js';
import { DeltaChannels } from './stream-channels.js';
import type { ProxyError } from '../error-response.js';
import { realtimeErrorEvent, responsesErrorEvent } from './stream-error-event.js';
import type { StreamContext, StreamHandler } from './stream-handler.js';
import { isObj, maskWholeEvent, parseData, withData, type Obj } from './stream-json.js';
import { StreamOutbox } from './stream-outbox.js';
import type { SseEvent } from './sse.js';

interface Template {
  event: SseEvent;
  data: Obj;
  outputIndex: unknown;
}

interface HeldItem {
  name: string;
  arguments: string;
}

const ARGUMENT_DELTAS = new Set(['response.function_call_arguments.delta', 'response.custom_tool_call_input.delta', 'response.mcp_call_arguments.delta']);

/** What differs between the Responses API's events and the Realtime API's. */
export interface ResponsesDialect {
  /** Events that end a response (and repeat its whole output). */
  final: ReadonlySet<string>;
  /** `*.delta` events whose delta is base64 audio, not text: masking it could only corrupt it. */
  notText: ReadonlySet<string>;
  /** The event(s) that end a refused stream; `sequence` continues the upstream's numbering. */
  errorEvent(error: ProxyError, sequence: number): string | string[];
}

export const RESPONSES_FINAL: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);
export const REALTIME_FINAL: ReadonlySet<string> = new Set(['response.done']);

export function responsesDialect(websocket: boolean): ResponsesDialect {
  return { final: RESPONSES_FINAL, notText: new Set(['response.audio.delta']), errorEvent: (error, seq) => responsesErrorEvent(error, seq, websocket) };
}

/** Realtime (GA names and the beta's `response.text.delta` / `response.audio.delta`). */
export const REALTIME_DIALECT: ResponsesDialect = {
  final: REALTIME_FINAL,
  notText: new Set(['response.output_audio.delta', 'response.audio.delta']),
  errorEvent: (error) => realtimeErrorEvent(error),
};

function channelKey(kind: string, data: Obj): string {
  return `${kind}|${String(data.output_index)}|${String(data.content_index ?? data.summary_index ?? '')}`;
}

/** The event kind from the data, for a stream without `event:` lines. */
function typeOf(e: SseEvent): string {
  const type = parseData(e)?.type;
  return typeof type === 'string' ? type : '';
}

function flushEvent(t: Template, text: string): string {
  const data: Obj = { ...t.data, delta: text };
  if (Array.isArray(data.logprobs)) data.logprobs = []; // they belong to the event they came with
  return withData(t.event, JSON.stringify(data));
}

export function createResponsesStream(ctx: StreamContext, dialect: ResponsesDialect = responsesDialect(ctx.websocket === true)): StreamHandler {
  let lastData = '';
  // The error event continues the upstream's numbering.
  const nextSequence = (): number => {
    const m = /"sequence_number"\s*:\s*(\d+)/.exec(lastData);
    return m ? Number(m[1]) + 1 : 0;
  };
  const outbox = new StreamOutbox(ctx.decide, (error) => dialect.errorEvent(error, nextSequence()));
  const channels = new DeltaChannels<Template>(ctx.scanner);
  const held = new Map<unknown, HeldItem>(); // by output_index

  const sendFlushed = (match?: (key: string, t: Template) => boolean): void => {
    for (const f of channels.flush(match)) outbox.send(flushEvent(f.template, f.text));
  };

  async function settle(outputIndex: unknown, item: unknown): Promise<void> {
    const call = held.get(outputIndex);
    if (!call) return;
    held.delete(outputIndex);
    const done = isObj(item) ? extractToolCalls({ output: [item] }) : [];
    // Without a done item (a cut stream), judge what the deltas said; a server-side item with no call is not judged.
    const calls = done.length > 0 || isObj(item) ? done : [call];
    if ((await outbox.judge(calls)) && held.size === 0) outbox.release();
  }

  function deltaEvent(e: SseEvent, kind: string): void {
    const data = parseData(e);
    if (!data || typeof data.delta !== 'string') return outbox.send(maskWholeEvent(e, ctx.scanner));
    const text = data.delta;
    if (ARGUMENT_DELTAS.has(kind)) {
      const call = held.get(data.output_index);
      if (call) call.arguments += text;
    }
    const masked = channels.push(channelKey(kind.slice(0, -'.delta'.length), data), text, { event: e, data, outputIndex: data.output_index });
    if (masked === text) return outbox.send(e.raw);
    data.delta = masked;
    outbox.send(withData(e, JSON.stringify(data)));
  }

  function itemAdded(e: SseEvent): void {
    const data = parseData(e);
    const item = data?.item;
    if (outbox.judging && isObj(item) && typeof item.type === 'string' && item.type.endsWith('_call')) {
      outbox.hold();
      held.set(data?.output_index, { name: typeof item.name === 'string' ? item.name : item.type.slice(0, -'_call'.length), arguments: '' });
    }
    outbox.send(maskWholeEvent(e, ctx.scanner));
  }

  async function doneEvent(e: SseEvent, kind: string): Promise<void> {
    if (kind === 'response.output_item.done') {
      const data = parseData(e);
      const at = data?.output_index;
      sendFlushed((_key, t) => t.outputIndex === at);
      outbox.send(maskWholeEvent(e, ctx.scanner));
      return settle(at, data?.item);
    }
    const prefix = `${kind.slice(0, -'.done'.length)}|`;
    let key: string | undefined;
    sendFlushed((k) => {
      if (!k.startsWith(prefix)) return false;
      key ??= channelKey(prefix.slice(0, -1), parseData(e) ?? {});
      return k === key;
    });
    outbox.send(maskWholeEvent(e, ctx.scanner));
  }

  async function finishAll(): Promise<void> {
    sendFlushed();
    for (const at of [...held.keys()]) await settle(at, undefined);
  }

  return {
    outbox,
    async event(e) {
      lastData = e.data;
      const kind = e.event ?? typeOf(e);
      if (kind.endsWith('.delta') && !dialect.notText.has(kind)) return deltaEvent(e, kind);
      if (kind === 'response.output_item.added') return itemAdded(e);
      if (kind.endsWith('.done')) return doneEvent(e, kind);
      if (dialect.final.has(kind)) {
        // Anything still open ends here; the final event (which repeats the whole output) waits with a held call.
        sendFlushed();
        outbox.send(maskWholeEvent(e, ctx.scanner));
        for (const at of [...held.keys()]) await settle(at, undefined);
        return;
      }
      outbox.send(maskWholeEvent(e, ctx.scanner));
    },
    end: finishAll,
  };
}
