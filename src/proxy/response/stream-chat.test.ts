// Chat Completions cases the fake upstream does not produce: text then a tool call, two choices,
// flush deltas, a finish chunk that carries text, streams cut before [DONE], legacy completions.
import { describe, expect, it } from 'vitest';
import type { ToolCall } from '../../policy/types.js';
import { createResponseFilter } from './response-filter.js';
import { parseEvent } from './sse.js';
import type { ToolCallDecision } from './stream-outbox.js';
import { dataOf, deltaText, feed, testExchange, testScanner } from './stream-test-capture.js';

const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';
const head = { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1-mini' };
const chunk = (choices: unknown[]) => parseEvent(`data: ${JSON.stringify({ ...head, choices })}\n\n`);
const text = (content: string, index = 0) => chunk([{ index, delta: { content }, logprobs: null, finish_reason: null }]);
const finish = (reason: string, index = 0, delta: object = {}) => chunk([{ index, delta, logprobs: null, finish_reason: reason }]);
const toolStart = (name: string, index = 0) =>
  chunk([{ index, delta: { role: 'assistant', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name, arguments: '' } }] }, finish_reason: null }]);
const toolArgs = (args: string, index = 0) => chunk([{ index, delta: { tool_calls: [{ index: 0, function: { arguments: args } }] }, finish_reason: null }]);
const DONE = parseEvent('data: [DONE]\n\n');

function recorder(verdict: ToolCallDecision = { allow: true }) {
  const calls: ToolCall[][] = [];
  return { calls, decide: async (c: ToolCall[]) => (calls.push(c), verdict) };
}

describe('chat stream', () => {
  const scanner = testScanner();
  const exchange = testExchange('chat');

  it('lets text before a tool call through at once and holds the call until its finish chunk', async () => {
    const d = recorder();
    const events = [text('Running it'), text(' now.'), toolStart('shell'), toolArgs('{"cmd":'), toolArgs('"ls"}'), finish('tool_calls'), DONE];
    const { perEvent, out } = await feed(createResponseFilter({ exchange, scanner, decideToolCalls: d.decide }), events);
    expect(perEvent.slice(0, 2)).toEqual([[events[0].raw], [events[1].raw]]);
    expect(perEvent.slice(2, 5)).toEqual([[], [], []]);
    expect(perEvent[5]).toEqual(events.slice(2, 6).map((e) => e.raw));
    expect(d.calls).toEqual([[{ name: 'shell', arguments: '{"cmd":"ls"}' }]]);
    expect(out).toEqual(events.map((e) => e.raw));
  });

  it('holds what another choice says meanwhile, and judges each choice when it finishes', async () => {
    const d = recorder();
    const events = [toolStart('shell', 0), text('other choice', 1), toolArgs('{}', 0), finish('stop', 1), finish('tool_calls', 0), DONE];
    const { perEvent, out } = await feed(createResponseFilter({ exchange, scanner, decideToolCalls: d.decide }), events);
    expect(perEvent.slice(0, 4)).toEqual([[], [], [], []]);
    expect(perEvent[4]).toEqual(events.slice(0, 5).map((e) => e.raw));
    expect(d.calls).toEqual([[{ name: 'shell', arguments: '{}' }]]);
    expect(out).toEqual(events.map((e) => e.raw));
  });

  it('holds the events a secret may be forming in, and releases them at the finish chunk: masked where it starts, the rest emptied', async () => {
    const events = [text('key: '), text(SECRET.slice(0, 20)), text(SECRET.slice(20)), finish('stop'), DONE];
    const { perEvent } = await feed(createResponseFilter({ exchange, scanner }), events);
    expect(perEvent.slice(0, 3)).toEqual([[events[0].raw], [], []]);
    expect(perEvent[3]).toEqual([events[1].raw.replace(SECRET.slice(0, 20), '[REDACTED:openai-key]'), events[2].raw.replace(SECRET.slice(20), ''), events[3].raw]);
    expect(perEvent[4]).toEqual([DONE.raw]);
    expect(deltaText('chat', perEvent.flat(), 'text')).toBe('key: [REDACTED:openai-key]');
  });

  it('appends the held text to a finish chunk that carries text itself', async () => {
    const events = [text('key: '), finish('stop', 0, { content: SECRET }), DONE];
    const { perEvent, out } = await feed(createResponseFilter({ exchange, scanner }), events);
    expect(perEvent[1]).toHaveLength(1);
    expect(dataOf(perEvent[1])[0].data).toMatchObject({ choices: [{ delta: { content: '[REDACTED:openai-key]' }, finish_reason: 'stop' }] });
    expect(deltaText('chat', out, 'text')).toBe('key: [REDACTED:openai-key]');
  });

  it('judges calls left open at [DONE], and at the end of a stream without [DONE]', async () => {
    for (const tail of [[DONE], []]) {
      const d = recorder({ allow: false, error: { status: 403, code: 'r1', message: 'no' } });
      const filter = createResponseFilter({ exchange, scanner, decideToolCalls: d.decide });
      const { out } = await feed(filter, [toolStart('shell'), toolArgs('{"a":1}'), ...tail]);
      expect(d.calls).toEqual([[{ name: 'shell', arguments: '{"a":1}' }]]);
      expect(out).toEqual(['data: {"error":{"message":"no","type":"permission_denied","param":null,"code":"r1"}}\n\n']);
      expect(filter.closed).toBe(true);
    }
  });

  it('does not hold anything when no decision is wanted', async () => {
    const events = [toolStart('shell'), toolArgs('{}'), finish('tool_calls'), DONE];
    const { perEvent } = await feed(createResponseFilter({ exchange, scanner }), events);
    expect(perEvent).toEqual(events.map((e) => [e.raw]));
  });

  it('masks legacy completions text and passes non-JSON events through', async () => {
    const legacy = (t: string, reason: string | null = null) => parseEvent(`data: ${JSON.stringify({ id: 'cmpl', choices: [{ index: 0, text: t, finish_reason: reason }] })}\n\n`);
    const comment = parseEvent(': keep-alive\n\n');
    const { out } = await feed(createResponseFilter({ exchange: { ...exchange, apiPath: '/v1/completions' }, scanner }), [legacy('a '), comment, legacy(SECRET), legacy('', 'stop'), DONE]);
    const texts = dataOf(out).map((d) => (d.data.choices as Array<{ text: string }>)[0].text);
    expect(texts.join('')).toBe('a [REDACTED:openai-key]');
    expect(out).toContain(comment.raw);
  });

  it('refuses more text or tool-call deltas for a finished choice, and lets empty ones pass', async () => {
    const empty = chunk([{ index: 0, delta: { content: '', tool_calls: null }, logprobs: null, finish_reason: 'stop' }]);
    const quiet = await feed(createResponseFilter({ exchange, scanner }), [text('hi'), finish('stop'), empty, DONE]);
    expect(quiet.out).toEqual([text('hi').raw, finish('stop').raw, empty.raw, DONE.raw]);
    for (const late of [toolArgs('; rm -rf /"}'), text(' more')]) {
      const filter = createResponseFilter({ exchange, scanner, decideToolCalls: async () => ({ allow: true }) });
      const { out } = await feed(filter, [toolStart('shell'), toolArgs('{"cmd":"echo hi'), finish('tool_calls'), late, DONE]);
      expect(filter.closed).toBe(true);
      expect(JSON.parse(parseEvent(out.at(-1)!).data).error).toMatchObject({ code: 'guardrun_unclassifiable_response', message: expect.stringContaining('after its finish_reason') });
    }
  });
});
