// Plain (non-stream) bodies, routing of streams by endpoint, and streams of endpoints guardrun does not read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../../fixtures/fake-upstream.mjs';
import type { ToolCall } from '../../policy/types.js';
import { createResponseFilter, streamKind } from './response-filter.js';
import { parseEvent } from './sse.js';
import { feed, testExchange, testScanner, type Api } from './stream-test-capture.js';

const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';
const DENIAL = { status: 403, code: 'no-shell', message: 'guardrun withheld a tool call (no-shell): shell is off' };

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream.close();
});

const PATHS: Record<Api, string> = { chat: '/v1/chat/completions', responses: '/v1/responses', anthropic: '/v1/messages' };

/** A real non-stream body from the fake upstream. */
async function plainBody(api: Api, userText: string): Promise<string> {
  const model = api === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4.1-mini';
  const body = api === 'responses' ? { model, input: userText } : { model, max_tokens: 100, messages: [{ role: 'user', content: userText }] };
  const res = await fetch(upstream.url + PATHS[api], {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return res.text();
}

describe.each(['chat', 'responses', 'anthropic'] as Api[])('%s plain body', (api) => {
  const scanner = testScanner();

  it('returns the same text when there is nothing to mask and no tool call', async () => {
    const text = await plainBody(api, '[[say:Nothing to hide here.]]');
    const seen: ToolCall[][] = [];
    const filter = createResponseFilter({ exchange: testExchange(api, false), scanner, decideToolCalls: async (c) => (seen.push(c), { allow: true }) });
    const out = await filter.body(text);
    expect(out).toEqual({ text });
    expect('text' in out && out.text).toBe(text);
    expect(seen).toEqual([]);
  });

  it('masks a secret in the output and keeps the JSON valid', async () => {
    const text = await plainBody(api, `[[say:Here: ${SECRET}.]]`);
    const out = await createResponseFilter({ exchange: testExchange(api, false), scanner }).body(text);
    if (!('text' in out)) throw new Error('expected text');
    expect(out.text).not.toContain('K8m1');
    expect(out.text).toContain('Here: [REDACTED:openai-key].');
    expect(JSON.parse(out.text)).toBeTypeOf('object');
  });

  it('asks about tool calls: allow gives the (masked) body, deny gives the error and sets denied', async () => {
    const text = await plainBody(api, `[[tool:shell {"cmd":"cat ${SECRET}"}]]`);
    const seen: ToolCall[][] = [];
    const allowed = createResponseFilter({ exchange: testExchange(api, false), scanner, decideToolCalls: async (c) => (seen.push(c), { allow: true }) });
    const out = await allowed.body(text);
    expect(seen).toEqual([[{ name: 'shell', arguments: JSON.stringify({ cmd: `cat ${SECRET}` }) }]]);
    expect('text' in out && out.text.includes('[REDACTED:openai-key]')).toBe(true);
    expect(allowed.denied).toBe(false);

    const refused = createResponseFilter({ exchange: testExchange(api, false), scanner, decideToolCalls: async () => ({ allow: false, error: DENIAL }) });
    expect(await refused.body(text)).toEqual({ error: DENIAL });
    expect(refused.denied).toBe(true);
  });
});

describe('plain body edge cases', () => {
  const scanner = testScanner();

  it('fails closed with guardrun_filter_error when the decision throws', async () => {
    const body = JSON.stringify({ choices: [{ message: { tool_calls: [{ type: 'function', function: { name: 'x', arguments: '{}' } }] } }] });
    const filter = createResponseFilter({ exchange: testExchange('chat', false), scanner, decideToolCalls: async () => Promise.reject(new Error('boom')) });
    const out = await filter.body(body);
    expect(out).toMatchObject({ error: { status: 403, code: 'guardrun_filter_error' } });
    expect(filter.denied).toBe(true);
  });

  it('masks a non-JSON body as text and skips the decision', async () => {
    const filter = createResponseFilter({ exchange: testExchange('chat', false), scanner, decideToolCalls: async () => ({ allow: false, error: DENIAL }) });
    expect(await filter.body(`oops ${SECRET}`)).toEqual({ text: 'oops [REDACTED:openai-key]' });
  });
});

describe('streams of other endpoints', () => {
  it('routes by API path', () => {
    expect(streamKind('openai', '/v1/chat/completions')).toBe('chat');
    expect(streamKind('openai', '/v1/openai/deployments/x/chat/completions')).toBe('chat');
    expect(streamKind('openai', '/v1/responses')).toBe('responses');
    expect(streamKind('anthropic', '/v1/messages')).toBe('anthropic');
    expect(streamKind('openai', '/v1/audio/speech')).toBe('other');
    expect(streamKind('anthropic', '/v1/complete')).toBe('other');
  });

  it('masks each event of an unknown stream as a whole and never holds', async () => {
    const exchange = { ...testExchange('chat'), apiPath: '/v1/realtime/whatever' };
    const events = [parseEvent('data: {"a":"b"}\n\n'), parseEvent(`event: x\ndata: {"t":"${SECRET}"}\n\n`)];
    const filter = createResponseFilter({ exchange, scanner: testScanner(), decideToolCalls: async () => ({ allow: false, error: DENIAL }) });
    const { perEvent } = await feed(filter, events);
    expect(perEvent).toEqual([[events[0].raw], ['event: x\ndata: {"t":"[REDACTED:openai-key]"}\n\n']]);
    expect(filter.closed).toBe(false);
  });
});
