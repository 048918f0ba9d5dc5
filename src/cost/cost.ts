// Token usage in the shape guardrun records, and its translation into @pydantic/genai-prices' usage keys.
import type { TokenUsage } from '../recording/format.js';
import type { PriceUsage } from './price-data.js';

/**
 * Token usage as extracted from a response. `inputTokens` counts every input token, including the
 * cached ones (`cachedInputTokens`) and those written to the prompt cache (`cacheWriteInputTokens`).
 */
export type ExtractedUsage = TokenUsage;

/**
 * The library's usage keys: `input_tokens` is the whole input and the cache counts are parts of it
 * (its README), so inconsistent counts are clamped into their parent first (it throws otherwise):
 * cached ≤ input, writes ≤ input − cached, 1-hour writes ≤ writes. Negative or missing counts are 0.
 */
export function priceUsage(usage: ExtractedUsage): PriceUsage {
  const input = count(usage.inputTokens);
  const cached = Math.min(count(usage.cachedInputTokens), input);
  const written = Math.min(count(usage.cacheWriteInputTokens), input - cached);
  const written1h = Math.min(count(usage.cacheWrite1hInputTokens), written);
  const out: PriceUsage = { input_tokens: input, output_tokens: count(usage.outputTokens) };
  if (cached > 0) out.cache_read_tokens = cached;
  if (written > 0) out.cache_write_tokens = written;
  if (written1h > 0) out.cache_write_1h_tokens = written1h;
  const searches = count(usage.webSearches);
  if (searches > 0) out.web_searches = searches;
  return out;
}

function count(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
