import { beforeAll, describe, expect, it } from 'vitest';
import { createPriceBook } from '../cost/price-book.js';
import { createTokenCounter } from '../cost/tokens.js';
import type { Exchange, ExchangeResult } from '../proxy/types.js';
import { chargeFor } from './charge.js';

const book = createPriceBook({ prices: { 'test-model': { input: 2, output: 8 } } });
beforeAll(() => book.whenReady());
// One token per character, so the expected numbers are easy to follow (the counter is "ready").
const counter = createTokenCounter({ countText: (text) => text.length });

function exchange(over: Partial<Exchange> = {}): Exchange {
  const json = { model: 'test-model', max_tokens: 100, messages: [{ role: 'user', content: 'x'.repeat(93) }] };
  const body = Buffer.from(JSON.stringify(json));
  return {
    id: 1, provider: 'openai', method: 'POST', path: '/v1/chat/completions', apiPath: '/v1/chat/completions', endpoint: 'POST /v1/chat/completions',
    model: 'test-model', stream: true, contentType: 'application/json', body, json, text: body.toString(), startedMs: 0, guardMs: 0, ...over,
  };
}

const ctx = (reservedUsd = 0) => ({ book, counter, assumeOutputTokens: 4096, reservedUsd });
const result = (over: Partial<ExchangeResult>): ExchangeResult => ({ status: 200, usage: undefined, forwarded: true, denied: false, ...over });

describe('chargeFor', () => {
  it('prices the usage the provider reported', () => {
    expect(chargeFor(exchange(), result({ usage: { inputTokens: 1000, outputTokens: 100 } }), ctx())).toEqual({ costUsd: (1000 * 2 + 100 * 8) / 1e6, priceEntry: 'test-model' });
  });

  it('charges nothing for what never reached the upstream, or an error answer without usage', () => {
    expect(chargeFor(exchange(), result({ forwarded: false }), ctx(0.5))).toEqual({});
    expect(chargeFor(exchange(), result({ status: 429 }), ctx(0.5))).toEqual({});
    expect(chargeFor(exchange(), result({ outputText: '' }), ctx(0.5))).toEqual({}); // ended, nothing generated
  });

  it('estimates a stream without usage from its request and the text relayed', () => {
    const charge = chargeFor(exchange(), result({ outputText: 'y'.repeat(40) }), ctx());
    expect(charge.usageEstimated).toEqual({ inputTokens: 3 + 4 + 93, outputTokens: 40, totalTokens: 140 });
    expect(charge.costEstimated).toBe(true);
    expect(charge.costUsd).toBeCloseTo((100 * 2 + 40 * 8) / 1e6, 12);
  });

  it('keeps the input a cut stream did report (Anthropic message_start), and never less output than reported', () => {
    const charge = chargeFor(exchange(), result({ usage: { inputTokens: 5000, outputTokens: 1 }, usageFinal: false, outputText: 'abc' }), ctx());
    expect(charge.usageEstimated).toMatchObject({ inputTokens: 5000, outputTokens: 3 });
  });

  it('charges at least the request estimate for an answer cut short', () => {
    const charge = chargeFor(exchange(), result({ cut: true, outputText: 'y'.repeat(10) }), ctx(0.003));
    // input 100 + the request's own output bound (max_tokens 100): $0.0010; the reservation $0.003 is higher.
    expect(charge.costUsd).toBe(0.003);
    expect(chargeFor(exchange(), result({ cut: true }), ctx()).costUsd).toBeCloseTo((100 * 2 + 100 * 8) / 1e6, 12);
  });

  it('marks a guessed price and a billing tier', () => {
    const guessed = chargeFor(exchange({ model: 'gpt-6.2-sol', provider: 'openai' }), result({ usage: { inputTokens: 10, outputTokens: 10, serviceTier: 'flex' } }), ctx());
    expect(guessed).toMatchObject({ priceIsGuess: true, priceEntry: 'gpt-5.6-sol', tier: 'flex', tierFactor: 0.5 });
  });

  it('uses the tier the request asked for when the answer reports none', () => {
    const ex = exchange({ json: { model: 'test-model', service_tier: 'flex' } });
    expect(chargeFor(ex, result({ usage: { inputTokens: 1_000_000, outputTokens: 0 } }), ctx())).toMatchObject({ costUsd: 1, tier: 'flex' });
  });

  it('bounds the input by bytes when the tokenizer is not loaded (never loads it at the end of an answer)', () => {
    const cold = { ...counter, isReady: () => false };
    const charge = chargeFor(exchange(), result({ outputText: 'abcdef' }), { book, counter: cold, assumeOutputTokens: 4096, reservedUsd: 0 });
    expect(charge.usageEstimated).toMatchObject({ inputTokens: exchange().body.length + 1024, outputTokens: 2 });
  });
});
