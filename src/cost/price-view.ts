// The price in force for a model, laid out for people and scripts (`guardrun prices MODEL [--json]`).
import type { Provider } from '../providers.js';
import type { PriceBook } from './price-book.js';
import { PRICE_DATA_SOURCE } from './price-data.js';

/** USD per unit; `above`: once a request's input exceeds `inputTokens`, the whole request's rate (tiered prices). */
export interface RateView {
  usd: number;
  above?: Array<{ inputTokens: number; usd: number }>;
}

export interface PriceView {
  model: string;
  provider: Provider;
  /** `policy` (cost.prices), `bundled` or `guess`. */
  source: 'policy' | 'bundled' | 'guess';
  /** The entry used: the bundled model, the policy glob, or the model a guess took its prices from. */
  entry: string;
  /** Where the price comes from, with the data's version and date. */
  sourceText: string;
  /** USD per million tokens. */
  perMillionTokens: { input?: RateView; cachedInput?: RateView; cacheWrite?: RateView; cacheWrite1h?: RateView; output?: RateView };
  /** USD per thousand calls of server-side tools. */
  perThousandCalls: { webSearch?: RateView };
  /** How processing tiers change the price (factor over the standard price). */
  tiers: Array<{ tier: string; factor: number; note?: string }>;
}

const KEYS = {
  input: 'input_mtok',
  cachedInput: 'cache_read_mtok',
  cacheWrite: 'cache_write_mtok',
  cacheWrite1h: 'cache_write_1h_mtok',
  output: 'output_mtok',
} as const;

/** The view of `model`'s price; undefined when no price is known or can be guessed. `book` must be ready. */
export function describePrice(book: PriceBook, provider: Provider, model: string): PriceView | undefined {
  const quote = book.quote(provider, model);
  if (!quote) return undefined;
  const perMillionTokens: PriceView['perMillionTokens'] = {};
  for (const [name, key] of Object.entries(KEYS) as Array<[keyof typeof KEYS, string]>) {
    const rate = rateOf(quote.prices[key]);
    if (rate) perMillionTokens[name] = rate;
  }
  const search = rateOf(quote.prices.web_searches_kcount);
  return {
    model,
    provider,
    source: quote.source,
    entry: quote.entry,
    sourceText: quote.sourceText,
    perMillionTokens,
    perThousandCalls: search ? { webSearch: search } : {},
    tiers: provider === 'openai'
      ? [{ tier: 'flex', factor: 0.5 }, { tier: 'batch', factor: 0.5 }, { tier: 'priority / fast', factor: 2, note: 'upper bound: 1.7x to 2x by model' }]
      : [{ tier: 'batch', factor: 0.5 }, { tier: 'speed fast', factor: 2 }, { tier: 'inference_geo us', factor: 1.1 }],
  };
}

export { PRICE_DATA_SOURCE };

function rateOf(value: unknown): RateView | undefined {
  if (typeof value === 'number') return { usd: value };
  if (typeof value !== 'object' || value === null) return undefined;
  const tiered = value as { base?: unknown; tiers?: unknown };
  if (typeof tiered.base !== 'number' || !Array.isArray(tiered.tiers)) return undefined;
  const above = tiered.tiers
    .filter((t): t is { start: number; price: number } => typeof t?.start === 'number' && typeof t?.price === 'number')
    .map((t) => ({ inputTokens: t.start, usd: t.price }));
  return { usd: tiered.base, above };
}
