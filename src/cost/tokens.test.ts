// Timing is checked by hand, not here: see the comment at the top of tokens.ts.
import { describe, expect, it, vi } from 'vitest';
import { countTextTokens } from './tokenizer.js';
import { createTokenCounter } from './tokens.js';

function conversation(messages: number, charsEach: number) {
  return {
    model: 'gpt-4o',
    messages: Array.from({ length: messages }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `message ${i}: ` + 'lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(Math.ceil(charsEach / 57)),
    })),
  };
}

describe('countTextTokens (gpt-tokenizer)', () => {
  it('counts with the right encoding', () => {
    expect(countTextTokens('hello world', 'o200k_base')).toBe(2);
    expect(countTextTokens('hello world', 'cl100k_base')).toBe(2);
    expect(countTextTokens('', 'o200k_base')).toBe(0);
  });

  it('treats special-token text as plain text instead of throwing', () => {
    expect(countTextTokens('see <|endoftext|> here', 'o200k_base')).toBeGreaterThan(2);
  });
});

describe('createTokenCounter', () => {
  it('counts a chat request as the sum of its messages plus overheads', () => {
    const counter = createTokenCounter();
    const body = { model: 'gpt-4o', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hi to the guardrun test.' }] };
    const expected = 3 + 4 + countTextTokens('You are terse.', 'o200k_base') + 4 + countTextTokens('Say hi to the guardrun test.', 'o200k_base');
    expect(counter.countRequest('openai', '/v1/chat/completions', 'gpt-4o', body)).toEqual({ inputTokens: expected, encoding: 'o200k_base' });
  });

  it('uses the model encoding, falling back to body.model', () => {
    const counter = createTokenCounter();
    const body = { model: 'text-embedding-3-small', input: 'hello world' };
    expect(counter.countRequest('openai', '/v1/embeddings', undefined, body)).toEqual({ inputTokens: 2, encoding: 'cl100k_base' });
  });

  it('tokenizes only what is new in a growing conversation', () => {
    const spy = vi.fn(countTextTokens);
    const counter = createTokenCounter({ countText: spy });
    const body = conversation(200, 1000); // ~200 KB
    const first = counter.countRequest('openai', '/v1/chat/completions', 'gpt-4o', body);
    expect(spy).toHaveBeenCalledTimes(200);

    const grown = { ...body, messages: [...structuredClone(body.messages), { role: 'user', content: 'and one more thing' }] };
    spy.mockClear();
    const second = counter.countRequest('openai', '/v1/chat/completions', 'gpt-4o', grown);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy).toHaveBeenCalledWith('and one more thing', 'o200k_base');
    expect(second.inputTokens).toBe(first.inputTokens + 4 + countTextTokens('and one more thing', 'o200k_base'));
    expect(counter.stats()).toMatchObject({ misses: 201, hits: 200, entries: 201 });
  });

  it('keeps encodings apart', () => {
    const spy = vi.fn((text: string) => text.length);
    const counter = createTokenCounter({ countText: spy });
    counter.countText('same text', 'o200k_base');
    counter.countText('same text', 'cl100k_base');
    counter.countText('same text', 'o200k_base');
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('caches very long texts under a hash and tells different ones apart', () => {
    const spy = vi.fn((text: string) => text.length);
    const counter = createTokenCounter({ countText: spy });
    const a = 'a'.repeat(100_000);
    const b = 'a'.repeat(99_999) + 'b';
    counter.countText(a, 'o200k_base');
    counter.countText(b, 'o200k_base');
    counter.countText(a, 'o200k_base');
    counter.countText(b, 'o200k_base');
    expect(spy).toHaveBeenCalledTimes(2);
    expect(counter.stats()).toMatchObject({ hits: 2, misses: 2 });
  });

  it('evicts the least recently used text when full', () => {
    const spy = vi.fn((text: string) => text.length);
    const counter = createTokenCounter({ countText: spy, maxEntries: 2 });
    counter.countText('one', 'o200k_base');
    counter.countText('two', 'o200k_base');
    counter.countText('one', 'o200k_base'); // hit: "two" is now the oldest
    counter.countText('three', 'o200k_base'); // evicts "two"
    expect(counter.stats().entries).toBe(2);
    spy.mockClear();
    counter.countText('one', 'o200k_base');
    expect(spy).not.toHaveBeenCalled();
    counter.countText('two', 'o200k_base');
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('bounds the characters kept', () => {
    const spy = vi.fn((text: string) => text.length);
    const counter = createTokenCounter({ countText: spy, maxKeyChars: 10 });
    counter.countText('12345678', 'o200k_base');
    counter.countText('abcdef', 'o200k_base'); // 14 chars > 10: the first is evicted
    expect(counter.stats().entries).toBe(1);
    counter.countText('x'.repeat(11), 'o200k_base'); // larger than the whole budget: never kept
    counter.countText('x'.repeat(11), 'o200k_base');
    expect(spy).toHaveBeenCalledTimes(4);
  });
});

describe('the bound and the item memo', () => {
  it('keeps exact counts by item object, and never a count that took a text at its size', async () => {
    const tokenize = vi.fn((text: string) => Math.ceil(text.length / 4));
    const counter = createTokenCounter({ countText: tokenize });
    const shared = 'same text in two messages';
    const a = { role: 'user', content: shared };
    const b = { role: 'assistant', content: shared };
    const body = { model: 'gpt-4o', messages: [a, b] };
    const cold = counter.boundRequest('openai', '/v1/chat/completions', 'gpt-4o', body);
    expect(cold).toMatchObject({ inputTokens: 3 + 2 * (4 + shared.length), missing: [shared] });
    await counter.countRequestAsync('openai', '/v1/chat/completions', 'gpt-4o', body);
    const exact = 3 + 2 * (4 + Math.ceil(shared.length / 4));
    expect(counter.boundRequest('openai', '/v1/chat/completions', 'gpt-4o', body)).toMatchObject({ inputTokens: exact, missing: [] });
    // The same objects again (a re-sent conversation, interned by the session file's index): no text is looked at.
    const next = { model: 'gpt-4o', messages: [a, b, { role: 'user', content: 'new' }] };
    expect(counter.boundRequest('openai', '/v1/chat/completions', 'gpt-4o', next)).toMatchObject({ inputTokens: exact + 4 + 3, missing: ['new'] });
    expect(tokenize).toHaveBeenCalledTimes(1);
  });

  it("keeps an item's count per API: a message counted for Messages is counted afresh for Chat (the same model id)", () => {
    const item = { role: 'user', content: 'hello there', name: 'bob' };
    const chat = { model: 'shared-model', messages: [item] };
    const fresh = createTokenCounter({ countText: (text) => text.length }).countRequest('openai', '/v1/chat/completions', 'shared-model', chat);
    const counter = createTokenCounter({ countText: (text) => text.length });
    counter.countRequest('anthropic', '/v1/messages', 'shared-model', { model: 'shared-model', max_tokens: 1, messages: [item] });
    expect(counter.countRequest('openai', '/v1/chat/completions', 'shared-model', chat)).toEqual(fresh);
  });

  it('keeps the bound of an item whose texts were not counted, with those texts: a re-sent item is not read again', () => {
    const counter = createTokenCounter({ countText: (text) => Math.ceil(text.length / 4) });
    let reads = 0;
    const long = 'an uncounted message '.repeat(50);
    const old = { role: 'user', get content() { reads++; return long; } };
    const first = counter.boundRequest('openai', '/v1/chat/completions', 'gpt-4o', { model: 'gpt-4o', messages: [old] });
    expect(first).toMatchObject({ inputTokens: 3 + 4 + long.length, missing: [long] });
    expect(reads).toBe(1);
    // Re-sent with one new message: the old one costs a lookup, and still says its text is a bound.
    const next = counter.boundRequest('openai', '/v1/chat/completions', 'gpt-4o', { model: 'gpt-4o', messages: [old, { role: 'user', content: 'new' }] });
    expect(next).toMatchObject({ inputTokens: 3 + 4 + long.length + 4 + 3, missing: [long, 'new'] });
    expect(reads).toBe(1);
    // And again: a bound found in the memo is never taken for an exact count (missing stays non-empty).
    expect(counter.boundRequest('openai', '/v1/chat/completions', 'gpt-4o', { model: 'gpt-4o', messages: [old] })).toMatchObject({ missing: [long] });
    expect(reads).toBe(1);
    // Another model's memo is its own.
    counter.boundRequest('openai', '/v1/chat/completions', 'gpt-4.1', { model: 'gpt-4.1', messages: [old] });
    expect(reads).toBe(2);
  });
});

