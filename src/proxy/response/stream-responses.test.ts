// Responses cases beyond the fake upstream: data-only events, reasoning summaries, server-side tool
// items, audio, streams cut while a call is held.
import { describe, expect, it } from 'vitest';
import type { ToolCall } from '../../policy/types.js';
import { createResponseFilter } from './response-filter.js';
import { parseEvent } from './sse.js';
import { dataOf, feed, testExchange, testScanner } from './stream-test-capture.js';

const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';
let seq = 0;
const ev = (type: string, data: object, named = true) =>
  parseEvent(`${named ? `event: ${type}\n` : ''}data: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);

describe('responses stream', () => {
  const scanner = testScanner();
  const exchange = testExchange('responses');

  it('reads events that carry their type only in the data', async () => {
    const at = { item_id: 'msg_1', output_index: 0, content_index: 0 };
    const events = [
      ev('response.output_text.delta', { ...at, delta: 'key ' }, false),
      ev('response.output_text.delta', { ...at, delta: SECRET }, false),
      ev('response.output_text.done', { ...at, text: `key ${SECRET}` }, false),
    ];
    const { out } = await feed(createResponseFilter({ exchange, scanner }), events);
    const deltas = dataOf(out).filter((d) => d.data.type === 'response.output_text.delta').map((d) => d.data.delta);
    expect(deltas.join('')).toBe('key [REDACTED:openai-key]');
    expect(dataOf(out).at(-1)?.data.text).toBe('key [REDACTED:openai-key]');
    expect(out.join('')).not.toContain('K8m1');
  });

  it('holds a reasoning summary delta whose secret may still grow, and releases it masked, in place, with its done event', async () => {
    const at = { item_id: 'rs_1', output_index: 0, summary_index: 2 };
    const events = [ev('response.reasoning_summary_text.delta', { ...at, delta: `I will use ${SECRET}` }), ev('response.reasoning_summary_text.done', { ...at, text: `I will use ${SECRET}` })];
    const { perEvent } = await feed(createResponseFilter({ exchange, scanner }), events);
    expect(perEvent[0]).toEqual([]);
    expect(perEvent[1]).toHaveLength(2);
    const delta = parseEvent(perEvent[1][0]);
    expect(delta.event).toBe('response.reasoning_summary_text.delta');
    expect(perEvent[1][0]).toBe(events[0].raw.replace(SECRET, '[REDACTED:openai-key]'));
    expect(JSON.parse(delta.data)).toMatchObject({ ...at, delta: 'I will use [REDACTED:openai-key]' });
    expect(JSON.parse(parseEvent(perEvent[1][1]).data).text).toBe('I will use [REDACTED:openai-key]');
  });

  it('holds a server-side tool item to its done event and releases it without a decision when it is no call', async () => {
    const decided: ToolCall[][] = [];
    const item = { id: 'ws_1', type: 'web_search_call', status: 'in_progress' };
    const events = [
      ev('response.output_item.added', { output_index: 0, item }),
      ev('response.web_search_call.searching', { output_index: 0, item_id: 'ws_1' }),
      ev('response.output_item.done', { output_index: 0, item: { ...item, status: 'completed' } }),
    ];
    const { perEvent } = await feed(createResponseFilter({ exchange, scanner, decideToolCalls: async (c) => (decided.push(c), { allow: true }) }), events);
    expect(perEvent).toEqual([[], [], events.map((e) => e.raw)]);
    expect(decided).toEqual([]);
  });

  it('judges a held call with what its deltas said when the stream is cut', async () => {
    const decided: ToolCall[][] = [];
    const events = [
      ev('response.output_item.added', { output_index: 1, item: { id: 'fc_1', type: 'function_call', name: 'shell', arguments: '', call_id: 'c1' } }),
      ev('response.function_call_arguments.delta', { output_index: 1, item_id: 'fc_1', delta: '{"cmd":"ls"' }),
    ];
    const filter = createResponseFilter({ exchange, scanner, decideToolCalls: async (c) => (decided.push(c), { allow: true }) });
    const { perEvent, tail } = await feed(filter, events);
    expect(perEvent).toEqual([[], []]);
    expect(decided).toEqual([[{ name: 'shell', arguments: '{"cmd":"ls"' }]]);
    expect(tail).toEqual(events.map((e) => e.raw));
  });

  it('leaves audio deltas alone', async () => {
    const audio = ev('response.audio.delta', { output_index: 0, delta: `QUJD${SECRET}` });
    const { perEvent } = await feed(createResponseFilter({ exchange, scanner }), [audio]);
    expect(perEvent).toEqual([[audio.raw]]);
  });
});
