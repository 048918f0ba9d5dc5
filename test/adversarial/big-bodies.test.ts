// Issue 10, item 1: no input may block the event loop or kill the process. Huge bodies, bodies the tokenizer
// is slow on, and deep nesting, while a second connection checks the proxy still answers; every run ends with
// a whole session file (session.end), and SIGTERM during a huge request is honoured within seconds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { JSON_HEADERS, LONG, chat, send, startGuarded, type Guarded } from './harness.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: 'sk-test-fake-openai-real-key-000000000000000000000000' });
});
afterAll(() => upstream.close());

// A policy whose limits make guardrun count tokens exactly for every request (count_tokens: always).
const COUNTING = `version: 1
endpoints:
  allow: ["* /v1/*"]
models:
  unknown: allow
cost:
  count_tokens: always
  approve_over_usd: 1000
  session_budget_usd: 100000
`;

/** While `work` runs, how long the proxy takes to answer a small request (the slowest of a few). */
async function worstLatencyDuring(g: Guarded, work: Promise<unknown>): Promise<number> {
  let worst = 0;
  let done = false;
  void work.finally(() => (done = true));
  await new Promise((r) => setTimeout(r, 150));
  for (let i = 0; i < 5 && !done; i++) {
    const a = await send(g, { method: 'GET', path: '/v1/models' });
    expect(a.status).toBe(200);
    worst = Math.max(worst, a.ms);
    await new Promise((r) => setTimeout(r, 100));
  }
  return worst;
}

describe('huge and pathological bodies', () => {
  it.each([
    ['2 MB of one repeated character', () => chat('a'.repeat(2 * 1024 * 1024))],
    ['2 MB of random CJK text', () => chat(Array.from({ length: 700_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 2000))).join(''))],
    ['20 MB of one repeated character', () => chat('b'.repeat(20 * 1024 * 1024))],
  ])('%s: counted within budget, the proxy keeps answering, the request goes through', async (_name, make) => {
    const g = await startGuarded({ upstream: upstream.url, policy: COUNTING });
    try {
      const body = make();
      const big = send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body, timeoutMs: 120_000 });
      const worst = await worstLatencyDuring(g, big);
      const answer = await big;
      expect(answer.status, answer.body.slice(0, 300)).toBe(200);
      // Seconds, not minutes: the tokenizer no longer runs on the event loop (not a speed target: a hang detector).
      expect(worst).toBeLessThan(5_000);
      if (process.env.GUARDRUN_ADV_VERBOSE) console.log(`${_name}: answered in ${Math.round(answer.ms)} ms, slowest small request meanwhile ${Math.round(worst)} ms`);
    } finally {
      const end = await g.stop();
      expect(end.lines.at(-1)).toMatchObject({ type: 'session.end' });
      const decision = end.lines.find((l) => l.type === 'decision');
      expect(decision).toBeDefined();
    }
  });

  it('a body over the 64 MiB limit is refused 413 and recorded by its size; guardrun survives', async () => {
    const g = await startGuarded({ upstream: upstream.url });
    try {
      const size = LONG ? 200 * 1024 * 1024 : 70 * 1024 * 1024;
      const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: chat('c'.repeat(size)), timeoutMs: 120_000 });
      expect(a.status).toBe(413);
      expect(JSON.parse(a.body).error.code).toBe('guardrun_body_too_large');
      expect((await send(g, { method: 'GET', path: '/v1/models' })).status).toBe(200);
    } finally {
      const end = await g.stop();
      const request = end.lines.find((l) => l.type === 'request');
      expect(request?.body).toMatchObject({ omitted: expect.stringContaining('guardrun_body_too_large') });
      expect(end.lines.find((l) => l.type === 'response')).toMatchObject({ status: 413, source: 'guardrun' });
      expect(end.lines.at(-1)).toMatchObject({ type: 'session.end' });
    }
  });

  it('JSON nested 50,000 levels deep is refused 400 and recorded', async () => {
    const g = await startGuarded({ upstream: upstream.url });
    try {
      const deep = `{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
      const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: deep });
      expect(a.status).toBe(400);
      expect(JSON.parse(a.body).error.code).toBe('guardrun_json_too_deep');
    } finally {
      const end = await g.stop();
      const response = end.lines.find((l) => l.type === 'response');
      expect(response).toMatchObject({ status: 400, source: 'guardrun', error: { code: 'guardrun_json_too_deep' } });
      expect(end.lines.at(-1)).toMatchObject({ type: 'session.end' });
    }
  });

  it('a 30 MB malformed JSON body full of escapes is refused 400 and recorded, not crashed on', async () => {
    const g = await startGuarded({ upstream: upstream.url });
    try {
      const body = `{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"${'\\"'.repeat(15 * 1024 * 1024)}`; // never closed
      const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body, timeoutMs: 120_000 });
      expect(a.status).toBe(400);
      expect(JSON.parse(a.body).error.code).toBe('guardrun_malformed_json');
    } finally {
      const end = await g.stop();
      expect(end.lines.find((l) => l.type === 'response')).toMatchObject({ status: 400, error: { code: 'guardrun_malformed_json' } });
      expect(end.lines.at(-1)).toMatchObject({ type: 'session.end' });
    }
  });

  it('SIGTERM during a huge request is honoured within seconds, with a whole session file', async () => {
    const g = await startGuarded({ upstream: upstream.url, policy: COUNTING });
    const big = send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: chat('d'.repeat(40 * 1024 * 1024)), timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 400));
    const end = await g.stop('SIGTERM');
    await big;
    expect(end.ms).toBeLessThan(10_000);
    expect(end.lines.at(-1)).toMatchObject({ type: 'session.end' });
  });
});
