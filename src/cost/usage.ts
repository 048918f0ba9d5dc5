// Token usage from provider responses: whole JSON bodies, and streams read event by event.
//
// The fields, by API (provider API references and the official SDKs' own accumulation):
// - Chat Completions / Completions / Embeddings: `usage.prompt_tokens` (all input), `completion_tokens`,
//   `prompt_tokens_details.cached_tokens` / `cache_write_tokens`, `completion_tokens_details.reasoning_tokens`;
//   the chunk or body's `service_tier`. A stream carries usage only when the request set
//   `stream_options.include_usage`: one extra chunk with `choices: []` before `[DONE]`.
// - Responses: `response.usage` on `response.completed`, `response.incomplete` and `response.failed`
//   (`input_tokens`, `input_tokens_details.cached_tokens`, `output_tokens`, `output_tokens_details.reasoning_tokens`);
//   `response.service_tier`; each `web_search_call` output item is a billed search.
// - Anthropic Messages: `usage.input_tokens` is the *uncached* input; cache reads and writes are separate
//   (`cache_read_input_tokens`, `cache_creation_input_tokens`, split by TTL in `cache_creation`), so they are added
//   in here and `inputTokens` means "all input" for every provider. In a stream, `message_start` carries the
//   input side and `message_delta` the cumulative totals: each field it carries (non-null) replaces the earlier
//   one, never adds (as @anthropic-ai/sdk's MessageStream does). `server_tool_use.web_search_requests` counts
//   billed searches; `output_tokens_details.thinking_tokens` the thinking part of the output; `service_tier`,
//   `speed`, `inference_geo` the billing tier.
import type { Provider } from '../providers.js';
import type { ExtractedUsage } from './cost.js';
import { endpointKind } from './endpoint-kind.js';
import { isObj } from '../json.js';

export type { ExtractedUsage } from './cost.js';

export interface StreamUsage {
  /** Feed every server-sent event: its `event:` name (if any) and its joined `data:` text. */
  onEvent(eventName: string | undefined, data: string): void;
  /** The usage seen so far; undefined when the stream carried none. */
  result(): ExtractedUsage | undefined;
  /**
   * True once the provider's final figure has arrived (chat: the usage chunk; Responses: a terminal event;
   * Anthropic: `message_delta`). A stream cut before it has at most a partial usage.
   */
  final(): boolean;
}

type Json = Record<string, unknown>;

/** Usage from a non-streamed response body; undefined for bodies without it and for non-generation endpoints. */
export function usageFromBody(provider: Provider, endpoint: string, body: unknown): ExtractedUsage | undefined {
  if (!isObj(body) || !isObj(body.usage)) return undefined;
  const kind = endpointKind(provider, endpoint);
  // Only generations: a retrieval (GET /v1/responses/{id}) repeats usage that was already billed.
  if (kind === undefined || kind === 'realtime') return undefined;
  if (kind === 'messages') return anthropicUsage(body.usage);
  if (kind === 'responses') return responsesUsage(body.usage, body);
  return chatUsage(body.usage, body.service_tier);
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
  return { onEvent() {}, result: () => undefined, final: () => false };
}

function chatStream(): StreamUsage {
  let usage: ExtractedUsage | undefined;
  let done = false;
  return {
    onEvent(_name, data) {
      if (!hasUsageObject(data)) return;
      const chunk = parse(data);
      if (!chunk || !isObj(chunk.usage)) return;
      usage = chatUsage(chunk.usage, chunk.service_tier);
      if (Array.isArray(chunk.choices) && chunk.choices.length === 0) done = true;
    },
    result: () => usage,
    final: () => done,
  };
}

const RESPONSES_FINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
// Unescaped quotes cannot occur inside a JSON string, so this finds only a real `type` field.
const RESPONSES_FINAL_TYPE = /"type"\s*:\s*"response\.(?:completed|incomplete|failed)"/;

function responsesStream(): StreamUsage {
  let usage: ExtractedUsage | undefined;
  let done = false;
  return {
    onEvent(name, data) {
      if (name !== undefined ? !RESPONSES_FINAL.has(name) : !RESPONSES_FINAL_TYPE.test(data)) return;
      const event = parse(data);
      if (!event || typeof event.type !== 'string' || !RESPONSES_FINAL.has(event.type)) return;
      done = true;
      const response = event.response;
      if (isObj(response) && isObj(response.usage)) usage = responsesUsage(response.usage, response);
    },
    result: () => usage,
    final: () => done,
  };
}

/** Realtime: `response.done` carries `response.usage` (`input_token_details`, singular, holds the cached tokens). */
function realtimeStream(): StreamUsage {
  let usage: ExtractedUsage | undefined;
  let done = false;
  return {
    onEvent(_name, data) {
      if (!data.includes('"response.done"')) return;
      const event = parse(data);
      if (event?.type !== 'response.done') return;
      done = true;
      const response = event.response;
      if (!isObj(response) || !isObj(response.usage)) return;
      const u = response.usage;
      const details = isObj(u.input_token_details) ? u.input_token_details : {};
      usage = build(num(u.input_tokens), num(u.output_tokens), num(details.cached_tokens), 0);
    },
    result: () => usage,
    final: () => done,
  };
}

function anthropicStream(): StreamUsage {
  const fields: Json = {};
  let seen = false;
  let done = false;
  return {
    onEvent(name, data) {
      if (name !== undefined ? name !== 'message_start' && name !== 'message_delta' : !data.includes('"usage"')) return;
      const event = parse(data);
      if (!event) return;
      const source = event.type === 'message_start' && isObj(event.message) ? event.message.usage : event.usage;
      if (!isObj(source)) return;
      // Cumulative totals: a field that is present and not null replaces the earlier value.
      for (const [key, value] of Object.entries(source)) if (value !== null && value !== undefined) fields[key] = value;
      seen = true;
      if (event.type === 'message_delta') done = true;
    },
    result: () => (seen ? anthropicUsage(fields) : undefined),
    final: () => done,
  };
}

function chatUsage(u: Json, serviceTier: unknown): ExtractedUsage {
  const input = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const output = isObj(u.completion_tokens_details) ? u.completion_tokens_details : {};
  const usage = build(num(u.prompt_tokens), num(u.completion_tokens), num(input.cached_tokens), num(input.cache_write_tokens));
  return withExtras(usage, { reasoning: num(output.reasoning_tokens), serviceTier });
}

function responsesUsage(u: Json, response: Json): ExtractedUsage {
  const input = isObj(u.input_tokens_details) ? u.input_tokens_details : {};
  const output = isObj(u.output_tokens_details) ? u.output_tokens_details : {};
  const usage = build(num(u.input_tokens), num(u.output_tokens), num(input.cached_tokens), num(input.cache_write_tokens));
  const searches = Array.isArray(response.output) ? response.output.filter((item) => isObj(item) && item.type === 'web_search_call').length : 0;
  return withExtras(usage, { reasoning: num(output.reasoning_tokens), searches, serviceTier: response.service_tier });
}

function anthropicUsage(u: Json): ExtractedUsage {
  const read = num(u.cache_read_input_tokens);
  const written = num(u.cache_creation_input_tokens);
  const usage = build(num(u.input_tokens) + read + written, num(u.output_tokens), read, written);
  const ttl = isObj(u.cache_creation) ? u.cache_creation : {};
  const oneHour = Math.min(num(ttl.ephemeral_1h_input_tokens), written);
  if (oneHour > 0) usage.cacheWrite1hInputTokens = oneHour;
  const tools = isObj(u.server_tool_use) ? u.server_tool_use : {};
  const details = isObj(u.output_tokens_details) ? u.output_tokens_details : {};
  return withExtras(usage, {
    reasoning: num(details.thinking_tokens),
    searches: num(tools.web_search_requests),
    serviceTier: u.service_tier,
    speed: u.speed,
    inferenceGeo: u.inference_geo,
  });
}

function build(input: number, output: number, cached: number, written: number): ExtractedUsage {
  const usage: ExtractedUsage = { inputTokens: input, outputTokens: output };
  if (cached > 0) usage.cachedInputTokens = cached;
  if (written > 0) usage.cacheWriteInputTokens = written;
  usage.totalTokens = input + output;
  return usage;
}

// Tiers that bill the standard price are left out, so a usage records only what changes the price.
const STANDARD_TIERS = new Set(['default', 'standard', 'auto', 'standard_only']);
// These strings go to the session file unmasked: only short identifiers are taken from the answer.
const NAME = /^[A-Za-z0-9_.-]{1,32}$/;

function withExtras(usage: ExtractedUsage, x: { reasoning?: number; searches?: number; serviceTier?: unknown; speed?: unknown; inferenceGeo?: unknown }): ExtractedUsage {
  const name = (value: unknown, standard: (v: string) => boolean): string | undefined =>
    typeof value === 'string' && NAME.test(value) && !standard(value) ? value : undefined;
  if (x.reasoning) usage.reasoningTokens = x.reasoning;
  if (x.searches) usage.webSearches = x.searches;
  const tier = name(x.serviceTier, (v) => STANDARD_TIERS.has(v));
  if (tier) usage.serviceTier = tier;
  const speed = name(x.speed, (v) => v === 'standard');
  if (speed) usage.speed = speed;
  const geo = name(x.inferenceGeo, (v) => v === 'global' || v === 'not_available');
  if (geo) usage.inferenceGeo = geo;
  return usage;
}

/** True for the extra chunk `stream_options.include_usage` adds to a Chat Completions stream (`choices: []` + usage). */
export function isUsageOnlyChunk(data: string): boolean {
  if (!hasUsageObject(data) || !data.includes('"choices"')) return false;
  const chunk = parse(data);
  return chunk !== undefined && Array.isArray(chunk.choices) && chunk.choices.length === 0 && isObj(chunk.usage);
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
    return isObj(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
