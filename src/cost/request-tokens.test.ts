import { describe, expect, it } from 'vitest';
import { countRequestTokens } from './request-tokens.js';

// A stand-in tokenizer: one token per character, recording what it was asked to count.
function recorder() {
  const seen: string[] = [];
  const count = (text: string) => {
    seen.push(text);
    return text.length;
  };
  return { seen, count };
}

const FAKE_PNG = 'data:image/png;base64,' + 'iVBORw0KGgo'.repeat(1000); // no readable size: the rule's most

/** A base64 PNG (signature and IHDR, then filler) of `width` x `height`, at least OPAQUE_FROM_CHARS long. */
function png(width: number, height: number, dataUri = true): string {
  const bytes = Buffer.alloc(2048);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).copy(bytes);
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return (dataUri ? 'data:image/png;base64,' : '') + bytes.toString('base64');
}

describe('countRequestTokens', () => {
  it('counts what a Realtime client event adds: instructions, tools, an item, a response\'s own input', () => {
    const { seen, count } = recorder();
    const tool = { type: 'function', name: 'shell' };
    expect(countRequestTokens('openai', 'realtime', { type: 'session.update', session: { instructions: 'Be brief.', tools: [tool] } }, count)).toBe(9 + JSON.stringify(tool).length);
    expect(countRequestTokens('openai', 'realtime', { type: 'conversation.item.create', item: { type: 'message', content: [{ type: 'input_text', text: 'hello' }] } }, count)).toBe(4 + 5);
    expect(countRequestTokens('openai', 'realtime', { type: 'response.create' }, count)).toBe(0); // the conversation is server-side
    expect(seen).toEqual(['Be brief.', JSON.stringify(tool), 'hello']);
  });

  it('counts chat messages, names, tool calls and tool definitions with overheads', () => {
    const { seen, count } = recorder();
    const tool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } };
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'abc' },
        { role: 'user', name: 'bob', content: [{ type: 'text', text: 'hello' }, { type: 'image_url', image_url: { url: FAKE_PNG, detail: 'low' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"c":"P"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
      tools: [tool],
    };
    const expected = 3 + (4 + 3) + (4 + 1 + 3 + 5 + 85) + (4 + 11 + 9) + (4 + 5) + JSON.stringify(tool).length;
    expect(countRequestTokens('openai', 'chat', body, count)).toBe(expected);
    expect(seen.some((s) => s.includes('base64'))).toBe(false);
  });

  it('counts an image by its provider\'s rule from the size in its header, never as text', () => {
    const chat = (url: string, model: string, detail?: string) => countRequestTokens('openai', 'chat', { model, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url, detail } }] }] }, recorder().count) - 3 - 4;
    expect(chat(png(1024, 1024), 'gpt-4o')).toBe(765); // scaled to 768 x 768: 4 tiles
    expect(chat(png(2048, 4096), 'gpt-4.1')).toBe(85 + 170 * 6); // 1024 x 2048, then 768 x 1536: 2 x 3 tiles
    expect(chat(png(4000, 3000), 'gpt-4o', 'low')).toBe(85);
    expect(chat(png(1024, 1024), 'gpt-4o-mini')).toBe(2833 + 5667 * 4);
    expect(chat(png(1024, 1024), 'gpt-4.1-mini')).toBe(Math.ceil(1024 * 1.62)); // 32 x 32 patches
    expect(chat(png(1800, 2400), 'gpt-4.1-nano')).toBe(Math.ceil(1452 * 2.46)); // scaled to fit 1536 patches
    expect(chat(FAKE_PNG, 'gpt-4o')).toBe(85 + 170 * 8); // size unknown: the most the rule allows
    const claude = (data: string) => countRequestTokens('anthropic', 'messages', { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }] }] }, recorder().count) - 3 - 4;
    expect(claude(png(1000, 600, false))).toBe(800);
    expect(claude(png(3000, 3000, false))).toBe(1534); // scaled to ~1.15 megapixels
    expect(claude(FAKE_PNG)).toBe(1600);
  });

  it('counts Responses instructions, input items and tools', () => {
    const { count } = recorder();
    const body = {
      model: 'gpt-5',
      instructions: 'be brief',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'input_image', image_url: FAKE_PNG, detail: 'low' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'yo' }] },
        { type: 'function_call', call_id: 'c1', name: 'ls', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'a.txt' },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'think' }], encrypted_content: 'x'.repeat(500) },
        { type: 'item_reference', id: 'msg_1' },
      ],
      tools: [{ type: 'function', name: 'ls', parameters: {} }],
    };
    const tools = JSON.stringify(body.tools[0]).length;
    const expected = 3 + (4 + 8) + (4 + 2 + 70) + (4 + 2) + (4 + 2 + 2) + (4 + 5) + (4 + 5) + 4 + tools; // gpt-5: 70 at detail low
    expect(countRequestTokens('openai', 'responses', body, count)).toBe(expected);
  });

  it('counts a plain-string Responses input', () => {
    expect(countRequestTokens('openai', 'responses', { input: 'hello' }, recorder().count)).toBe(3 + 4 + 5);
  });

  it('counts Anthropic system, blocks, tool use and results, with the tool-use system prompt', () => {
    const tool = { name: 'ls', description: 'list', input_schema: { type: 'object' } };
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'sys' }],
      messages: [
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'tool_use', id: 't1', name: 'ls', input: { d: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'a.txt' }] }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
      ],
      tools: [tool],
    };
    const expected = 3 + 3 + (4 + 5) + (4 + 3 + 2 + 7) + (4 + 5 + 1600) + 346 + JSON.stringify(tool).length;
    expect(countRequestTokens('anthropic', 'messages', body, recorder().count)).toBe(expected);
  });

  it('counts embeddings inputs, including pre-tokenized arrays, with no overhead', () => {
    const { count } = recorder();
    expect(countRequestTokens('openai', 'embeddings', { input: 'abcd' }, count)).toBe(4);
    expect(countRequestTokens('openai', 'embeddings', { input: ['ab', 'cde'] }, count)).toBe(5);
    expect(countRequestTokens('openai', 'embeddings', { input: [1, 2, 3] }, count)).toBe(3);
    expect(countRequestTokens('openai', 'embeddings', { input: [[1, 2], [3]] }, count)).toBe(3);
  });

  it('counts nothing for unknown endpoints or bodies', () => {
    const { count } = recorder();
    expect(countRequestTokens('openai', undefined, { messages: [{ role: 'user', content: 'hi' }] }, count)).toBe(0);
    expect(countRequestTokens('openai', 'chat', 'not json', count)).toBe(0);
    expect(countRequestTokens('openai', 'chat', { messages: 'nope' }, count)).toBe(3);
  });
});
