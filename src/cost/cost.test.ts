import { describe, expect, it } from 'vitest';
import { costUsd, costWithPrice } from './cost.js';
import { findPrice } from './pricing.js';

describe('costUsd', () => {
  it('prices plain input and output', () => {
    // gpt-4o: $2.50 in, $10 out per million
    expect(costUsd('gpt-4o-2024-08-06', { inputTokens: 1_000_000, outputTokens: 100_000 })).toBeCloseTo(2.5 + 1, 10);
  });

  it('prices cached input at the cached rate and the rest at the input rate', () => {
    // gpt-5-mini: 0.25 in, 0.025 cached, 2 out
    const usd = costUsd('gpt-5-mini', { inputTokens: 10_000, cachedInputTokens: 8_000, outputTokens: 500 });
    expect(usd).toBeCloseTo((2_000 * 0.25 + 8_000 * 0.025 + 500 * 2) / 1e6, 12);
  });

  it('prices Anthropic cache writes at 1.25x input and reads at 0.1x', () => {
    // claude-sonnet-4-5: 3 in, 0.30 read, 3.75 write, 15 out; inputTokens includes reads and writes
    const usage = { inputTokens: 21 + 188 + 1024, cachedInputTokens: 1024, cacheWriteInputTokens: 188, outputTokens: 393 };
    expect(costUsd('claude-sonnet-4-5-20250929', usage)).toBeCloseTo((21 * 3 + 1024 * 0.3 + 188 * 3.75 + 393 * 15) / 1e6, 12);
  });

  it('charges no discount where the model has no cache price', () => {
    expect(costUsd('gpt-4', { inputTokens: 1000, cachedInputTokens: 1000, outputTokens: 0 })).toBeCloseTo(0.03, 12);
  });

  it('bills the whole request at long-context rates past the threshold', () => {
    const below = costUsd('claude-sonnet-4-5', { inputTokens: 200_000, outputTokens: 1_000 })!;
    const above = costUsd('claude-sonnet-4-5', { inputTokens: 200_001, outputTokens: 1_000 })!;
    expect(below).toBeCloseTo((200_000 * 3 + 1_000 * 15) / 1e6, 10);
    expect(above).toBeCloseTo((200_001 * 6 + 1_000 * 22.5) / 1e6, 10);
  });

  it('prices embeddings by input only', () => {
    expect(costUsd('text-embedding-3-small', { inputTokens: 50_000_000, outputTokens: 0 })).toBeCloseTo(1, 10);
  });

  it('is undefined for an unknown model', () => {
    expect(costUsd('my-local-llama', { inputTokens: 10, outputTokens: 10 })).toBeUndefined();
  });

  it('clamps inconsistent counts instead of going negative', () => {
    const price = findPrice('gpt-4o-mini')!;
    const usd = costWithPrice(price, { inputTokens: 100, cachedInputTokens: 500, cacheWriteInputTokens: 50, outputTokens: -5 });
    expect(usd).toBeCloseTo((100 * 0.075) / 1e6, 12);
    expect(costWithPrice(price, { inputTokens: 0, outputTokens: 0 })).toBe(0);
  });
});
