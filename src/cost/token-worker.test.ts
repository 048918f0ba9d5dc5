// The token worker: real gpt-tokenizer in a real worker thread (loading o200k_base takes a few hundred ms).
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenWorker } from './token-worker.js';
import { countTextTokens } from './tokenizer.js';

const worker = createTokenWorker();
afterAll(() => worker.close());

describe('the token worker', () => {
  it('warms in the background and counts exactly what the tokenizer counts, special-token text as text', async () => {
    worker.warm('o200k_base');
    expect(worker.ready('o200k_base')).toBe(false);
    const texts = ['hello world', '', 'see <|endoftext|> here', 'Größe 東京 ☺️ '.repeat(50)];
    const counted = await worker.count(texts, 'o200k_base', 30_000);
    expect(counted).toEqual(texts.map((t) => countTextTokens(t, 'o200k_base')));
    expect(worker.ready('o200k_base')).toBe(true);
    expect(await worker.count(['hello world'], 'cl100k_base', 30_000)).toEqual([2]);
  });

  it('gives up at the deadline, and the next count gets a fresh worker', async () => {
    expect(await worker.count(['word '.repeat(200_000)], 'o200k_base', 1)).toBeUndefined();
    expect(worker.ready('o200k_base')).toBe(false); // replaced
    expect(await worker.count(['hello world'], 'o200k_base', 30_000)).toEqual([2]);
  });
});
