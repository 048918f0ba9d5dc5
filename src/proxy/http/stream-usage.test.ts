import { describe, expect, it } from 'vitest';
import type { Exchange } from '../types.js';
import { parseEvent } from '../response/sse.js';
import { askForStreamUsage, withoutAddedUsage } from './stream-usage.js';

function exchange(json: Record<string, unknown>, apiPath = '/v1/chat/completions', provider: 'openai' | 'anthropic' = 'openai'): Exchange {
  const body = Buffer.from(JSON.stringify(json));
  return { id: 1, provider, method: 'POST', path: apiPath, apiPath, endpoint: `POST ${apiPath}`, model: 'm', stream: json.stream === true, contentType: 'application/json', body, json, text: body.toString(), startedMs: 0, guardMs: 0 };
}

describe('askForStreamUsage', () => {
  it('adds include_usage to a chat stream without stream_options, leaving the rest of the bytes as they were', () => {
    const raw = '{ "model":"m",  "stream":true,"messages":[]}';
    const ex = { ...exchange(JSON.parse(raw)), body: Buffer.from(raw) };
    expect(askForStreamUsage(ex, ex.body)?.toString()).toBe('{"stream_options":{"include_usage":true}, "model":"m",  "stream":true,"messages":[]}');
  });

  it('merges into stream_options that exist, and overrides an explicit false', () => {
    const ex = exchange({ model: 'm', stream: true, stream_options: { include_obfuscation: false, include_usage: false } });
    expect(JSON.parse(askForStreamUsage(ex, ex.body)!.toString()).stream_options).toEqual({ include_obfuscation: false, include_usage: true });
  });

  it('works on the body as forwarded (a redacted one)', () => {
    const ex = exchange({ model: 'm', stream: true, messages: [{ role: 'user', content: 'sk-secret' }] });
    const redacted = Buffer.from(ex.body.toString().replace('sk-secret', '[REDACTED:x]'));
    expect(askForStreamUsage(ex, redacted)!.toString()).toContain('[REDACTED:x]');
  });

  it.each([
    ['already asking', exchange({ model: 'm', stream: true, stream_options: { include_usage: true } })],
    ['not a stream', exchange({ model: 'm', messages: [] })],
    ['Responses (always reports usage)', exchange({ model: 'm', stream: true, input: 'x' }, '/v1/responses')],
    ['Anthropic (always reports usage)', exchange({ model: 'm', stream: true }, '/v1/messages', 'anthropic')],
    ['embeddings', exchange({ model: 'm', stream: true }, '/v1/embeddings')],
  ])('leaves a request alone: %s', (_label, ex) => {
    expect(askForStreamUsage(ex, ex.body)).toBeUndefined();
  });

  it('asks legacy Completions streams too', () => {
    const ex = exchange({ model: 'm', stream: true, prompt: 'x' }, '/v1/completions');
    expect(JSON.parse(askForStreamUsage(ex, ex.body)!.toString()).stream_options).toEqual({ include_usage: true });
  });
});

describe('withoutAddedUsage', () => {
  it('drops the usage-only chunk and the "usage":null field, and nothing else', () => {
    const usageChunk = parseEvent('data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}\n\n');
    expect(withoutAddedUsage(usageChunk)).toBeUndefined();
    const chunk = parseEvent('data: {"id":"c","choices":[{"index":0,"delta":{"content":"a \\"usage\\":null b"}}],"usage":null}\n\n');
    const out = withoutAddedUsage(chunk)!;
    expect(out.data).toBe('{"id":"c","choices":[{"index":0,"delta":{"content":"a \\"usage\\":null b"}}]}');
    expect(out.raw).toBe(`data: ${out.data}\n\n`);
    const done = parseEvent('data: [DONE]\n\n');
    expect(withoutAddedUsage(done)).toBe(done);
  });
});
