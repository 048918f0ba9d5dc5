// The tool calls in a recorded answer: from a whole body, or assembled from recorded stream events
// (Chat Completions deltas, Responses output items, Anthropic tool_use blocks with input_json_delta).
import { endpointKind } from '../cost/endpoint-kind.js';
import { extractToolCalls } from '../policy/extract.js';
import type { ToolCall } from '../policy/types.js';
import type { Provider } from '../providers.js';
import { parseEvent } from '../proxy/response/sse.js';
import type { ResponseEvent } from '../recording/format.js';
import { isObj, parseObject } from '../json.js';

type Obj = Record<string, unknown>;

/** Tool calls of a recorded response; `apiPath` is the provider path (`/v1/chat/completions`, `/v1/messages`). */
export function recordedToolCalls(provider: Provider, apiPath: string, response: ResponseEvent): ToolCall[] {
  // The upstream's events when they differ from the agent's: they hold the calls guardrun withheld too.
  const events = response.upstreamEvents ?? response.events;
  // WebSocket events are recorded as message texts, not SSE: read each as the data of an event.
  if (events && response.transport === 'websocket') return messageToolCalls(provider, apiPath, events.map((e) => e.data));
  if (events) return streamToolCalls(provider, apiPath, events.map((e) => e.data));
  if (response.body && 'json' in response.body) return extractToolCalls(response.body.json);
  return [];
}

/** Tool calls from raw server-sent event texts, in the order the calls were opened. */
export function streamToolCalls(provider: Provider, apiPath: string, rawEvents: readonly string[]): ToolCall[] {
  return callsOf(provider, apiPath, rawEvents.map(parseEvent).map((e) => ({ name: e.event, data: parseObject(e.data) })));
}

/** Tool calls from WebSocket message texts (Responses WebSocket mode, Realtime), in the order the calls were opened. */
export function messageToolCalls(provider: Provider, apiPath: string, messages: readonly string[]): ToolCall[] {
  return callsOf(provider, apiPath, messages.map((m) => ({ name: undefined, data: parseObject(m) })));
}

function callsOf(provider: Provider, apiPath: string, events: Parsed[]): ToolCall[] {
  const kind = endpointKind(provider, apiPath);
  if (kind === 'messages') return anthropicCalls(events);
  if (kind === 'responses' || kind === 'realtime') return responsesCalls(events);
  return chatCalls(events);
}

interface Parsed {
  name: string | undefined;
  data: Obj | undefined;
}

function chatCalls(events: Parsed[]): ToolCall[] {
  const calls = new Map<string, { name: string; arguments: string }>();
  const at = (key: string) => {
    let c = calls.get(key);
    if (!c) calls.set(key, (c = { name: '', arguments: '' }));
    return c;
  };
  for (const { data } of events) {
    for (const choice of asArray(data?.choices)) {
      if (!isObj(choice) || !isObj(choice.delta)) continue;
      const ci = String(choice.index ?? 0);
      for (const call of asArray(choice.delta.tool_calls)) {
        if (!isObj(call)) continue;
        const c = at(`${ci}:${String(call.index ?? 0)}`);
        const fn = isObj(call.function) ? call.function : isObj(call.custom) ? call.custom : undefined;
        if (typeof fn?.name === 'string' && fn.name !== '') c.name = fn.name; // set, not appended, as the SDKs do
        const args = fn?.arguments ?? fn?.input;
        if (typeof args === 'string') c.arguments += args;
      }
      const legacy = choice.delta.function_call;
      if (isObj(legacy)) {
        const c = at(`${ci}:legacy`);
        if (typeof legacy.name === 'string' && legacy.name !== '') c.name = legacy.name;
        if (typeof legacy.arguments === 'string') c.arguments += legacy.arguments;
      }
    }
  }
  return [...calls.values()].filter((c) => c.name !== '');
}

function responsesCalls(events: Parsed[]): ToolCall[] {
  // The final event repeats the whole output (Realtime's is `response.done`).
  const final = events.find((e) => isObj(e.data?.response) && Array.isArray((e.data!.response as Obj).output) && /^response\.(completed|incomplete|failed|done)$/.test(String(e.data!.type ?? e.name)));
  if (final) return extractToolCalls({ output: (final.data!.response as Obj).output });
  // Cut before the final event: the items finished so far, else the ones opened with their argument deltas.
  const done = events.filter((e) => e.data?.type === 'response.output_item.done').map((e) => e.data!.item);
  if (done.length > 0) return extractToolCalls({ output: done });
  const items = new Map<string, Obj>();
  for (const { data } of events) {
    if (data?.type === 'response.output_item.added' && isObj(data.item)) {
      items.set(String(data.item.id ?? data.output_index), { ...data.item, arguments: '' });
    } else if (data?.type === 'response.function_call_arguments.delta') {
      const item = items.get(String(data.item_id ?? data.output_index));
      if (item && typeof data.delta === 'string') item.arguments = String(item.arguments) + data.delta;
    }
  }
  return extractToolCalls({ output: [...items.values()] });
}

function anthropicCalls(events: Parsed[]): ToolCall[] {
  const blocks = new Map<number, { name: string; input: unknown; json: string }>();
  for (const { data } of events) {
    if (data?.type === 'content_block_start' && isObj(data.content_block)) {
      const b = data.content_block;
      if (/^(tool_use|server_tool_use|mcp_tool_use)$/.test(String(b.type)) && typeof b.name === 'string') {
        blocks.set(Number(data.index), { name: b.name, input: b.input, json: '' });
      }
    } else if (data?.type === 'content_block_delta' && isObj(data.delta) && data.delta.type === 'input_json_delta') {
      const block = blocks.get(Number(data.index));
      if (block && typeof data.delta.partial_json === 'string') block.json += data.delta.partial_json;
    }
  }
  // Arguments as a non-stream answer would give them: the JSON of the finished input.
  return [...blocks.values()].map((b) => {
    const input = b.json === '' ? (b.input ?? {}) : (parseObject(b.json) ?? b.json);
    return { name: b.name, arguments: typeof input === 'string' ? input : JSON.stringify(input) };
  });
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
