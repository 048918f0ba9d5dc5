// The rates read from the library give what the library gives, for every bundled model with flat prices.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { priceUsage } from './cost.js';
import { linearPrice } from './linear-price.js';
import { loadPriceData, type PriceLibrary, type PriceProvider } from './price-data.js';

let lib: PriceLibrary;
beforeAll(async () => {
  lib = await loadPriceData();
});

const usage = fc.record({
  inputTokens: fc.integer({ min: 0, max: 2_000_000 }),
  outputTokens: fc.integer({ min: 0, max: 200_000 }),
  cachedInputTokens: fc.integer({ min: 0, max: 2_000_000 }),
  cacheWriteInputTokens: fc.integer({ min: 0, max: 2_000_000 }),
  cacheWrite1hInputTokens: fc.integer({ min: 0, max: 2_000_000 }),
  webSearches: fc.integer({ min: 0, max: 20 }),
});

describe('linearPrice', () => {
  it('agrees with calcPrice on random usages for every flat-priced model of OpenAI and Anthropic, and declines tiered ones', () => {
    let flat = 0;
    let declined = 0;
    for (const id of ['openai', 'anthropic']) {
      const provider = lib.findProvider({ providerId: id }) as PriceProvider;
      for (const model of provider.models) {
        if (Array.isArray(model.prices)) continue; // conditional prices: priced call by call
        const single: PriceProvider = { id: 'test', name: 'test', api_pattern: '.*', models: [{ ...model, match: { equals: model.id } }] };
        const calc = (u: ReturnType<typeof priceUsage>): number => lib.calcPrice(u, model.id, { provider: single })!.total_price;
        const price = linearPrice(model.prices, calc);
        if (!price) {
          declined++;
          expect(Object.values(model.prices).some((v) => typeof v === 'object'), model.id).toBe(true);
          continue;
        }
        flat++;
        fc.assert(fc.property(usage, (u) => {
          const counts = priceUsage(u);
          const expected = calc(counts);
          expect(Math.abs(price(counts) - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected));
        }), { numRuns: 40 });
      }
    }
    expect(flat).toBeGreaterThan(30);
    expect(declined).toBeGreaterThan(0);
  });
});
