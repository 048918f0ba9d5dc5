// What an exchange costs, once it is over. Never $0 for an answer the provider bills:
// - the provider's final usage, priced (reported);
// - no usage, or only part of it (a stream cut short, an upstream that ignores include_usage): input from what
//   the provider did report, else counted from the request; output counted from the text guardrun saw; and
//   for an answer cut short at least the request's own estimate (the provider may have generated more than
//   anyone read) — all marked estimated;
// - an error answer (status >= 400) without usage, or a request that never reached the upstream: nothing.
import { endpointKind } from '../cost/endpoint-kind.js';
import { encodingForModel } from '../cost/encoding.js';
import { outputBound } from '../cost/estimate.js';
import type { PriceBook, PriceQuote } from '../cost/price-book.js';
import { requestedTier, type BillingTier } from '../cost/service-tier.js';
import type { TokenCounter } from '../cost/tokens.js';
import type { Charge, Exchange, ExchangeResult } from '../proxy/types.js';
import type { TokenUsage } from '../recording/format.js';

export interface ChargeContext {
  book: PriceBook;
  counter: TokenCounter;
  assumeOutputTokens: number;
  /** USD the exchange held in reserve (its estimate), 0 when none. */
  reservedUsd: number;
  /** Tokens already counted off the event loop (precount below): used instead of counting here. */
  counted?: { inputTokens?: number; outputTokens?: number };
}

/** True when chargeFor will estimate usage (so counting the request and output text ahead is worth it). */
export function needsUsageEstimate(ex: Exchange, result: ExchangeResult): boolean {
  if (!result.forwarded || ex.model === undefined || endpointKind(ex.provider, ex.apiPath) === undefined) return false;
  if (result.usage !== undefined && result.usageFinal !== false) return false;
  if (result.status >= 400) return false;
  return result.cut === true || result.usage !== undefined || !!result.outputText;
}

/** Counts the request's input and the seen output in the counter's worker thread, for chargeFor's estimate. */
export async function precount(ex: Exchange, result: ExchangeResult, counter: TokenCounter): Promise<ChargeContext['counted']> {
  const encoding = encodingForModel(ex.model ?? '');
  const counted: NonNullable<ChargeContext['counted']> = {};
  if (!result.usage?.inputTokens && ex.json !== undefined) {
    const input = await counter.countRequestAsync(ex.provider, ex.apiPath, ex.model, ex.json);
    counted.inputTokens = input.inputTokens;
  }
  const text = result.outputText ?? '';
  if (text.length > 0) counted.outputTokens = await counter.countTextAsync(text, encoding);
  return counted;
}

// Room beyond the body's bytes when the input must be bounded without the tokenizer (as estimate.ts does).
const BOUND_SLACK_TOKENS = 1024;
// Without a loaded tokenizer, about three bytes a token: between English prose (~4) and code or CJK text.
const BYTES_PER_TOKEN = 3;

export function chargeFor(ex: Exchange, result: ExchangeResult, ctx: ChargeContext): Charge {
  if (!result.forwarded || ex.model === undefined || endpointKind(ex.provider, ex.apiPath) === undefined) return {};
  const reported = result.usage;
  const final = reported !== undefined && result.usageFinal !== false;
  if (!final && result.status >= 400) return {};
  if (!final && !result.cut && !reported && !result.outputText) return {}; // an answer that ended with nothing generated
  const quote = ctx.book.quote(ex.provider, ex.model);
  if (!quote) return {};
  const tier = tierOf(reported) ?? requestedTier(ex.provider, ex.json);
  if (final) return priced(ctx.book, quote, reported, tier, false);
  const usage = estimatedUsage(ex, result, ctx);
  const charge = priced(ctx.book, quote, usage, tier, true);
  charge.usageEstimated = usage;
  if (result.cut) {
    // Cut short: the provider may have generated more than anyone read, so at least the request's own estimate.
    const bound = outputBound(ex.provider, ex.apiPath, ex.json, ctx.assumeOutputTokens);
    const estimate = Math.max(ctx.reservedUsd, ctx.book.cost(quote, { inputTokens: usage.inputTokens, outputTokens: Math.max(bound, usage.outputTokens) }, tier).usd);
    if (estimate > (charge.costUsd ?? 0)) charge.costUsd = estimate;
  }
  return charge;
}

function priced(book: PriceBook, quote: PriceQuote, usage: TokenUsage, tier: BillingTier | undefined, estimated: boolean): Charge {
  const cost = book.cost(quote, usage, tier);
  const charge: Charge = { costUsd: cost.usd };
  if (estimated) charge.costEstimated = true;
  if (quote.source === 'guess') charge.priceIsGuess = true;
  if (quote.source !== 'bundled' || quote.entry !== quote.model) charge.priceEntry = quote.entry;
  if (cost.tierLabel) {
    charge.tier = cost.tierLabel;
    charge.tierFactor = cost.factor;
  }
  return charge;
}

function tierOf(usage: TokenUsage | undefined): BillingTier | undefined {
  if (!usage || (!usage.serviceTier && !usage.speed && !usage.inferenceGeo)) return undefined;
  return { serviceTier: usage.serviceTier, speed: usage.speed, inferenceGeo: usage.inferenceGeo };
}

/** Input as reported (Anthropic's message_start) or counted; output the larger of reported and seen. */
function estimatedUsage(ex: Exchange, result: ExchangeResult, ctx: ChargeContext): TokenUsage {
  const partial = result.usage;
  const encoding = encodingForModel(ex.model ?? '');
  const ready = ctx.counter.isReady(encoding);
  let input = partial?.inputTokens ?? 0;
  if (input === 0 && ctx.counted?.inputTokens !== undefined) input = ctx.counted.inputTokens;
  if (input === 0) {
    input = ready && ex.json !== undefined ? ctx.counter.countRequest(ex.provider, ex.apiPath, ex.model, ex.json).inputTokens : ex.body.length + BOUND_SLACK_TOKENS;
  }
  const text = result.outputText ?? '';
  const seen = text.length === 0 ? 0 : ctx.counted?.outputTokens !== undefined ? ctx.counted.outputTokens : ready ? ctx.counter.countText(text, encoding) : Math.ceil(Buffer.byteLength(text) / BYTES_PER_TOKEN);
  const output = Math.max(partial?.outputTokens ?? 0, seen);
  const usage: TokenUsage = { inputTokens: input, outputTokens: output };
  if (partial?.cachedInputTokens) usage.cachedInputTokens = partial.cachedInputTokens;
  if (partial?.cacheWriteInputTokens) usage.cacheWriteInputTokens = partial.cacheWriteInputTokens;
  usage.totalTokens = input + output;
  return usage;
}
