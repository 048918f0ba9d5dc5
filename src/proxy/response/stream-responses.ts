// OpenAI Responses streams: every `*.delta` event with a string `delta` (output text, refusal, reasoning
// text and summaries, audio transcripts, function/custom/MCP call arguments, code) is a text channel keyed
// by event kind, item and content/summary index, with the logprob tokens of output text as channels of
// their own; a channel ends with its `*.done` event or its item's `response.output_item.done`.
// Tool calls are judged as the clients may assemble them: a `*_call` item is held from
// `response.output_item.added` to its `response.output_item.done`, and judged as its done item says and as
// its deltas spelled it; a call that shows up only in a done item or in the final event's `output` is
// judged before that event goes out. Arguments for an item guardrun did not see start as a call are refused.
// The Realtime API's server events follow the same scheme (`response.output_text.delta`, `response.
// output_audio_transcript.delta`, `response.function_call_arguments.delta`, items added and done) with
// `response.done` as the final event and base64 audio in `response.output_audio.delta`: its dialect below.
import { extractToolCalls } from '../../policy/extract.js';
import type { ToolCall } from '../../policy/types.js';
import type { ProxyError } from '../error-response.js';
import type { Piece } from './event-masker.js';
import { logprobPieces } from './logprobs.js';
import { realtimeErrorEvent, responsesErrorEvent } from './stream-error-event.js';
import { deltaFollow, eventKind, parseObject, StreamCore, UnclassifiableResponse, type StreamContext, type StreamHandler } from './stream-handler.js';
import { isObj, type Obj } from './stream-json.js';
import type { SseEvent } from './sse.js';

interface HeldItem {
  name: string;
  /** The arguments as the deltas spell them. */
  deltas: string;
  /** The arguments as a `*.done` event gave them whole. */
  whole?: string;
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

/** The item an event is about: its `item_id`, else its `output_index`. */
const itemOf = (data: Obj): string => (typeof data.item_id === 'string' ? `id:${data.item_id}` : `at:${String(data.output_index)}`);

function channelKey(kind: string, data: Obj): string {
  return `${kind}|${itemOf(data)}|${String(data.content_index ?? data.summary_index ?? '')}`;
}

const signature = (c: ToolCall): string => `${c.name}\u0000${c.arguments}`;

export function createResponsesStream(ctx: StreamContext, dialect: ResponsesDialect = responsesDialect(ctx.websocket === true)): StreamHandler {
  let lastData = '';
  // The error event continues the upstream's numbering.
  const nextSequence = (): number => {
    const m = /"sequence_number"\s*:\s*(\d+)/.exec(lastData);
    return m ? Number(m[1]) + 1 : 0;
  };
  const core = new StreamCore(ctx, (error) => dialect.errorEvent(error, nextSequence()));
  const outbox = core.outbox;
  const held = new Map<unknown, HeldItem>(); // by output_index
  const itemIds = new Map<unknown, string>(); // output_index → item id, to end its channels
  const judged: string[] = []; // signatures of the calls judged so far (a multiset)

  /** Ends the channels of one output item (by index or id). */
  const endItem = (outputIndex: unknown, itemId: unknown): void => {
    const ids = new Set([`at:${String(outputIndex)}`, ...(typeof itemId === 'string' ? [`id:${itemId}`] : []), ...(itemIds.has(outputIndex) ? [`id:${itemIds.get(outputIndex)}`] : [])]);
    core.end((key) => ids.has(key.split('|')[1]));
  };

  async function judge(calls: ToolCall[]): Promise<boolean> {
    if (calls.length === 0) return true;
    judged.push(...calls.map(signature));
    return outbox.judge(calls);
  }

  /** The calls a done item (or, cut short, the deltas) amounts to: each way a client may assemble it. */
  function callsOfItem(call: HeldItem | undefined, item: unknown): ToolCall[] {
    const done = isObj(item) ? extractToolCalls({ output: [item] }) : [];
    const out = [...done];
    if (call) {
      for (const args of [call.deltas, call.whole]) {
        if (args === undefined || (args === '' && isObj(item))) continue;
        const name = done[0]?.name ?? call.name;
        if (!out.some((c) => c.name === name && c.arguments === args)) out.push({ name, arguments: args });
      }
    }
    return out;
  }

  async function settle(outputIndex: unknown, item: unknown): Promise<void> {
    const call = held.get(outputIndex);
    held.delete(outputIndex);
    if ((await judge(callsOfItem(call, item))) && held.size === 0) outbox.release();
  }

  function deltaEvent(e: SseEvent, kind: string, data: Obj): void {
    if (typeof data.delta !== 'string') return core.put(e, data, []);
    const text = data.delta;
    if (ARGUMENT_DELTAS.has(kind) && outbox.judging) {
      const call = held.get(data.output_index);
      if (!call) throw new UnclassifiableResponse(`the upstream sent ${kind} for output ${String(data.output_index)}, which guardrun did not see start as a tool call`);
      call.deltas += text;
    }
    const key = channelKey(kind.slice(0, -'.delta'.length), data);
    // Function and MCP call arguments are JSON the client parses again; a custom tool's input is plain text.
    const json = kind === 'response.function_call_arguments.delta' || kind === 'response.mcp_call_arguments.delta';
    const pieces: Piece[] = [{ channel: key, path: ['delta'], text, ...(json ? { json } : {}) }, ...logprobPieces(data.logprobs, ['logprobs'], `${key}|logprobs`)];
    core.put(e, data, pieces, deltaFollow(data));
  }

  function itemAdded(e: SseEvent, data: Obj): void {
    const item = data.item;
    if (isObj(item) && typeof item.id === 'string') itemIds.set(data.output_index, item.id);
    if (outbox.judging && isObj(item) && typeof item.type === 'string' && item.type.endsWith('_call')) {
      held.set(data.output_index, { name: typeof item.name === 'string' ? item.name : item.type.slice(0, -'_call'.length), deltas: '' });
      core.hold(() => held.size > 0);
    }
    core.putWhole(e);
  }

  async function itemDone(e: SseEvent, data: Obj): Promise<void> {
    const at = data.output_index;
    endItem(at, isObj(data.item) ? data.item.id : undefined);
    const call = held.get(at);
    // A call guardrun did not see added is held here: its done item is judged before the event goes out.
    if (!call && outbox.judging && callsOfItem(undefined, data.item).length > 0) {
      held.set(at, { name: '', deltas: '' });
      core.hold(() => held.size > 0);
    }
    core.putWhole(e);
    if (held.has(at)) await settle(at, data.item);
  }

  function channelDone(e: SseEvent, kind: string, data: Obj): void {
    const ended = channelKey(kind.slice(0, -'.done'.length), data);
    core.end((key) => key === ended || key.startsWith(`${ended}|`));
    const call = held.get(data.output_index);
    if (call && typeof data.arguments === 'string') call.whole = data.arguments;
    if (call && typeof data.input === 'string') call.whole = data.input;
    core.putWhole(e);
  }

  /** The final event repeats the whole output: calls in it that were not judged are judged before it goes out. */
  async function finalEvent(e: SseEvent, data: Obj): Promise<void> {
    core.end();
    const unseen = [...judged];
    const fresh = (isObj(data.response) ? extractToolCalls(data.response) : []).filter((c) => {
      const at = unseen.indexOf(signature(c));
      if (at === -1) return true;
      unseen.splice(at, 1);
      return false;
    });
    if (fresh.length > 0) core.hold(() => true);
    core.putWhole(e);
    if (fresh.length > 0 && !(await judge(fresh))) return;
    for (const at of [...held.keys()]) await settle(at, undefined);
    if (held.size === 0) outbox.release();
  }

  return {
    outbox,
    get waiting() {
      return core.masker.waiting;
    },
    async event(e) {
      lastData = e.data;
      const data = parseObject(e.data);
      const kind = eventKind(e, data);
      if (!data) return core.putWhole(e);
      if (kind.endsWith('.delta') && !dialect.notText.has(kind)) return deltaEvent(e, kind, data);
      if (kind === 'response.output_item.added') return itemAdded(e, data);
      if (kind === 'response.output_item.done') return itemDone(e, data);
      if (kind.endsWith('.done')) return channelDone(e, kind, data);
      if (dialect.final.has(kind)) return finalEvent(e, data);
      core.putWhole(e);
    },
    async end() {
      core.end();
      for (const at of [...held.keys()]) await settle(at, undefined);
    },
  };
}
