// What the real SDKs make of filtered streams: a loopback server serves the filter's output, and the
// openai / @anthropic-ai/sdk clients read it. A refusal must surface as an error with the rule's
// message; masked streams (with flush deltas) must still accumulate to the masked text.
import Anthropic from '@anthropic-ai/sdk';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../../fixtures/fake-upstream.mjs';
import { createResponseFilter } from './response-filter.js';
import type { ToolCallDecision } from './stream-outbox.js';
import { captureEvents, feed, testExchange, testScanner, type Api } from './stream-test-capture.js';

const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';
const DENIAL = { status: 403, code: 'destructive-shell', message: 'guardrun withheld a tool call (destructive-shell): rm -rf needs a human' };
const deny = async (): Promise<ToolCallDecision> => ({ allow: false, error: DENIAL });

let upstream: FakeUpstream;
let server: Server;
let url = '';
let body = ''; // what the loopback server answers every request with

beforeAll(async () => {
  upstream = await startFakeUpstream();
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await upstream.close();
});

/** Captures the fake upstream's stream for a user text, filters it, and has the loopback server serve the result. */
async function serveFiltered(api: Api, userText: string, decideToolCalls?: () => Promise<ToolCallDecision>): Promise<void> {
  const events = await captureEvents(upstream.url, api, userText);
  const { out } = await feed(createResponseFilter({ exchange: testExchange(api), scanner: testScanner(), decideToolCalls }), events);
  body = out.join('');
}

const openai = (): OpenAI => new OpenAI({ apiKey: 'sk-test-fake-0000', baseURL: `${url}/v1`, maxRetries: 0, timeout: 10_000 });
const anthropic = (): Anthropic => new Anthropic({ apiKey: 'sk-ant-test-fake-0000', baseURL: url, maxRetries: 0, timeout: 10_000 });

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // read to the end (or the error)
  }
}

describe('a refused tool call reaches the SDK as an error', () => {
  it('openai chat.completions stream throws APIError with the message and the rule as code', async () => {
    await serveFiltered('chat', '[[tool:shell {"cmd":"rm -rf /"}]]', deny);
    const stream = await openai().chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x' }], stream: true });
    const error = await drain(stream).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toBe(DENIAL.message);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('destructive-shell');
    expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe('permission_denied');
  });

  it('openai responses stream (raw and the .stream() helper) throws APIError with the message and code', async () => {
    await serveFiltered('responses', '[[tool:shell {"cmd":"rm -rf /"}]]', deny);
    const raw = await openai().responses.create({ model: 'gpt-4.1-mini', input: 'x', stream: true });
    const error = await drain(raw).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toBe(DENIAL.message);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('destructive-shell');
    const helper = openai().responses.stream({ model: 'gpt-4.1-mini', input: 'x' });
    await expect(helper.finalResponse()).rejects.toThrow(DENIAL.message);
  });

  it('anthropic messages stream throws APIError of type permission_error carrying the message', async () => {
    await serveFiltered('anthropic', '[[tool:shell {"cmd":"rm -rf /"}]]', deny);
    const stream = await anthropic().messages.create({ model: 'claude-test-fake', max_tokens: 100, messages: [{ role: 'user', content: 'x' }], stream: true });
    const error = await drain(stream).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.message).toContain(DENIAL.message);
    expect(apiError.type).toBe('permission_error');
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'permission_error', message: DENIAL.message, code: 'destructive-shell' } });
    await expect(anthropic().messages.stream({ model: 'claude-test-fake', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }).finalMessage()).rejects.toThrow(DENIAL.message);
  });
});

describe('masked streams still accumulate in the SDK helpers', () => {
  // The text ends with the secret, so the masker holds it to the end: a flush delta carries it.
  const text = `Here it is: ${SECRET}`;
  const masked = testScanner().mask(text).text;
  const args = JSON.stringify({ cmd: `export KEY=${SECRET}` });
  const maskedArgs = testScanner().mask(args).text;
  const allow = async (): Promise<ToolCallDecision> => ({ allow: true });

  it('openai chat: finalChatCompletion has the masked content and the masked tool arguments', async () => {
    await serveFiltered('chat', `[[say:${text}]] [[chunk:3]]`);
    const done = await openai().chat.completions.stream({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion();
    expect(done.choices[0].message.content).toBe(masked);
    await serveFiltered('chat', `[[tool:shell ${args}]] [[chunk:3]]`, allow);
    const call = await openai().chat.completions.stream({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion();
    const toolCall = call.choices[0].message.tool_calls?.[0];
    expect(toolCall?.type === 'function' ? [toolCall.function.name, toolCall.function.arguments] : undefined).toEqual(['shell', maskedArgs]);
  });

  it('openai responses: finalResponse has the masked output text', async () => {
    await serveFiltered('responses', `[[say:${text}]] [[chunk:3]]`);
    const done = await openai().responses.stream({ model: 'gpt-4.1-mini', input: 'x' }).finalResponse();
    expect(done.output_text).toBe(masked);
  });

  it('anthropic: finalMessage has the masked text and the masked tool input', async () => {
    await serveFiltered('anthropic', `[[say:${text}]] [[chunk:3]]`);
    const params = { model: 'claude-test-fake', max_tokens: 100, messages: [{ role: 'user' as const, content: 'x' }] };
    const done = await anthropic().messages.stream(params).finalMessage();
    expect(done.content[0]).toMatchObject({ type: 'text', text: masked });
    await serveFiltered('anthropic', `[[tool:shell ${args}]] [[chunk:3]]`, allow);
    const call = await anthropic().messages.stream(params).finalMessage();
    expect(call.content[0]).toMatchObject({ type: 'tool_use', name: 'shell', input: JSON.parse(maskedArgs) });
  });
});
