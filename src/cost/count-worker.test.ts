// The worker thread that counts tokens off the event loop: the same counts as the tokenizer, a budget that
// ends a runaway and keeps what was counted, and a fresh worker after that.
import { afterAll, describe, expect, it } from 'vitest';
import { createCountWorker } from './count-worker.js';
import { countTextTokens, pieces, PIECE_CHARS } from './tokenizer.js';

const worker = createCountWorker();
afterAll(() => worker.close());

describe('pieces', () => {
  it('cuts long texts at whitespace, never inside a surrogate pair, and loses nothing', () => {
    const prose = 'lorem ipsum dolor sit amet '.repeat(200);
    const cut = [...pieces(prose)];
    expect(cut.join('')).toBe(prose);
    expect(cut.every((p) => p.length <= PIECE_CHARS && /\s$/.test(p) || p === cut[cut.length - 1])).toBe(true);
    const emoji = 'a' + '😀'.repeat(2000);
    const parts = [...pieces(emoji)];
    expect(parts.join('')).toBe(emoji);
    for (const p of parts) expect(Buffer.from(p, 'utf8').toString('utf8')).toBe(p); // no lone surrogate at a cut
    expect([...pieces('short')]).toEqual(['short']);
  });

  it('counts prose the same cut or whole, and one long run in linear time', () => {
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(100);
    expect(countTextTokens(prose, 'o200k_base')).toBe(countTextTokens(prose.slice(0, 900), 'o200k_base') + countTextTokens(prose.slice(900), 'o200k_base'));
    // Whole, 200,000 × "a" takes minutes in gpt-tokenizer; cut, it must finish within the test's timeout.
    const run = countTextTokens('a'.repeat(200_000), 'o200k_base');
    expect(run).toBeGreaterThan(0);
    expect(run).toBeLessThanOrEqual(200_000); // bytes bound tokens
  });
});

describe('createCountWorker', () => {
  it('counts like the tokenizer on this thread', async () => {
    const texts = ['hello world', 'The quick brown fox. '.repeat(300), '漢字かな交じり文'];
    const counts = await worker.count(texts, 'o200k_base', 20_000);
    expect(counts).toEqual(texts.map((t) => countTextTokens(t, 'o200k_base')));
    expect(await worker.count(['hello world'], 'cl100k_base', 20_000)).toEqual([2]);
  });

  it("does not charge a request's budget for loading the encoding (a cold worker still counts within 50 ms)", async () => {
    const cold = createCountWorker();
    try {
      // Loading the ranks alone takes well over 50 ms; counting two words after it, far less.
      expect(await cold.count(['hello world'], 'o200k_base', 50)).toEqual([2]);
      expect(cold.ready('o200k_base')).toBe(true);
    } finally {
      await cold.close();
    }
  });

  it('gives up on what it cannot count in time, then starts afresh', async () => {
    await worker.count(['warm'], 'o200k_base', 20_000); // ranks loaded, so the budget below is all counting
    const random = Array.from({ length: 400_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 2000))).join('');
    const counts = await worker.count(['hello', random], 'o200k_base', 30);
    expect(counts[1]).toBeUndefined();
    expect(await worker.count(['hello world'], 'o200k_base', 20_000)).toEqual([2]);
  });
});
