// Anthropic Messages streams: one text channel per content block (text, thinking, tool input JSON),
// ended by its content_block_stop. Events are classified by their data's `type` (what the SDKs dispatch
// on; an `event:` name that contradicts it is refused). A tool_use block (also server_tool_use,
// mcp_tool_use) is held from its content_block_start to its content_block_stop, then judged; tool input
// for a block that did not start as a tool call, or a block that goes on after its stop, is refused.
import type { ToolCall } from '../../policy/types.js';
import type { Piece } from './event-masker.js';
import { anthropicErrorEvent } from './stream-error-event.js';
import { eventKind, parseObject, StreamCore, UnclassifiableResponse, type StreamContext, type StreamHandler } from './stream-handler.js';
import { isObj, type Obj } from './stream-json.js';
import type { SseEvent } from './sse.js';

interface HeldBlock {
  name: string;
  /** The `input` of content_block_start, used when no input_json_delta follows. */
  input: unknown;
  json: string;
}

const TOOL_BLOCKS = new Set(['tool_use', 'server_tool_use', 'mcp_tool_use']);
const TEXT_FIELD: Record<string, string> = { text_delta: 'text', input_json_delta: 'partial_json', thinking_delta: 'thinking' };

/** The arguments as the plain-body path sees them (JSON of the parsed input), when the streamed JSON parses. */
function argumentsOf(block: HeldBlock): string[] {
  const start = JSON.stringify(block.input ?? {});
  if (block.json === '') return [start];
  let streamed = block.json;
  try {
    streamed = JSON.stringify(JSON.parse(block.json));
  } catch {
    // judged as it came
  }
  // With both a non-empty start input and deltas, clients differ on which wins: judge both.
  return start === '{}' || start === streamed ? [streamed] : [streamed, start];
}

export function createAnthropicStream(ctx: StreamContext): StreamHandler {
  const core = new StreamCore(ctx, anthropicErrorEvent);
  const outbox = core.outbox;
  const held = new Map<unknown, HeldBlock>(); // by content block index
  const started = new Set<string>(); // content block indexes seen start

  async function settle(index: unknown): Promise<void> {
    const block = held.get(index);
    if (!block) return;
    held.delete(index);
    const calls: ToolCall[] = argumentsOf(block).map((args) => ({ name: block.name, arguments: args }));
    if ((await outbox.judge(calls)) && held.size === 0) outbox.release();
  }

  function deltaEvent(e: SseEvent, data: Obj): void {
    const delta = data.delta;
    if (!isObj(delta)) return core.putWhole(e);
    // A thinking block's signature must reach the API again byte for byte.
    if (delta.type === 'signature_delta') return core.putRaw(e);
    const key = String(data.index);
    if (core.masker.ended(key)) throw new UnclassifiableResponse(`the upstream sent content for block ${key} after its content_block_stop`);
    const field = TEXT_FIELD[String(delta.type)];
    const text = field === undefined ? undefined : delta[field];
    if (typeof text !== 'string') return core.put(e, data, []);
    if (field === 'partial_json' && outbox.judging) {
      const block = held.get(data.index);
      if (!block) throw new UnclassifiableResponse(`the upstream sent tool input for block ${key}, which did not start as a tool call`);
      block.json += text;
    }
    const json = field === 'partial_json'; // tool input: JSON the client parses again
    const pieces: Piece[] = text === '' ? [] : [{ channel: key, path: ['delta', field], text, ...(json ? { json } : {}) }];
    core.put(e, data, pieces);
  }

  function blockStart(e: SseEvent, data: Obj): void {
    const key = String(data.index);
    if (started.has(key)) throw new UnclassifiableResponse(`the upstream started content block ${key} twice`);
    started.add(key);
    const block = data.content_block;
    if (outbox.judging && isObj(block) && TOOL_BLOCKS.has(String(block.type))) {
      held.set(data.index, { name: typeof block.name === 'string' ? block.name : '', input: block.input, json: '' });
      core.hold(() => held.size > 0);
    }
    core.putWhole(e);
  }

  async function blockStop(e: SseEvent, data: Obj): Promise<void> {
    const key = String(data.index);
    core.close(key); // also a block that streamed nothing: more for it later is refused
    core.putWhole(e);
    await settle(data.index);
  }

  async function finishAll(): Promise<void> {
    core.end();
    for (const index of [...held.keys()]) await settle(index);
  }

  return {
    outbox,
    get waiting() {
      return core.masker.waiting;
    },
    async event(e) {
      const data = parseObject(e.data);
      const kind = eventKind(e, data);
      if (!data) return core.putWhole(e);
      switch (kind) {
        case 'content_block_delta':
          return deltaEvent(e, data);
        case 'content_block_start':
          return blockStart(e, data);
        case 'content_block_stop':
          return blockStop(e, data);
        case 'message_stop':
          await finishAll();
          return core.putWhole(e);
        default:
          return core.putWhole(e);
      }
    },
    end: finishAll,
  };
}
