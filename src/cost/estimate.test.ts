import { beforeAll, describe, expect, it, vi } from 'vitest';
import { boundRequest, estimateRequest, estimateRequestAsync, outputBound } from './estimate.js';
import { createPriceBook } from './price-book.js';
import { createTokenCounter } from './tokens.js';

const book = createPriceBook();
beforeAll(() => book.whenReady());

// One token per character keeps the expected numbers easy to follow.
const counter = () => createTokenCounter({ countText: vi.fn((text: string) => text.length) });

describe('estimateRequest', () => {
  it('prices input plus the request output limit', () => {
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(993) }], max_completion_tokens: 500 };
    const e = estimateRequest('openai', '/v1/chat/completions', 'gpt-4o-mini', body, counter(), 4096, book);
    expect(e.inputTokens).toBe(3 + 4 + 993);
    expect(e.outputTokens).toBe(500);
    expect(e.priceKnown).toBe(true);
    expect(e.usd).toBeCloseTo((1000 * 0.15 + 500 * 0.6) / 1e6, 12);
  });

  it('assumes an output size when the request sets no limit', () => {
    const body = { model: 'gpt-5', input: 'hello' };
    const e = estimateRequest('openai', '/v1/responses', 'gpt-5', body, counter(), 2000, book);
    expect(e.outputTokens).toBe(2000);
    expect(e.usd).toBeCloseTo(((3 + 4 + 5) * 1.25 + 2000 * 10) / 1e6, 12);
  });

  it('uses max_tokens for Anthropic and prices with the Anthropic table', () => {
    const body = { model: 'claude-haiku-4-5-20251001', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] };
    const e = estimateRequest('anthropic', '/v1/messages', 'claude-haiku-4-5-20251001', body, counter(), 4096, book);
    expect(e).toMatchObject({ inputTokens: 3 + 4 + 2, outputTokens: 1024, priceKnown: true });
    expect(e.usd).toBeCloseTo((9 * 1 + 1024 * 5) / 1e6, 12);
  });

  it('gives embeddings no output', () => {
    const body = { model: 'text-embedding-3-large', input: ['abc', 'de'] };
    const e = estimateRequest('openai', '/v1/embeddings', undefined, body, counter(), 4096, book);
    expect(e).toMatchObject({ inputTokens: 5, outputTokens: 0, priceKnown: true });
    expect(e.usd).toBeCloseTo((5 * 0.13) / 1e6, 15);
  });

  it('prices an unknown model with its guess, and says so', () => {
    const body = { model: 'gpt-6.2-sol', messages: [{ role: 'user', content: 'hi' }] };
    const e = estimateRequest('openai', '/v1/chat/completions', 'gpt-6.2-sol', body, counter(), 100, book);
    expect(e).toMatchObject({ inputTokens: 9, outputTokens: 100, priceKnown: false, priceIsGuess: true, priceEntry: 'gpt-5.6-sol' });
    expect(e.usd).toBeGreaterThan(0);
  });

  it('has no price without a model', () => {
    expect(estimateRequest('openai', '/v1/chat/completions', undefined, { messages: [] }, counter(), 100, book)).toEqual({ inputTokens: 3, outputTokens: 100, usd: undefined, priceKnown: false });
  });

  it('prices the tier the request asks for (flex: half)', () => {
    const body = { model: 'gpt-5', input: 'hello', service_tier: 'flex' };
    const flex = estimateRequest('openai', '/v1/responses', 'gpt-5', body, counter(), 2000, book);
    const standard = estimateRequest('openai', '/v1/responses', 'gpt-5', { ...body, service_tier: undefined }, counter(), 2000, book);
    expect(flex.usd).toBeCloseTo(standard.usd! / 2, 12);
  });

  it('bounds the input without tokenizing: texts not counted yet at their UTF-8 size, counted ones at their count', async () => {
    const tokenize = vi.fn((text: string) => Math.ceil(text.length / 4));
    const c = createTokenCounter({ countText: tokenize });
    const old = 'é'.repeat(400); // 800 bytes, 100 tokens
    const body = { model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: old }] };
    const cold = boundRequest('openai', '/v1/chat/completions', 'gpt-4o-mini', body, c, 4096, book);
    expect(cold).toMatchObject({ inputTokens: 3 + 4 + 800, outputTokens: 10, priceKnown: true, missing: [old] });
    expect(tokenize).not.toHaveBeenCalled();
    const counted = await estimateRequestAsync('openai', '/v1/chat/completions', 'gpt-4o-mini', body, c, 4096, book);
    expect(counted).toMatchObject({ inputTokens: 3 + 4 + 100, outputTokens: 10 });
    const next = { ...body, messages: [...body.messages, { role: 'user', content: 'new!' }] };
    expect(boundRequest('openai', '/v1/chat/completions', 'gpt-4o-mini', next, c, 4096, book)).toMatchObject({ inputTokens: 3 + 4 + 100 + 4 + 4, missing: ['new!'] });
  });
});

describe('outputBound', () => {
  it.each([
    ['chat prefers max_completion_tokens', '/v1/chat/completions', { max_completion_tokens: 10, max_tokens: 99 }, 10],
    ['chat falls back to max_tokens', '/v1/chat/completions', { max_tokens: 99 }, 99],
    ['chat multiplies by n', '/v1/chat/completions', { max_tokens: 100, n: 3 }, 300],
    ['responses reads max_output_tokens', '/v1/responses', { max_output_tokens: 77, max_tokens: 5 }, 77],
    ['junk limits are ignored', '/v1/chat/completions', { max_tokens: -1, max_completion_tokens: 'lots' }, 4096],
    ['no body', '/v1/chat/completions', undefined, 4096],
    ['embeddings', '/v1/embeddings', { max_tokens: 50 }, 0],
    ['a limit above the assumption is capped at it (Claude Code sends 128,000)', '/v1/chat/completions', { max_tokens: 128_000 }, 4096],
    ['capped per choice', '/v1/chat/completions', { max_tokens: 128_000, n: 2 }, 8192],
    ['a Responses WebSocket warm-up generates nothing', '/v1/responses', { type: 'response.create', generate: false }, 0],
    ['Realtime response.create reads response.max_output_tokens', '/v1/realtime', { type: 'response.create', response: { max_output_tokens: 300 } }, 300],
    ['Realtime "inf" takes the assumption', '/v1/realtime', { type: 'response.create', response: { max_output_tokens: 'inf' } }, 4096],
    ['Realtime events that do not generate', '/v1/realtime', { type: 'conversation.item.create', item: {} }, 0],
  ])('%s', (_label, endpoint, body, expected) => {
    expect(outputBound('openai', endpoint, body, 4096)).toBe(expected);
  });
});
