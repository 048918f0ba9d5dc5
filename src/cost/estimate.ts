// A request's cost before it is sent: counted (or bounded) input, bounded output, priced offline.
import type { Provider } from '../providers.js';
import { endpointKind } from './endpoint-kind.js';
import type { PriceBook, PriceQuote } from './price-book.js';
import { requestedTier } from './service-tier.js';
import type { TokenCount, TokenCounter } from './tokens.js';
import type { TokenizerEncoding } from './encoding.js';

export interface RequestEstimate {
  inputTokens: number;
  /** The request's own output limit, or the assumption when it sets none; 0 for embeddings. */
  outputTokens: number;
  /** Undefined when no price could be found or guessed. Input is priced as uncached (an upper bound). */
  usd: number | undefined;
  /** A price from the policy or the bundled data (false for a guess or no price at all). */
  priceKnown: boolean;
  /** The price is the guess for an unknown model (see price-guess.ts). */
  priceIsGuess?: boolean;
  /** The price entry used (`gpt-5.6-sol` for a guess of `gpt-6.2-sol`). */
  priceEntry?: string;
  /** Part of the input could not be counted in time or size and counts as its bytes (an upper bound). */
  inputBounded?: boolean;
}

/** The estimate with input tokens counted by the tokenizer. `book` must be ready. */
export function estimateRequest(
  provider: Provider,
  endpoint: string,
  model: string | undefined,
  body: unknown,
  counter: TokenCounter,
  assumeOutputTokens: number,
  book: PriceBook,
): RequestEstimate {
  const id = model ?? modelOf(body);
  return fromCount(provider, endpoint, id, body, counter.countRequest(provider, endpoint, id, body), assumeOutputTokens, book);
}

/**
 * The estimate with input tokens counted off the event loop (a worker thread, within the counter's time and
 * size budget; what it could not count is bounded by bytes and flagged `inputBounded`). `book` must be ready.
 */
export async function estimateRequestAsync(
  provider: Provider,
  endpoint: string,
  model: string | undefined,
  body: unknown,
  counter: TokenCounter,
  assumeOutputTokens: number,
  book: PriceBook,
): Promise<RequestEstimate> {
  const id = model ?? modelOf(body);
  return fromCount(provider, endpoint, id, body, await counter.countRequestAsync(provider, endpoint, id, body), assumeOutputTokens, book);
}

/**
 * An upper bound of `estimateRequest` that never tokenizes: texts counted on earlier requests at their count, the
 * others at their UTF-8 size (every token is at least one byte), images by their provider's rule. `missing`: the
 * texts taken at their size; when there are none the bound is the count. Exact counting is only worth its cost
 * when this bound could cross a limit.
 */
export function boundRequest(
  provider: Provider,
  endpoint: string,
  model: string | undefined,
  body: unknown,
  counter: TokenCounter,
  assumeOutputTokens: number,
  book: PriceBook,
): RequestEstimate & { missing: string[]; encoding: TokenizerEncoding } {
  const id = model ?? modelOf(body);
  const bound = counter.boundRequest(provider, endpoint, id, body);
  return { ...fromCount(provider, endpoint, id, body, { ...bound, bounded: false }, assumeOutputTokens, book), missing: bound.missing, encoding: bound.encoding };
}

/** The estimate for a counted input: the output bound added, priced; `inputBounded` when part of the count is a bound. */
function fromCount(provider: Provider, endpoint: string, id: string | undefined, body: unknown, counted: TokenCount, assumeOutputTokens: number, book: PriceBook): RequestEstimate {
  const estimate = priced(provider, id, body, counted.inputTokens, outputBound(provider, endpoint, body, assumeOutputTokens), book);
  if (counted.bounded) estimate.inputBounded = true;
  return estimate;
}

function priced(provider: Provider, model: string | undefined, body: unknown, inputTokens: number, outputTokens: number, book: PriceBook): RequestEstimate {
  const quote: PriceQuote | undefined = model === undefined ? undefined : book.quote(provider, model);
  if (!quote) return { inputTokens, outputTokens, usd: undefined, priceKnown: false };
  const { usd } = book.cost(quote, { inputTokens, outputTokens }, requestedTier(provider, body));
  const estimate: RequestEstimate = { inputTokens, outputTokens, usd, priceKnown: quote.source !== 'guess', priceEntry: quote.entry };
  if (quote.source === 'guess') estimate.priceIsGuess = true;
  return estimate;
}

/**
 * Output tokens to expect: the request's own limit (max_completion_tokens / max_tokens for Chat, times `n`
 * choices; max_output_tokens for Responses; max_tokens for Anthropic) when it is below `assumeOutputTokens`,
 * else `assumeOutputTokens`. Coding agents send limits of 32,000 to 128,000 tokens on every request (Claude Code
 * 2.1 sends 128,000 with claude-opus-5-5: $2.56 of output alone) that their answers rarely approach; taken as
 * the estimate, every request of theirs would ask. A policy that wants the worst case sets assume_output_tokens high.
 */
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
  return Math.min(limit ?? assumeOutputTokens, assumeOutputTokens) * choices;
}

export function modelOf(body: unknown): string | undefined {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : undefined;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined;
}
