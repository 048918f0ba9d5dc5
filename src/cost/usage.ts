// Token usage from provider responses: whole JSON bodies, and streams read event by event.
import type { Provider } from '../providers.js';
import type { ExtractedUsage } from './cost.js';
import { endpointKind } from './endpoint-kind.js';

export type { ExtractedUsage } from './cost.js';

export interface StreamUsage {
  /** Feed every server-sent event: its `event:` name (if any) and its joined `data:` text. */
  onEvent(eventName: string | undefined, data: string): void;
  /** The usage seen so far; undefined when the stream carried none. */
  result(): ExtractedUsage | undefined;
}

type Json = Record<string, unknown>;

/**
 * Usage from a non-streamed response body. Chat Completions, Completions and Embeddings report
 * `prompt_tokens` / `completion_tokens`; Responses reports `input_tokens` / `output_tokens`;
 * Anthropic reports uncached `input_tokens` plus cache reads and writes, which are added in here so
 * that `inputTokens` means "all input" for every provider.
 */
export function usageFromBody(provider: Provider, endpoint: string, body: unknown): ExtractedUsage | undefined {
  if (!isObject(body) || !isObject(body.usage)) return undefined;
  const kind = endpointKind(provider, endpoint);
  // Only generations: a retrieval (GET /v1/responses/{id}) repeats usage that was already billed.
  if (kind === undefined || kind === 'realtime') return undefined;
  if (kind === 'messages') return anthropicUsage(body.usage);
  if (kind === 'responses') return responsesUsage(body.usage);
  return chatUsage(body.usage);
}

/**
 * An accumulator for one streamed response. It runs on the proxy's hot path, so it JSON-parses only
 * the events that can carry usage: chosen by event name where the API names events, otherwise by a
 * substring test for a `"usage": {` object (Chat Completions chunks carry `"usage":null` until the last).
 */
export function createStreamUsage(provider: Provider, endpoint: string): StreamUsage {
  const kind = endpointKind(provider, endpoint);
  if (kind === 'messages') return anthropicStream();
  if (kind === 'responses') return responsesStream();
  if (kind === 'realtime') return realtimeStream();
  if (kind === 'chat' || kind === 'completions') return chatStream();
  return { onEvent() {}, result: () => undefined };
}

function chatStream(): StreamUsage {
  let usage: ExtractedUsage | undefined;
  return {
    onEvent(_name, data) {
      if (!hasUsageObject(data)) return;
      const chunk = parse(data);
      if (chunk && isObject(chunk.usage)) usage = chatUsage(chunk.usage);
    },
    result: () => usage,
  };
}

const RESPONSES_FINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

function responsesStream(): StreamUsage {
  let usage: ExtractedUsage | undefined;
  return {
    onEvent(name, data) {
      if (name !== undefined ? !RESPONSES_FINAL.has(name) : !hasUsageObject(data)) return;
      const event = parse(data);
      const response = event?.response;
      if (isObject(response) && isObject(response.usage)) usage = responsesUsage(response.usage);
    },
    result: () => usage,
  };
}

/** Realtime: `response.done` carries `response.usage` (`input_token_details`, singular, holds the cached tokens). */
function realtimeStream(): StreamUsage {
  let usage: ExtractedUsage | undefined;
  return {
    onEvent(_name, data) {
      if (!data.includes('"response.done"') || !hasUsageObject(data)) return;
      const event = parse(data);
      const response = event?.type === 'response.done' ? event.response : undefined;
      if (!isObject(response) || !isObject(response.usage)) return;
      const u = response.usage;
      const details = isObject(u.input_token_details) ? u.input_token_details : {};
      usage = build(num(u.input_tokens), num(u.output_tokens), num(details.cached_tokens), 0);
    },
    result: () => usage,
  };
}

// message_start carries the input side; message_delta carries cumulative output (and, in newer API
// versions, cumulative input fields too, which then win).
function anthropicStream(): StreamUsage {
  const fields: Json = {};
  let seen = false;
  return {
    onEvent(name, data) {
      if (name !== undefined ? name !== 'message_start' && name !== 'message_delta' : !data.includes('"usage"')) return;
      const event = parse(data);
      if (!event) return;
      const source = event.type === 'message_start' && isObject(event.message) ? event.message.usage : event.usage;
      if (!isObject(source)) return;
      for (const [key, value] of Object.entries(source)) if (typeof value === 'number') fields[key] = value;
      seen = true;
    },
    result: () => (seen ? anthropicUsage(fields) : undefined),
  };
}

function chatUsage(u: Json): ExtractedUsage {
  const details = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  return build(num(u.prompt_tokens), num(u.completion_tokens), num(details.cached_tokens), num(details.cache_write_tokens));
}

function responsesUsage(u: Json): ExtractedUsage {
  const details = isObject(u.input_tokens_details) ? u.input_tokens_details : {};
  return build(num(u.input_tokens), num(u.output_tokens), num(details.cached_tokens), num(details.cache_write_tokens));
}

function anthropicUsage(u: Json): ExtractedUsage {
  const read = num(u.cache_read_input_tokens);
  const written = num(u.cache_creation_input_tokens);
  return build(num(u.input_tokens) + read + written, num(u.output_tokens), read, written);
}

function build(input: number, output: number, cached: number, written: number): ExtractedUsage {
  const usage: ExtractedUsage = { inputTokens: input, outputTokens: output };
  if (cached > 0) usage.cachedInputTokens = cached;
  if (written > 0) usage.cacheWriteInputTokens = written;
  usage.totalTokens = input + output;
  return usage;
}

/** True when `data` has a `"usage"` key whose value is an object (whitespace tolerated). */
export function hasUsageObject(data: string): boolean {
  for (let i = data.indexOf('"usage"'); i !== -1; i = data.indexOf('"usage"', i + 7)) {
    let j = i + 7;
    while (isSpace(data.charCodeAt(j))) j++;
    if (data.charCodeAt(j) !== 58 /* : */) continue;
    j++;
    while (isSpace(data.charCodeAt(j))) j++;
    if (data.charCodeAt(j) === 123 /* { */) return true;
  }
  return false;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function parse(data: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
