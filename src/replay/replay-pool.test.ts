import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { parseSession } from '../recording/reader.js';
import { BUILTIN_DETECTORS } from '../secrets/detectors.js';
import { createScanner } from '../secrets/scan.js';
import { outlineSession } from './exchanges.js';
import { createReplayPools, NO_MATCH_CODE, type ReplayPoolOptions } from './replay-pool.js';
import { chatRequest, chatResponse, readFixture, sealEvents, startEvent } from './test-session.js';

const scanner = createScanner(BUILTIN_DETECTORS);
const mask = (t: string): string => scanner.mask(t).text;

const STREAM_EVENTS = [
  { t: 0, data: 'data: {"choices":[{"index":0,"delta":{"content":"He"}}]}\n\n' },
  { t: 40, data: 'data: {"choices":[{"index":0,"delta":{"content":"llo"}}]}\n\n' },
  { t: 95, data: 'data: [DONE]\n\n' },
];

function session() {
  return parseSession(sealEvents([
    startEvent(),
    chatRequest(1, 'Say hello.'), chatResponse(1, 'first answer'),
    chatRequest(2, 'Say hello.'), chatResponse(2, 'second answer'),
    chatRequest(3, 'Stream it.', { stream: true, body: { json: { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Stream it.' }] } } }),
    { type: 'response', id: 3, time: '2026-01-01T00:00:03.000Z', status: 200, headers: { 'content-type': 'text/event-stream' }, events: STREAM_EVENTS, ttfbMs: 12, durationMs: 110, source: 'upstream' },
    chatRequest(4, 'Tell me the password'),
    { type: 'decision', id: 4, phase: 'request', verdict: 'deny', decidedBy: 'policy', checks: [], rules: ['rule:no-passwords'] },
    { type: 'response', id: 4, time: '2026-01-01T00:00:04.000Z', status: 403, headers: {}, durationMs: 1, error: { code: 'rule:no-passwords', message: 'denied' }, source: 'guardrun' },
  ]), 's.jsonl');
}

function pools(extra: Partial<ReplayPoolOptions> = {}) {
  return createReplayPools({ exchanges: outlineSession(session()).exchanges, prefixes: { openai: '' }, mask, ...extra });
}

function chat(prompt: string, extra: Record<string, unknown> = {}, path = '/v1/chat/completions'): Dispatcher.RequestOptions {
  const body = JSON.stringify({ messages: [{ content: prompt, role: 'user' }], model: 'gpt-4o-mini', ...extra });
  return { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
}

async function chunksOf(res: Dispatcher.ResponseData): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of res.body as AsyncIterable<Buffer>) out.push(chunk.toString('utf8'));
  return out;
}

const textOf = async (res: Dispatcher.ResponseData): Promise<string> => (await chunksOf(res)).join('');

describe('the replay upstream', () => {
  it('answers a request from the recording whatever the key order, and repeats in recorded order', async () => {
    const replay = pools();
    const first = await replay.pools.openai!.request(chat('Say hello.'));
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/json');
    expect(JSON.parse(await textOf(first)).choices[0].message.content).toBe('first answer');
    const second = await replay.pools.openai!.request(chat('Say hello.'));
    expect(JSON.parse(await textOf(second)).choices[0].message.content).toBe('second answer');
    expect(replay.divergences).toEqual([]);
    expect(replay.answered()).toBe(2);
    expect(replay.unused().map((e) => e.id)).toEqual([3]);
  });

  it('re-emits a stream with its recorded event boundaries', async () => {
    const res = await pools().pools.openai!.request(chat('Stream it.', { stream: true }));
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(await chunksOf(res)).toEqual(STREAM_EVENTS.map((e) => e.data));
  });

  it('with realtime, waits the time to first byte and then the recorded gaps between events', async () => {
    const waits: number[] = [];
    const replay = pools({ realtime: true, wait: async (ms) => void waits.push(ms) });
    await chunksOf(await replay.pools.openai!.request(chat('Stream it.', { stream: true })));
    expect(waits).toEqual([12, 40, 55]);
    await textOf(await replay.pools.openai!.request(chat('Say hello.')));
    expect(waits).toHaveLength(3); // plain answers recorded no ttfb here: nothing more to wait
  });

  it('fails closed on a changed request: a 409 naming the request, the nearest recording and the difference', async () => {
    const replay = pools();
    const res = await replay.pools.openai!.request(chat('Say goodbye.'));
    expect(res.statusCode).toBe(409);
    expect(res.headers['x-should-retry']).toBe('false');
    const body = JSON.parse(await textOf(res));
    expect(body.error.code).toBe(NO_MATCH_CODE);
    expect(replay.divergences).toHaveLength(1);
    const d = replay.divergences[0];
    expect(d).toMatchObject({ request: 1, method: 'POST', path: '/v1/chat/completions', nearest: { id: 1, difference: { path: '/messages/0/content', recorded: '"Say hello."', now: '"Say goodbye."' } } });
    expect(body.error.message).toContain(d.message);
    expect(d.message).toMatch(/^request 1 of the re-run \(POST \/v1\/chat\/completions\) has no match in the recording; nearest is recorded #1/);
  });

  it('says when a request was denied in the recording, and when the recording has run out', async () => {
    const replay = pools();
    const denied = await replay.pools.openai!.request(chat('Tell me the password'));
    expect(denied.statusCode).toBe(409);
    expect(replay.divergences[0].message).toMatch(/it is recorded #4, but it was denied in the recording \(rule:no-passwords\)/);
    for (const prompt of ['Say hello.', 'Say hello.', 'Stream it.']) await textOf(await replay.pools.openai!.request(chat(prompt, prompt === 'Stream it.' ? { stream: true } : {})));
    await replay.pools.openai!.request(chat('Say hello.'));
    expect(replay.divergences[1].message).toMatch(/request 5 .*every recorded openai answer was already used/);
  });

  it('strips the upstream URL\'s path prefix, and maps Anthropic paths back to /anthropic/…', async () => {
    const replay = createReplayPools({ exchanges: outlineSession(readFixture('anthropic.jsonl')).exchanges, prefixes: { anthropic: '/gw' }, mask });
    const recorded = outlineSession(readFixture('anthropic.jsonl')).exchanges[0].request!;
    const body = Buffer.from(JSON.stringify((recorded.body as { json: unknown }).json));
    const res = await replay.pools.anthropic!.request({ method: 'POST', path: '/gw/v1/messages', headers: { 'content-type': 'application/json' }, body });
    expect(res.statusCode).toBe(200);
    expect((await chunksOf(res)).length).toBe((outlineSession(readFixture('anthropic.jsonl')).exchanges[0].response!.events ?? []).length);
    expect(replay.divergences).toEqual([]);
  });

  it('breaks the body where a recorded upstream connection broke', async () => {
    const s = parseSession(sealEvents([
      startEvent(), chatRequest(1, 'x', { stream: true }),
      { type: 'response', id: 1, time: '2026-01-01T00:00:01.000Z', status: 502, headers: { 'content-type': 'text/event-stream' }, events: STREAM_EVENTS.slice(0, 1), durationMs: 5, error: { code: 'guardrun_upstream_broke', message: 'broke' }, source: 'guardrun' },
    ]), 'b.jsonl');
    const replay = createReplayPools({ exchanges: outlineSession(s).exchanges, prefixes: { openai: '' }, mask });
    const res = await replay.pools.openai!.request(chat('x'));
    expect(res.statusCode).toBe(200);
    const seen: string[] = [];
    await expect(async () => {
      for await (const c of res.body as AsyncIterable<Buffer>) seen.push(c.toString());
    }).rejects.toThrow(/broke here in the recording/);
    expect(seen).toEqual([STREAM_EVENTS[0].data]);
  });
});
