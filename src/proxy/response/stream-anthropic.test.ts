// Anthropic cases beyond the fake upstream: text then a tool block, a tool block with no input deltas,
// thinking with its signature, a secret held to the end of its block.
import { describe, expect, it } from 'vitest';
import type { ToolCall } from '../../policy/types.js';
import { createResponseFilter } from './response-filter.js';
import { parseEvent } from './sse.js';
import { deltaText, feed, testExchange, testScanner } from './stream-test-capture.js';

const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';
const ev = (type: string, data: object = {}) => parseEvent(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
const textDelta = (index: number, text: string) => ev('content_block_delta', { index, delta: { type: 'text_delta', text } });
const jsonDelta = (index: number, partial_json: string) => ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });

describe('anthropic stream', () => {
  const scanner = testScanner();
  const exchange = testExchange('anthropic');

  it('lets a text block through at once and holds the tool block after it until its stop', async () => {
    const decided: ToolCall[][] = [];
    const events = [
      ev('message_start', { message: { id: 'msg_1', content: [] } }),
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      textDelta(0, 'Let me look.'),
      ev('content_block_stop', { index: 0 }),
      ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'shell', input: {} } }),
      ev('ping'),
      jsonDelta(1, '{"cmd": '),
      jsonDelta(1, '"ls"}'),
      ev('content_block_stop', { index: 1 }),
      ev('message_delta', { delta: { stop_reason: 'tool_use' } }),
      ev('message_stop'),
    ];
    const { perEvent, out } = await feed(createResponseFilter({ exchange, scanner, decideToolCalls: async (c) => (decided.push(c), { allow: true }) }), events);
    expect(perEvent.slice(0, 4)).toEqual(events.slice(0, 4).map((e) => [e.raw]));
    expect(perEvent.slice(4, 8)).toEqual([[], [], [], []]);
    expect(perEvent[8]).toEqual(events.slice(4, 9).map((e) => e.raw));
    // Judged like a plain body would be: the JSON of the parsed input.
    expect(decided).toEqual([[{ name: 'shell', arguments: '{"cmd":"ls"}' }]]);
    expect(out).toEqual(events.map((e) => e.raw));
  });

  it('judges a tool block without input deltas on the input of its start', async () => {
    const decided: ToolCall[][] = [];
    const events = [ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 't', name: 'noop', input: {} } }), ev('content_block_stop', { index: 0 })];
    await feed(createResponseFilter({ exchange, scanner, decideToolCalls: async (c) => (decided.push(c), { allow: true }) }), events);
    expect(decided).toEqual([[{ name: 'noop', arguments: '{}' }]]);
  });

  it('masks thinking but passes the signature byte for byte', async () => {
    const signature = ev('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: `EqQBCkgIARAB${SECRET}` } });
    const thinking = ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: `the key ${SECRET} here.` } });
    const { perEvent } = await feed(createResponseFilter({ exchange, scanner }), [thinking, signature]);
    expect(JSON.parse(parseEvent(perEvent[0][0]).data).delta.thinking).toBe('the key [REDACTED:openai-key] here.');
    expect(perEvent[1]).toEqual([signature.raw]);
  });

  it('flushes a secret held at the end of a block into a text delta just before the stop', async () => {
    const events = [textDelta(0, 'key '), textDelta(0, SECRET), ev('content_block_stop', { index: 0 })];
    const { perEvent, out } = await feed(createResponseFilter({ exchange, scanner }), events);
    expect(perEvent[2]).toEqual([`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"[REDACTED:openai-key]"}}\n\n`, events[2].raw]);
    expect(deltaText('anthropic', out, 'text')).toBe('key [REDACTED:openai-key]');
  });
});
