// What a request cost, from its reported token usage and the bundled price table.
import type { TokenUsage } from '../recording/format.js';
import { findPrice, type Price, type PriceRates } from './pricing.js';

/**
 * Token usage as extracted from a response. `inputTokens` counts every input token, including the
 * cached ones (`cachedInputTokens`) and those written to the prompt cache (`cacheWriteInputTokens`).
 */
export interface ExtractedUsage extends TokenUsage {
  cacheWriteInputTokens?: number;
}

/** USD for one response, or undefined when the model is not in the price table. */
export function costUsd(model: string, usage: ExtractedUsage): number | undefined {
  const price = findPrice(model);
  return price ? costWithPrice(price, usage) : undefined;
}

/**
 * Uncached input = input − cached − cache writes, each part at its own rate, plus output.
 * Long-context models bill the whole request at the higher rates once input exceeds the threshold.
 * Not priced: 1-hour cache writes (billed 2x input by Anthropic; counted here as 5-minute writes),
 * server-side tool fees (web search), audio and image-output tokens.
 */
export function costWithPrice(price: Price, usage: ExtractedUsage): number {
  const rates = ratesFor(price, usage.inputTokens);
  const cached = clamp(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const written = clamp(usage.cacheWriteInputTokens ?? 0, usage.inputTokens - cached);
  const uncached = Math.max(0, usage.inputTokens - cached - written);
  const microUsd =
    uncached * rates.inputUsdPerMTok +
    cached * rates.cachedInputUsdPerMTok +
    written * rates.cacheWriteUsdPerMTok +
    Math.max(0, usage.outputTokens) * rates.outputUsdPerMTok;
  return microUsd / 1_000_000;
}

export function ratesFor(price: Price, inputTokens: number): PriceRates {
  const long = price.longContext;
  return long && inputTokens > long.aboveInputTokens ? long : price;
}

function clamp(value: number, max: number): number {
  return Math.min(Math.max(0, value), Math.max(0, max));
}
