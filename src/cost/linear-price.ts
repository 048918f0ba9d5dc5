// A model's flat prices as per-token rates, read from the library once per model. Pricing is on every request's
// path twice (the estimate, the charge), and the library's calcPrice costs 7–13 µs a call (it works out how the
// usage counts nest each time); with flat prices (no tiers) its result is linear in the usage counts, so one
// calcPrice per usage key gives the rates, and a check point confirms them. Anything else keeps calling calcPrice.
import type { ModelPrice, PriceUsage } from './price-data.js';

/** Prices a usage with the library (the model's own prices). */
export type CalcPrice = (usage: PriceUsage) => number;

export interface LinearPrice {
  /** USD for `usage`, as `calc` would give it (to rounding). */
  (usage: PriceUsage): number;
}

const N = 1_000_000;
// Each key with the smallest usage that makes it valid (a cache count is part of the input it sits in).
const BASES: Array<[keyof PriceUsage & string, PriceUsage]> = [
  ['input_tokens', { input_tokens: N }],
  ['output_tokens', { output_tokens: N }],
  ['cache_read_tokens', { input_tokens: N, cache_read_tokens: N }],
  ['cache_write_tokens', { input_tokens: N, cache_write_tokens: N }],
  ['cache_write_1h_tokens', { input_tokens: N, cache_write_tokens: N, cache_write_1h_tokens: N }],
  ['web_searches', { web_searches: N }],
];
const CHECK: PriceUsage = { input_tokens: 9_137, output_tokens: 1_511, cache_read_tokens: 3_001, cache_write_tokens: 2_003, cache_write_1h_tokens: 997, web_searches: 3 };

/** Per-key rates for `prices` when they are flat and `calc` is linear over them; undefined otherwise. */
export function linearPrice(prices: ModelPrice, calc: CalcPrice): LinearPrice | undefined {
  if (!Object.values(prices).every((v) => v === undefined || typeof v === 'number')) return undefined;
  try {
    const fixed = calc({ input_tokens: 0, output_tokens: 0 });
    const rate: Record<string, number> = {};
    for (const [key, usage] of BASES) {
      // What the base adds beyond the keys it contains that are already rated (input for the cache counts).
      let known = fixed;
      for (const [other, value] of Object.entries(usage)) if (other !== key) known += (rate[other] ?? 0) * (value as number);
      rate[key] = (calc(usage) - known) / N;
    }
    const price: LinearPrice = (u) => {
      let usd = fixed;
      for (const [key] of BASES) usd += rate[key] * ((u[key] as number | undefined) ?? 0);
      return usd;
    };
    const expected = calc(CHECK);
    return Math.abs(price(CHECK) - expected) <= 1e-9 * Math.max(1, Math.abs(expected)) ? price : undefined;
  } catch {
    return undefined; // a key this price does not take: the library decides, call by call
  }
}
