// Tool calls assembled from real streams of the fake upstream (the shapes the SDKs parse), for each API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { extractToolCalls } from '../policy/extract.js';
import { SseSplitter } from '../proxy/response/sse.js';
import { readFixture } from './test-session.js';
import { recordedToolCalls, streamToolCalls } from './stream-tool-calls.js';
import type { ResponseEvent } from '../recording/format.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

const PROMPT = 'Run it. [[tool:shell {"command":"ls -la","cwd":"/tmp"}]] [[chunk:3]]';

async function post(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ events: string[]; json?: unknown }> {
  const res = await fetch(upstream.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!body.stream) return { events: [], json: await res.json() };
  const splitter = new SseSplitter();
  const events = splitter.push(Buffer.from(await res.arrayBuffer())).map((e) => e.raw);
  return { events };
}

const chat = (stream: boolean) => ({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: PROMPT }] });
const responses = (stream: boolean) => ({ model: 'gpt-4o-mini', stream, input: PROMPT });
const messages = (stream: boolean) => ({ model: 'claude-haiku-4-5', max_tokens: 64, stream, messages: [{ role: 'user', content: PROMPT }] });

describe('streamToolCalls', () => {
  it('assembles a Chat Completions tool call from its deltas, as the plain answer has it', async () => {
    const streamed = await post('/v1/chat/completions', chat(true));
    const plain = await post('/v1/chat/completions', chat(false));
    expect(streamed.events.length).toBeGreaterThan(4);
    const calls = streamToolCalls('openai', '/v1/chat/completions', streamed.events);
    expect(calls).toEqual([{ name: 'shell', arguments: '{"command":"ls -la","cwd":"/tmp"}' }]);
    expect(calls).toEqual(extractToolCalls(plain.json));
  });

  it('takes a Responses stream\'s calls from its final event, or from the finished items when cut before it', async () => {
    const streamed = await post('/v1/responses', responses(true));
    const plain = await post('/v1/responses', responses(false));
    const calls = streamToolCalls('openai', '/v1/responses', streamed.events);
    expect(calls).toEqual([{ name: 'shell', arguments: '{"command":"ls -la","cwd":"/tmp"}' }]);
    expect(calls).toEqual(extractToolCalls(plain.json));
    const cut = streamed.events.filter((e) => !/response\.completed/.test(e));
    expect(streamToolCalls('openai', '/v1/responses', cut)).toEqual(calls);
    const onlyDeltas = cut.filter((e) => !/output_item\.done/.test(e));
    expect(streamToolCalls('openai', '/v1/responses', onlyDeltas)).toEqual(calls);
  });

  it('assembles an Anthropic tool_use block from input_json_delta, as JSON of the finished input', async () => {
    const streamed = await post('/v1/messages', messages(true), { 'anthropic-version': '2023-06-01' });
    const plain = await post('/v1/messages', messages(false), { 'anthropic-version': '2023-06-01' });
    const calls = streamToolCalls('anthropic', '/v1/messages', streamed.events);
    expect(calls).toEqual([{ name: 'shell', arguments: '{"command":"ls -la","cwd":"/tmp"}' }]);
    expect(calls).toEqual(extractToolCalls(plain.json));
  });

  it('finds no calls in a text answer, and reads recorded responses of the golden files', () => {
    expect(streamToolCalls('openai', '/v1/chat/completions', ['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n', 'data: [DONE]\n\n'])).toEqual([]);
    const response = (name: string) => readFixture(name).events.find((e) => e.event.type === 'response')!.event as ResponseEvent;
    expect(recordedToolCalls('openai', '/v1/chat/completions', response('streamed.jsonl'))).toEqual([{ name: 'shell', arguments: '{"command":"rm -rf ./build"}' }]);
    expect(recordedToolCalls('anthropic', '/v1/messages', response('anthropic.jsonl'))).toEqual([{ name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    expect(recordedToolCalls('openai', '/v1/responses', response('plain.jsonl'))).toEqual([{ name: 'get_weather', arguments: '{"city":"Paris"}' }]);
  });
});
