// Anthropic Messages streams: one text channel per content block (text, thinking, tool input JSON),
// ended by its content_block_stop. A tool_use block (also server_tool_use, mcp_tool_use) is held
// from its content_block_start to its content_block_stop, then judged.
import type { ToolCall } from '../../policy/types.js';
import { DeltaChannels } from './stream-channels.js';
import { anthropicErrorEvent } from './stream-error-event.js';
import type { StreamContext, StreamHandler } from './stream-handler.js';
import { isObj, maskWholeEvent, parseData, withData, type Obj } from './stream-json.js';
import { StreamOutbox } from './stream-outbox.js';
import type { SseEvent } from './sse.js';

interface Template {
  event: SseEvent;
  data: Obj;
  deltaType: string;
  field: string;
}

interface HeldBlock {
  name: string;
  /** The `input` of content_block_start, used when no input_json_delta follows. */
  input: unknown;
  json: string;
}

const TOOL_BLOCKS = new Set(['tool_use', 'server_tool_use', 'mcp_tool_use']);
const TEXT_FIELD: Record<string, string> = { text_delta: 'text', input_json_delta: 'partial_json', thinking_delta: 'thinking' };

/** The arguments as the plain-body path sees them (JSON of the parsed input), when the streamed JSON parses. */
function argumentsOf(block: HeldBlock): string {
  if (block.json === '') return JSON.stringify(block.input ?? {});
  try {
    return JSON.stringify(JSON.parse(block.json));
  } catch {
    return block.json;
  }
}

function flushEvent(t: Template, text: string): string {
  return withData(t.event, JSON.stringify({ ...t.data, delta: { type: t.deltaType, [t.field]: text } }));
}

export function createAnthropicStream(ctx: StreamContext): StreamHandler {
  const outbox = new StreamOutbox(ctx.decide, anthropicErrorEvent);
  const channels = new DeltaChannels<Template>(ctx.scanner);
  const held = new Map<unknown, HeldBlock>(); // by content block index

  async function settle(index: unknown): Promise<void> {
    const block = held.get(index);
    if (!block) return;
    held.delete(index);
    const call: ToolCall = { name: block.name, arguments: argumentsOf(block) };
    if ((await outbox.judge([call])) && held.size === 0) outbox.release();
  }

  function deltaEvent(e: SseEvent): void {
    const data = parseData(e);
    const delta = data?.delta;
    if (!data || !isObj(delta)) return outbox.send(maskWholeEvent(e, ctx.scanner));
    // A thinking block's signature must reach the API again byte for byte.
    if (delta.type === 'signature_delta') return outbox.send(e.raw);
    const deltaType = String(delta.type);
    const field = TEXT_FIELD[deltaType];
    const text = field === undefined ? undefined : delta[field];
    if (typeof text !== 'string') return outbox.send(maskWholeEvent(e, ctx.scanner));
    const block = held.get(data.index);
    if (block && field === 'partial_json') block.json += text;
    const masked = channels.push(String(data.index), text, { event: e, data, deltaType, field });
    if (masked === text) return outbox.send(e.raw);
    delta[field] = masked;
    outbox.send(withData(e, JSON.stringify(data)));
  }

  function blockStart(e: SseEvent): void {
    const data = parseData(e);
    const block = data?.content_block;
    if (outbox.judging && isObj(block) && TOOL_BLOCKS.has(String(block.type))) {
      outbox.hold();
      held.set(data?.index, { name: typeof block.name === 'string' ? block.name : '', input: block.input, json: '' });
    }
    outbox.send(maskWholeEvent(e, ctx.scanner));
  }

  async function blockStop(e: SseEvent): Promise<void> {
    const index = parseData(e)?.index;
    for (const f of channels.flush((key) => key === String(index))) outbox.send(flushEvent(f.template, f.text));
    outbox.send(e.raw);
    await settle(index);
  }

  async function finishAll(): Promise<void> {
    for (const f of channels.flush()) outbox.send(flushEvent(f.template, f.text));
    for (const index of [...held.keys()]) await settle(index);
  }

  return {
    outbox,
    async event(e) {
      switch (e.event) {
        case 'ping':
          return outbox.send(e.raw);
        case 'content_block_delta':
          return deltaEvent(e);
        case 'content_block_start':
          return blockStart(e);
        case 'content_block_stop':
          return blockStop(e);
        case 'message_stop':
          await finishAll();
          return outbox.send(maskWholeEvent(e, ctx.scanner));
        default:
          return outbox.send(maskWholeEvent(e, ctx.scanner));
      }
    },
    end: finishAll,
  };
}
