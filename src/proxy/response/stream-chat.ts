// OpenAI Chat Completions streams (and legacy Completions, and OpenAI-compatible servers): per choice, a
// text channel for each field the clients concatenate (`content`, `refusal`, `reasoning_content`,
// `reasoning`, `audio.transcript`, each tool call's `arguments`/`input`, legacy `function_call.arguments`
// and `text`, and the logprob tokens of content and refusal). A choice's tool calls are held from their
// first delta until its finish_reason chunk (or [DONE], or the end), then judged; anything more for a
// finished choice is refused, since the clients would still append it.
import type { ToolCall } from '../../policy/types.js';
import type { Piece } from './event-masker.js';
import type { JsonPath } from './json-edit.js';
import { legacyTokenPieces, logprobPieces } from './logprobs.js';
import { chatErrorEvent } from './stream-error-event.js';
import { deltaFollow, parseObject, StreamCore, UnclassifiableResponse, type StreamContext, type StreamHandler } from './stream-handler.js';
import { isObj, type Obj } from './stream-json.js';
import type { SseEvent } from './sse.js';

/** Fields of a choice's delta that the clients concatenate across chunks. */
const DELTA_TEXT = ['content', 'refusal', 'reasoning_content', 'reasoning'] as const;

interface HeldCall {
  /** Every name a delta gave it: the SDKs differ on which one counts (the first, or the last). */
  names: string[];
  arguments: string;
}

export function createChatStream(ctx: StreamContext): StreamHandler {
  const core = new StreamCore(ctx, chatErrorEvent);
  const outbox = core.outbox;
  // Per choice held back: its tool calls so far, by tool-call index (only when calls are judged).
  const calls = new Map<number, Map<number, HeldCall>>();
  const finished = new Set<number>();

  /** The held call of a choice (a new one starts the hold-back); `starts` is set when it is new. */
  function callOf(choice: number, index: number, starts: { value: boolean }): HeldCall {
    let byIndex = calls.get(choice);
    if (!byIndex) calls.set(choice, (byIndex = new Map()));
    let call = byIndex.get(index);
    if (!call) {
      byIndex.set(index, (call = { names: [], arguments: '' }));
      starts.value = true;
    }
    return call;
  }

  /** Judges a finished choice's calls; lets the hold go once no choice has calls pending. */
  async function settle(choice: number): Promise<void> {
    const pending = calls.get(choice);
    if (!pending) return;
    calls.delete(choice);
    const judged: ToolCall[] = [];
    for (const call of pending.values()) {
      const names = call.names.length > 0 ? call.names : [''];
      for (const name of names) judged.push({ name, arguments: call.arguments });
    }
    if ((await outbox.judge(judged)) && calls.size === 0) outbox.release();
  }

  async function finishAll(): Promise<void> {
    core.end();
    for (const choice of [...calls.keys()]) await settle(choice);
  }

  function choicePieces(choice: Obj, index: number, at: JsonPath, starts: { value: boolean }): Piece[] {
    const pieces: Piece[] = [];
    const channel = (field: string): string => `${index}:${field}`;
    const text = (value: unknown, field: string, path: JsonPath, json = false): void => {
      if (typeof value === 'string' && value !== '') pieces.push({ channel: channel(field), path, text: value, ...(json ? { json } : {}) });
    };
    text(choice.text, 'text', [...at, 'text']);
    const delta = choice.delta;
    if (isObj(delta)) {
      for (const field of DELTA_TEXT) text(delta[field], field, [...at, 'delta', field]);
      if (isObj(delta.audio)) text(delta.audio.transcript, 'audio.transcript', [...at, 'delta', 'audio', 'transcript']);
      if (Array.isArray(delta.tool_calls)) {
        delta.tool_calls.forEach((tc, k) => {
          if (!isObj(tc)) return;
          const j = typeof tc.index === 'number' ? tc.index : k;
          const custom = !isObj(tc.function) && isObj(tc.custom);
          const holder = custom ? 'custom' : 'function';
          const fn = isObj(tc[holder]) ? (tc[holder] as Obj) : undefined;
          const field = custom ? 'input' : 'arguments';
          if (outbox.judging) {
            const call = callOf(index, j, starts);
            // openai-node takes the last name a delta gives, the Vercel AI SDK the first: judge each.
            if (typeof fn?.name === 'string' && fn.name !== '' && !call.names.includes(fn.name)) call.names.push(fn.name);
            if (typeof fn?.[field] === 'string') call.arguments += fn[field];
          }
          if (fn) text(fn[field], `tool:${j}`, [...at, 'delta', 'tool_calls', k, holder, field], !custom);
        });
      }
      const legacy = delta.function_call;
      if (isObj(legacy)) {
        if (outbox.judging) {
          const call = callOf(index, -1, starts);
          if (typeof legacy.name === 'string' && legacy.name !== '' && !call.names.includes(legacy.name)) call.names.push(legacy.name);
          if (typeof legacy.arguments === 'string') call.arguments += legacy.arguments;
        }
        text(legacy.arguments, 'legacy', [...at, 'delta', 'function_call', 'arguments'], true);
      }
    }
    const logprobs = choice.logprobs;
    if (isObj(logprobs)) {
      pieces.push(...logprobPieces(logprobs.content, [...at, 'logprobs', 'content'], channel('logprobs.content')));
      pieces.push(...logprobPieces(logprobs.refusal, [...at, 'logprobs', 'refusal'], channel('logprobs.refusal')));
      pieces.push(...legacyTokenPieces(logprobs, [...at, 'logprobs'], channel('logprobs.tokens')));
    }
    return pieces;
  }

  async function chunkEvent(e: SseEvent, chunk: Obj, choices: unknown[]): Promise<void> {
    const pieces: Piece[] = [];
    const finishing: number[] = [];
    const starts = { value: false };
    choices.forEach((choice, position) => {
      if (!isObj(choice)) return;
      const index = typeof choice.index === 'number' ? choice.index : position;
      const own = choicePieces(choice, index, ['choices', position], starts);
      const delta = isObj(choice.delta) ? choice.delta : {};
      const calls = (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) || isObj(delta.function_call);
      if (finished.has(index) && (own.length > 0 || calls)) {
        throw new UnclassifiableResponse(`the upstream continued choice ${index} after its finish_reason`);
      }
      pieces.push(...own);
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) finishing.push(index);
    });
    if (starts.value) core.hold(() => calls.size > 0);
    core.put(e, chunk, pieces, deltaFollow(chunk));
    for (const index of finishing) {
      // The choice is done: what its channels held goes out now, unchanged unless masked.
      finished.add(index);
      core.end((key) => key.startsWith(`${index}:`));
      await settle(index);
    }
  }

  return {
    outbox,
    get waiting() {
      return core.masker.waiting;
    },
    async event(e) {
      if (e.data === '[DONE]') {
        await finishAll();
        core.putRaw(e);
        return;
      }
      const chunk = parseObject(e.data);
      if (chunk && Array.isArray(chunk.choices)) return chunkEvent(e, chunk, chunk.choices);
      core.putWhole(e);
    },
    end: finishAll,
  };
}
