// A request's cost before it is sent: counted input, bounded output, priced offline.
import type { Provider } from '../providers.js';
import { costWithPrice } from './cost.js';
import { endpointKind } from './endpoint-kind.js';
import { findPrice } from './pricing.js';
import type { TokenCounter } from './tokens.js';

export interface RequestEstimate {
  inputTokens: number;
  /** The request's own output limit, or the assumption when it sets none; 0 for embeddings. */
  outputTokens: number;
  /** Undefined when the model is not in the price table. Input is priced as uncached (an upper bound). */
  usd: number | undefined;
  priceKnown: boolean;
}

export function estimateRequest(
  provider: Provider,
  endpoint: string,
  model: string | undefined,
  body: unknown,
  counter: TokenCounter,
  assumeOutputTokens: number,
): RequestEstimate {
  const id = model ?? modelOf(body);
  const { inputTokens } = counter.countRequest(provider, endpoint, id, body);
  const outputTokens = outputBound(provider, endpoint, body, assumeOutputTokens);
  const price = id === undefined ? undefined : findPrice(id);
  const usd = price ? costWithPrice(price, { inputTokens, outputTokens }) : undefined;
  return { inputTokens, outputTokens, usd, priceKnown: price !== undefined };
}

// Room for what a request costs beyond its own bytes (Anthropic's tool-use system prompt is 346 tokens).
const BOUND_SLACK_TOKENS = 1024;

/**
 * An upper bound of the estimate without the tokenizer: every token is at least one byte, so the body's
 * size bounds its input tokens. Exact counting is only worth its cost when this bound could cross a limit.
 */
export function boundRequest(provider: Provider, endpoint: string, model: string | undefined, body: unknown, bodyBytes: number, assumeOutputTokens: number): RequestEstimate {
  const id = model ?? modelOf(body);
  const inputTokens = bodyBytes + BOUND_SLACK_TOKENS;
  const outputTokens = outputBound(provider, endpoint, body, assumeOutputTokens);
  const price = id === undefined ? undefined : findPrice(id);
  const usd = price ? costWithPrice(price, { inputTokens, outputTokens }) : undefined;
  return { inputTokens, outputTokens, usd, priceKnown: price !== undefined };
}

/** max_completion_tokens / max_tokens (Chat, times `n` choices), max_output_tokens (Responses), max_tokens (Anthropic). */
export function outputBound(provider: Provider, endpoint: string, body: unknown, assumeOutputTokens: number): number {
  const kind = endpointKind(provider, endpoint);
  if (kind === 'embeddings') return 0;
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  // A Responses WebSocket warm-up (`generate: false`) generates nothing; of the Realtime client events only
  // `response.create` does (its limit is in `response.max_output_tokens`, or `"inf"`).
  if (b.generate === false) return 0;
  if (kind === 'realtime') {
    if (b.type !== 'response.create') return 0;
    const response = (typeof b.response === 'object' && b.response !== null ? b.response : {}) as Record<string, unknown>;
    return positive(response.max_output_tokens) ?? assumeOutputTokens;
  }
  let limit: number | undefined;
  if (kind === 'responses') limit = positive(b.max_output_tokens);
  else if (kind === 'chat') limit = positive(b.max_completion_tokens) ?? positive(b.max_tokens);
  else limit = positive(b.max_tokens);
  const choices = kind === 'chat' || kind === 'completions' ? (positive(b.n) ?? 1) : 1;
  return (limit ?? assumeOutputTokens) * choices;
}

function modelOf(body: unknown): string | undefined {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : undefined;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined;
}
