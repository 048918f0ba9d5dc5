// The text a model sent back, for an estimate of its output tokens when the provider reported no usage
// (an answer cut short, an upstream that ignores `stream_options.include_usage`). Only read in that case.
import type { Provider } from '../providers.js';
import { endpointKind } from './endpoint-kind.js';
import { isObj } from '../json.js';

type Json = Record<string, unknown>;

/**
 * The generated text of stream events (their `data:` texts): chat `delta.content` / `refusal` /
 * `reasoning_content` / tool-call names and arguments of every choice; Responses `*.delta` events
 * (text, refusal, reasoning, function-call arguments); Anthropic `content_block_delta` (text, JSON input,
 * thinking) and the names of `content_block_start` tool blocks. Reasoning a provider hides cannot be seen.
 */
export function streamOutputText(provider: Provider, endpoint: string, datas: readonly string[]): string {
  const kind = endpointKind(provider, endpoint);
  const parts: string[] = [];
  for (const data of datas) {
    const event = parse(data);
    if (!event) continue;
    if (kind === 'messages') anthropicEvent(event, parts);
    else if (kind === 'responses') responsesEvent(event, parts);
    else chatChunk(event, parts);
  }
  return parts.join('');
}

/** The generated text of a whole (non-stream) answer: the same fields, read from the final objects. */
export function bodyOutputText(provider: Provider, endpoint: string, body: unknown): string {
  if (!isObj(body)) return '';
  const parts: string[] = [];
  const kind = endpointKind(provider, endpoint);
  if (kind === 'messages') for (const block of array(body.content)) blockText(block, parts);
  else if (kind === 'responses') for (const item of array(body.output)) itemText(item, parts);
  else for (const choice of array(body.choices)) messageText(isObj(choice) ? (choice.message ?? choice) : undefined, parts);
  return parts.join('');
}

function chatChunk(event: Json, parts: string[]): void {
  for (const choice of array(event.choices)) {
    if (!isObj(choice)) continue;
    if (typeof choice.text === 'string') parts.push(choice.text); // legacy completions
    messageText(choice.delta, parts);
  }
}

function messageText(message: unknown, parts: string[]): void {
  if (!isObj(message)) return;
  for (const key of ['content', 'refusal', 'reasoning_content', 'text']) if (typeof message[key] === 'string') parts.push(message[key] as string);
  for (const call of array(message.tool_calls)) {
    const fn = isObj(call) ? call.function : undefined;
    if (isObj(fn)) for (const key of ['name', 'arguments']) if (typeof fn[key] === 'string') parts.push(fn[key] as string);
  }
}

function responsesEvent(event: Json, parts: string[]): void {
  if (typeof event.type === 'string' && event.type.endsWith('.delta') && typeof event.delta === 'string') parts.push(event.delta);
}

function itemText(item: unknown, parts: string[]): void {
  if (!isObj(item)) return;
  for (const key of ['arguments', 'name', 'input']) if (typeof item[key] === 'string') parts.push(item[key] as string);
  for (const part of [...array(item.content), ...array(item.summary)]) {
    if (isObj(part)) for (const key of ['text', 'refusal']) if (typeof part[key] === 'string') parts.push(part[key] as string);
  }
}

function anthropicEvent(event: Json, parts: string[]): void {
  if (event.type === 'content_block_delta' && isObj(event.delta)) {
    for (const key of ['text', 'partial_json', 'thinking']) if (typeof event.delta[key] === 'string') parts.push(event.delta[key] as string);
  } else if (event.type === 'content_block_start' && isObj(event.content_block) && typeof event.content_block.name === 'string') {
    parts.push(event.content_block.name);
  }
}

function blockText(block: unknown, parts: string[]): void {
  if (!isObj(block)) return;
  for (const key of ['text', 'thinking', 'name']) if (typeof block[key] === 'string') parts.push(block[key] as string);
  if (block.input !== undefined && (block.type === 'tool_use' || block.type === 'server_tool_use')) parts.push(JSON.stringify(block.input));
}

function parse(data: string): Json | undefined {
  if (!data.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(data);
    return isObj(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

