// OpenAI Chat Completions streams (and legacy Completions): one text channel per choice and field
// (content, refusal, text, each tool call's arguments); a choice's tool calls are held from their
// first delta until that choice's finish_reason chunk (or [DONE], or the end), then judged.
import type { ToolCall } from '../../policy/types.js';
import { DeltaChannels } from './stream-channels.js';
import { chatErrorEvent } from './stream-error-event.js';
import type { StreamContext, StreamHandler } from './stream-handler.js';
import { isObj, maskWholeEvent, withData, type Obj } from './stream-json.js';
import { StreamOutbox } from './stream-outbox.js';
import type { SseEvent } from './sse.js';

/** Where a channel's text sits in a chunk, to build a flush delta for it. */
type Slot = { field: 'content' | 'refusal' | 'text' } | { tool: number; field: 'arguments' | 'input'; custom: boolean } | { legacy: true };

interface Template {
  event: SseEvent;
  chunk: Obj;
  choice: number;
  slot: Slot;
}

/** A chunk whose choice carries only this channel's text (no role, id or name that SDKs would take as new). */
function flushChunk(t: Template, text: string): Obj {
  const choice: Obj = { index: t.choice };
  const s = t.slot;
  if ('tool' in s) {
    const fn = s.custom ? { custom: { [s.field]: text } } : { function: { [s.field]: text } };
    choice.delta = { tool_calls: [{ index: s.tool, ...fn }] };
  } else if ('legacy' in s) {
    choice.delta = { function_call: { arguments: text } };
  } else if (s.field === 'text') {
    choice.text = text;
  } else {
    choice.delta = { [s.field]: text };
  }
  choice.logprobs = null;
  choice.finish_reason = null;
  return { ...t.chunk, choices: [choice] };
}

export function createChatStream(ctx: StreamContext): StreamHandler {
  const outbox = new StreamOutbox(ctx.decide, chatErrorEvent);
  const channels = new DeltaChannels<Template>(ctx.scanner);
  // Per choice held back: its tool calls so far, by tool-call index (only when calls are judged).
  const calls = new Map<number, Map<number, ToolCall>>();

  function callOf(choice: number, index: number): ToolCall {
    outbox.hold();
    let byIndex = calls.get(choice);
    if (!byIndex) calls.set(choice, (byIndex = new Map()));
    let call = byIndex.get(index);
    if (!call) byIndex.set(index, (call = { name: '', arguments: '' }));
    return call;
  }

  /** Judges a finished choice's calls; lets the hold go once no choice has calls pending. */
  async function settle(choice: number): Promise<void> {
    const pending = calls.get(choice);
    if (!pending) return;
    calls.delete(choice);
    if ((await outbox.judge([...pending.values()])) && calls.size === 0) outbox.release();
  }

  async function finishAll(): Promise<void> {
    for (const f of channels.flush()) outbox.send(withData(f.template.event, JSON.stringify(flushChunk(f.template, f.text))));
    for (const choice of [...calls.keys()]) await settle(choice);
  }

  async function chunkEvent(e: SseEvent, chunk: Obj, choices: unknown[]): Promise<void> {
    let changed = false;
    const before: string[] = [];
    const finished: number[] = [];
    choices.forEach((choice, position) => {
      if (!isObj(choice)) return;
      const index = typeof choice.index === 'number' ? choice.index : position;
      const touched = new Map<string, { holder: Obj; field: string }>();
      const take = (key: string, holder: Obj, field: string, slot: Slot): void => {
        const text = holder[field];
        if (typeof text !== 'string' || text === '') return;
        touched.set(key, { holder, field });
        const masked = channels.push(key, text, { event: e, chunk, choice: index, slot });
        if (masked !== text) {
          holder[field] = masked;
          changed = true;
        }
      };
      take(`${index}:text`, choice, 'text', { field: 'text' });
      const delta = choice.delta;
      if (isObj(delta)) {
        take(`${index}:content`, delta, 'content', { field: 'content' });
        take(`${index}:refusal`, delta, 'refusal', { field: 'refusal' });
        if (Array.isArray(delta.tool_calls)) {
          delta.tool_calls.forEach((tc, k) => {
            if (!isObj(tc)) return;
            const j = typeof tc.index === 'number' ? tc.index : k;
            const custom = !isObj(tc.function) && isObj(tc.custom);
            const fn = custom ? (tc.custom as Obj) : isObj(tc.function) ? tc.function : undefined;
            const field = custom ? 'input' : 'arguments';
            if (outbox.judging) {
              const call = callOf(index, j);
              if (typeof fn?.name === 'string' && fn.name !== '') call.name = fn.name; // as the SDK does: set, not appended
              if (typeof fn?.[field] === 'string') call.arguments += fn[field];
            }
            if (fn) take(`${index}:tool:${j}`, fn, field, { tool: j, field, custom });
          });
        }
        const legacy = delta.function_call;
        if (isObj(legacy)) {
          if (outbox.judging) {
            const call = callOf(index, -1);
            if (typeof legacy.name === 'string' && legacy.name !== '') call.name = legacy.name;
            if (typeof legacy.arguments === 'string') call.arguments += legacy.arguments;
          }
          take(`${index}:legacy`, legacy, 'arguments', { legacy: true });
        }
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        // The choice is done: what its channels still hold goes into this chunk, or just before it.
        for (const f of channels.flush((_key, t) => t.choice === index)) {
          const own = touched.get(f.key);
          if (own) {
            own.holder[own.field] = String(own.holder[own.field]) + f.text;
            changed = true;
          } else {
            before.push(withData(f.template.event, JSON.stringify(flushChunk(f.template, f.text))));
          }
        }
        finished.push(index);
      }
    });
    for (const text of before) outbox.send(text);
    outbox.send(changed ? withData(e, JSON.stringify(chunk)) : e.raw);
    for (const index of finished) await settle(index);
  }

  return {
    outbox,
    async event(e) {
      const data = e.data;
      if (data === '[DONE]') {
        await finishAll();
        outbox.send(e.raw);
        return;
      }
      let chunk: unknown;
      if (data.includes('"choices"')) {
        try {
          chunk = JSON.parse(data);
        } catch {
          chunk = undefined;
        }
      }
      if (isObj(chunk) && Array.isArray(chunk.choices)) return chunkEvent(e, chunk, chunk.choices);
      outbox.send(maskWholeEvent(e, ctx.scanner));
    },
    end: finishAll,
  };
}
