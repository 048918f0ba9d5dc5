// Usage extraction over recorded stream shapes (fixtures/streams, written from the providers' documented
// formats), read through the same SSE splitter the proxy uses.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SseSplitter } from '../proxy/response/sse.js';
import type { TokenUsage } from '../recording/format.js';
import { streamOutputText } from './output-text.js';
import { createStreamUsage, isUsageOnlyChunk } from './usage.js';

function read(file: string, provider: 'openai' | 'anthropic', endpoint: string) {
  const splitter = new SseSplitter();
  const usage = createStreamUsage(provider, endpoint);
  const datas: string[] = [];
  const bytes = readFileSync(new URL(`../../fixtures/streams/${file}`, import.meta.url));
  // Fed in uneven pieces, as a network would deliver it.
  for (let i = 0; i < bytes.length; i += 97) {
    for (const event of splitter.push(bytes.subarray(i, i + 97))) {
      usage.onEvent(event.event, event.data);
      datas.push(event.data);
    }
  }
  return { usage: usage.result(), final: usage.final(), text: streamOutputText(provider, endpoint, datas), datas };
}

const CHAT = '/v1/chat/completions';
const RESPONSES = '/v1/responses';
const MESSAGES = '/v1/messages';

describe.each<[file: string, provider: 'openai' | 'anthropic', endpoint: string, usage: TokenUsage | undefined, final: boolean, text: string]>([
  ['chat-parallel-tools.sse', 'openai', CHAT, { inputTokens: 2100, outputTokens: 58, cachedInputTokens: 1920, reasoningTokens: 12, totalTokens: 2158 }, true, 'read_file{"path":"a.txt"}read_file{"path":"b.txt"}'],
  ['chat-refusal.sse', 'openai', CHAT, { inputTokens: 30, outputTokens: 7, totalTokens: 37 }, true, "I can't help with that."],
  ['chat-n2-priority.sse', 'openai', CHAT, { inputTokens: 12, outputTokens: 4, totalTokens: 16, serviceTier: 'priority' }, true, 'RedBlue'],
  ['chat-no-usage.sse', 'openai', CHAT, undefined, false, 'Hello there, how can I help?'],
  ['responses-reasoning-flex.sse', 'openai', RESPONSES, { inputTokens: 5200, outputTokens: 900, cachedInputTokens: 4096, reasoningTokens: 832, totalTokens: 6100, serviceTier: 'flex' }, true, 'Thinking about it.The answer is 42.'],
  ['responses-incomplete.sse', 'openai', RESPONSES, { inputTokens: 80, outputTokens: 16, totalTokens: 96 }, true, 'A long story begins'],
  ['responses-failed.sse', 'openai', RESPONSES, { inputTokens: 300, outputTokens: 20, reasoningTokens: 20, totalTokens: 320 }, true, ''],
  ['responses-web-search.sse', 'openai', RESPONSES, { inputTokens: 9000, outputTokens: 120, webSearches: 2, totalTokens: 9120 }, true, 'Sunny in both.'],
  ['responses-error.sse', 'openai', RESPONSES, undefined, false, 'Partial answ'],
  ['anthropic-thinking.sse', 'anthropic', MESSAGES, { inputTokens: 1200, outputTokens: 310, reasoningTokens: 290, totalTokens: 1510 }, true, 'Let me add the numbers.The sum is 7.'],
  ['anthropic-cache-write.sse', 'anthropic', MESSAGES, { inputTokens: 26050, outputTokens: 25, cachedInputTokens: 20000, cacheWriteInputTokens: 6000, cacheWrite1hInputTokens: 2000, totalTokens: 26075 }, true, 'Cached.'],
  ['anthropic-server-tools.sse', 'anthropic', MESSAGES, { inputTokens: 10682, outputTokens: 510, webSearches: 1, totalTokens: 11192 }, true, 'web_search{"query": "weather NYC today"}It is sunny.'],
  ['anthropic-error.sse', 'anthropic', MESSAGES, { inputTokens: 900, outputTokens: 1, totalTokens: 901 }, false, 'Here is the first part of a long answer'],
  ['anthropic-fast-tool.sse', 'anthropic', MESSAGES, { inputTokens: 400, outputTokens: 42, totalTokens: 442, speed: 'fast', inferenceGeo: 'us' }, true, 'bash{"command": "ls"}'],
])('%s', (file, provider, endpoint, usage, final, text) => {
  const got = read(file, provider, endpoint);
  it('yields the usage the provider reported', () => expect(got.usage).toEqual(usage));
  it(`is ${final ? '' : 'not '}final`, () => expect(got.final).toBe(final));
  it('yields the generated text (for an estimate when usage is missing)', () => expect(got.text).toBe(text));
});

describe('the include_usage chunk', () => {
  it('is recognised only in its own shape (choices: [] with a usage object)', () => {
    const { datas } = read('chat-parallel-tools.sse', 'openai', CHAT);
    expect(datas.filter(isUsageOnlyChunk)).toHaveLength(1);
    expect(isUsageOnlyChunk(datas.at(-2)!)).toBe(true);
    expect(isUsageOnlyChunk('[DONE]')).toBe(false);
    expect(read('chat-no-usage.sse', 'openai', CHAT).datas.some(isUsageOnlyChunk)).toBe(false);
  });
});
