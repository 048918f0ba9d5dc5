import { describe, expect, it } from 'vitest';
import { ANTHROPIC_PRICES, OPENAI_PRICES, PRICE_ALIASES } from './price-table.js';
import { encodingForModel, findPrice, PRICES_AS_OF } from './pricing.js';

describe('findPrice', () => {
  it.each([
    // [model as sent, table entry expected]
    ['gpt-4o', 'gpt-4o'],
    ['GPT-4o', 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-2024-11-20', 'gpt-4o'],
    ['gpt-4o-2024-05-13', 'gpt-4o-2024-05-13'],
    ['gpt-4o-mini', 'gpt-4o-mini'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4.1-nano-2025-04-14', 'gpt-4.1-nano'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['gpt-5-mini-2025-08-07', 'gpt-5-mini'],
    ['gpt-5.1-2025-11-13', 'gpt-5.1'],
    ['gpt-5.1-codex', 'gpt-5.1-codex'],
    ['gpt-5.4-mini-2026-03-17', 'gpt-5.4-mini'],
    ['o3-2025-04-16', 'o3'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['o4-mini-2025-04-16', 'o4-mini'],
    ['gpt-4-0613', 'gpt-4'],
    ['gpt-3.5-turbo-0125', 'gpt-3.5-turbo'],
    ['gpt-3.5-turbo-1106', 'gpt-3.5-turbo-1106'],
    ['text-embedding-3-small', 'text-embedding-3-small'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-5', 'claude-sonnet-4-5'],
    ['claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['claude-opus-4-20250514', 'claude-opus-4'],
    ['claude-sonnet-4-0', 'claude-sonnet-4-0'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet'],
    ['claude-3-5-haiku-20241022', 'claude-3-5-haiku'],
    ['claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
  ])('%s -> %s', (model, entry) => {
    expect(findPrice(model)?.model).toBe(entry);
  });

  it.each([
    'gpt-4o-mini-tts', // a different product, not a snapshot of gpt-4o-mini
    'gpt-4o-realtime-preview',
    'gpt-5-ultra',
    'claude-opus-4-9', // an unknown version must not be priced as claude-opus-4
    'claude-sonnet-4-7',
    'ft:gpt-4o-mini-2024-07-18:org::abc',
    'llama-3-70b',
    '',
  ])('%s is unknown', (model) => {
    expect(findPrice(model)).toBeUndefined();
  });

  it('keeps the mini and base models apart', () => {
    expect(findPrice('gpt-4o-mini')!.inputUsdPerMTok).toBe(0.15);
    expect(findPrice('gpt-4o')!.inputUsdPerMTok).toBe(2.5);
    expect(findPrice('gpt-4o-2024-05-13')!.inputUsdPerMTok).toBe(5);
  });

  it('resolves cache rates per provider', () => {
    const sonnet = findPrice('claude-sonnet-4-5')!;
    expect(sonnet).toMatchObject({ provider: 'anthropic', inputUsdPerMTok: 3, cachedInputUsdPerMTok: 0.3, outputUsdPerMTok: 15 });
    expect(sonnet.cacheWriteUsdPerMTok).toBeCloseTo(3.75, 10);
    expect(findPrice('claude-3-haiku-20240307')!.cacheWriteUsdPerMTok).toBe(0.3);
    const gpt4 = findPrice('gpt-4')!;
    expect(gpt4.cachedInputUsdPerMTok).toBe(30); // no caching discount
    expect(gpt4.cacheWriteUsdPerMTok).toBe(30);
    expect(findPrice('gpt-5.6-sol')!.cacheWriteUsdPerMTok).toBe(6.25);
  });

  it('gives long-context models their higher rates', () => {
    const long = findPrice('claude-sonnet-4-5-20250929')!.longContext!;
    expect(long.aboveInputTokens).toBe(200_000);
    expect(long.inputUsdPerMTok).toBe(6);
    expect(long.outputUsdPerMTok).toBe(22.5);
    expect(findPrice('gpt-5.4')!.longContext!.aboveInputTokens).toBe(272_000);
    expect(findPrice('gpt-4o')!.longContext).toBeUndefined();
  });

  it('has a dated, consistent table', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const [model, [input, cached, output, write]] of Object.entries({ ...OPENAI_PRICES, ...ANTHROPIC_PRICES })) {
      expect(input, model).toBeGreaterThan(0);
      expect(output, model).toBeGreaterThanOrEqual(0);
      if (cached !== null) expect(cached, model).toBeLessThan(input);
      if (write !== undefined) expect(write, model).toBeGreaterThanOrEqual(input);
      expect(model, 'table keys are lower case').toBe(model.toLowerCase());
    }
    for (const alias of Object.keys(PRICE_ALIASES)) expect(findPrice(alias)?.model).toBe(alias);
  });
});

describe('encodingForModel', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini-2024-07-18', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-4.5-preview', 'o200k_base'],
    ['gpt-5-nano', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-0613', 'cl100k_base'],
    ['gpt-4-turbo-2024-04-09', 'cl100k_base'],
    ['gpt-4-1106-preview', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['text-embedding-3-large', 'cl100k_base'],
    ['text-embedding-ada-002', 'cl100k_base'],
    ['claude-sonnet-4-5', 'o200k_base'],
    ['something-new', 'o200k_base'],
  ])('%s uses %s', (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding);
    const price = findPrice(model);
    if (price) expect(price.encoding).toBe(encoding);
  });
});
