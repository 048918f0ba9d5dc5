import { afterEach, describe, expect, it, vi } from 'vitest';
import { endpointKind } from './endpoint-kind.js';
import { createStreamUsage, hasUsageObject, usageFromBody } from './usage.js';

describe('endpointKind', () => {
  it.each([
    ['openai', '/v1/chat/completions', 'chat'],
    ['openai', '/v1/chat/completions/', 'chat'],
    ['openai', '/v1/chat/completions?x=1', 'chat'],
    ['openai', '/v1/responses', 'responses'],
    ['openai', '/v1/embeddings', 'embeddings'],
    ['openai', '/v1/completions', 'completions'],
    ['openai', '/v1/responses/resp_123', undefined],
    ['openai', '/v1/realtime', 'realtime'],
    ['openai', '/v1/models', undefined],
    ['anthropic', '/v1/messages', 'messages'],
    ['anthropic', '/v1/messages/count_tokens', undefined],
    ['anthropic', '/v1/messages/batches', undefined],
  ] as const)('%s %s -> %s', (provider, path, kind) => {
    expect(endpointKind(provider, path)).toBe(kind);
  });
});

describe('usageFromBody', () => {
  it('reads Chat Completions usage with cached tokens', () => {
    const body = {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      model: 'gpt-4o-2024-08-06',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 2006,
        completion_tokens: 300,
        total_tokens: 2306,
        prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
      },
    };
    expect(usageFromBody('openai', '/v1/chat/completions', body)).toEqual({
      inputTokens: 2006,
      outputTokens: 300,
      cachedInputTokens: 1920,
      totalTokens: 2306,
    });
  });

  it('reads Responses usage', () => {
    const body = {
      id: 'resp_test',
      object: 'response',
      status: 'completed',
      usage: {
        input_tokens: 328,
        input_tokens_details: { cached_tokens: 128 },
        output_tokens: 52,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 380,
      },
    };
    expect(usageFromBody('openai', '/v1/responses', body)).toEqual({
      inputTokens: 328,
      outputTokens: 52,
      cachedInputTokens: 128,
      totalTokens: 380,
    });
  });

  it('reads Embeddings usage (no output)', () => {
    const body = { object: 'list', data: [], model: 'text-embedding-3-small', usage: { prompt_tokens: 8, total_tokens: 8 } };
    expect(usageFromBody('openai', '/v1/embeddings', body)).toEqual({ inputTokens: 8, outputTokens: 0, totalTokens: 8 });
  });

  it('adds Anthropic cache reads and writes into the input', () => {
    const body = {
      id: 'msg_test',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Hi' }],
      usage: {
        input_tokens: 21,
        cache_creation_input_tokens: 188,
        cache_read_input_tokens: 1024,
        cache_creation: { ephemeral_5m_input_tokens: 188, ephemeral_1h_input_tokens: 0 },
        output_tokens: 393,
        service_tier: 'standard',
      },
    };
    expect(usageFromBody('anthropic', '/v1/messages', body)).toEqual({
      inputTokens: 21 + 188 + 1024,
      outputTokens: 393,
      cachedInputTokens: 1024,
      cacheWriteInputTokens: 188,
      totalTokens: 21 + 188 + 1024 + 393,
    });
  });

  it('reads OpenAI cache writes when reported', () => {
    const body = { usage: { prompt_tokens: 5000, completion_tokens: 10, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 4096 } } };
    expect(usageFromBody('openai', '/v1/chat/completions', body)?.cacheWriteInputTokens).toBe(4096);
  });

  it.each([
    ['no usage', { error: { message: 'bad', type: 'invalid_request_error' } }],
    ['usage null', { usage: null }],
    ['not an object', 'text'],
    ['an array', [1, 2]],
  ])('is undefined for %s', (_label, body) => {
    expect(usageFromBody('openai', '/v1/chat/completions', body)).toBeUndefined();
  });

  it('does not count usage again on a retrieval', () => {
    const body = { id: 'resp_test', object: 'response', usage: { input_tokens: 10, output_tokens: 5 } };
    expect(usageFromBody('openai', '/v1/responses/resp_test', body)).toBeUndefined();
    expect(usageFromBody('anthropic', '/v1/messages/count_tokens', { usage: { input_tokens: 3 } })).toBeUndefined();
  });

  it('takes only short identifiers for the billing tier (they are recorded unmasked)', () => {
    const body = { service_tier: 'flex and sk-proj-looks-like-a-key-0123456789', usage: { prompt_tokens: 1, completion_tokens: 1 } };
    expect(usageFromBody('openai', '/v1/chat/completions', body)?.serviceTier).toBeUndefined();
    expect(usageFromBody('openai', '/v1/chat/completions', { ...body, service_tier: 'flex' })?.serviceTier).toBe('flex');
  });

  it('ignores junk values', () => {
    const body = { usage: { prompt_tokens: 'many', completion_tokens: -3, prompt_tokens_details: null } };
    expect(usageFromBody('openai', '/v1/chat/completions', body)).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
  });
});

type Event = [name: string | undefined, data: string];

function feed(provider: 'openai' | 'anthropic', endpoint: string, events: Event[]) {
  const acc = createStreamUsage(provider, endpoint);
  for (const [name, data] of events) acc.onEvent(name, data);
  return acc.result();
}

const chatChunk = (delta: object, finish: string | null = null) =>
  JSON.stringify({
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_test',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
  });

const CHAT_STREAM: Event[] = [
  [undefined, chatChunk({ role: 'assistant', content: '', refusal: null })],
  [undefined, chatChunk({ content: 'The "usage": {field} is ' })],
  [undefined, chatChunk({ content: 'here.' })],
  [undefined, chatChunk({}, 'stop')],
  [
    undefined,
    '{"id":"chatcmpl-test","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_test","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}',
  ],
  [undefined, '[DONE]'],
];

const responseObject = (status: string, usage: object | null) => ({
  id: 'resp_test',
  object: 'response',
  created_at: 1,
  status,
  model: 'gpt-5-mini-2025-08-07',
  output: [],
  usage,
});

const RESPONSES_STREAM = (final: string): Event[] => [
  ['response.created', JSON.stringify({ type: 'response.created', sequence_number: 0, response: responseObject('in_progress', null) })],
  ['response.in_progress', JSON.stringify({ type: 'response.in_progress', sequence_number: 1, response: responseObject('in_progress', null) })],
  ['response.output_item.added', '{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_test","type":"message","status":"in_progress","content":[],"role":"assistant"}}'],
  ['response.output_text.delta', '{"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_test","output_index":0,"content_index":0,"delta":"Hi","logprobs":[]}'],
  ['response.output_text.done', '{"type":"response.output_text.done","sequence_number":4,"item_id":"msg_test","output_index":0,"content_index":0,"text":"Hi","logprobs":[]}'],
  [
    final,
    JSON.stringify({
      type: final,
      sequence_number: 5,
      response: responseObject(final.slice('response.'.length), {
        input_tokens: 36,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 87,
        output_tokens_details: { reasoning_tokens: 64 },
        total_tokens: 123,
      }),
    }),
  ],
];

const ANTHROPIC_STREAM: Event[] = [
  [
    'message_start',
    '{"type":"message_start","message":{"id":"msg_test","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":1}}}',
  ],
  ['content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'],
  ['ping', '{"type": "ping"}'],
  ['content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}'],
  ['content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}'],
  ['content_block_stop', '{"type":"content_block_stop","index":0}'],
  ['message_delta', '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}'],
  ['message_stop', '{"type":"message_stop"}'],
];

describe('createStreamUsage', () => {
  afterEach(() => vi.restoreAllMocks());

  it('takes the include_usage chunk of a Chat Completions stream, parsing only it', () => {
    const parse = vi.spyOn(JSON, 'parse');
    expect(feed('openai', '/v1/chat/completions', CHAT_STREAM)).toEqual({ inputTokens: 19, outputTokens: 10, totalTokens: 29 });
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('has no usage when the chat stream did not ask for it', () => {
    expect(feed('openai', '/v1/chat/completions', CHAT_STREAM.filter(([, d]) => !d.includes('"choices":[]')))).toBeUndefined();
  });

  it.each(['response.completed', 'response.incomplete', 'response.failed'])('reads Responses usage from %s only', (final) => {
    const parse = vi.spyOn(JSON, 'parse');
    expect(feed('openai', '/v1/responses', RESPONSES_STREAM(final))).toEqual({ inputTokens: 36, outputTokens: 87, reasoningTokens: 64, totalTokens: 123 });
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('reads Realtime usage from response.done (cached tokens under input_token_details)', () => {
    const done = JSON.stringify({ type: 'response.done', response: { id: 'r', usage: { input_tokens: 50, output_tokens: 9, input_token_details: { cached_tokens: 20, audio_tokens: 0 } } } });
    const events: Event[] = [[undefined, '{"type":"response.created","response":{"id":"r","usage":null}}'], [undefined, '{"type":"conversation.item.added","item":{}}'], [undefined, done]];
    expect(feed('openai', '/v1/realtime', events)).toEqual({ inputTokens: 50, outputTokens: 9, cachedInputTokens: 20, totalTokens: 59 });
  });

  it('reads Responses usage when events come without names', () => {
    const unnamed = RESPONSES_STREAM('response.completed').map(([, data]): Event => [undefined, data]);
    expect(feed('openai', '/v1/responses', unnamed)?.outputTokens).toBe(87);
  });

  it('combines Anthropic message_start input with the cumulative message_delta output', () => {
    const parse = vi.spyOn(JSON, 'parse');
    expect(feed('anthropic', '/v1/messages', ANTHROPIC_STREAM)).toEqual({
      inputTokens: 2125,
      outputTokens: 15,
      cachedInputTokens: 2000,
      cacheWriteInputTokens: 100,
      totalTokens: 2140,
    });
    expect(parse).toHaveBeenCalledTimes(2);
  });

  it('lets a later message_delta restate input fields (newer API versions)', () => {
    const events: Event[] = [
      ANTHROPIC_STREAM[0],
      ['message_delta', '{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"input_tokens":30,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":40,"server_tool_use":{"web_search_requests":1}}}'],
    ];
    expect(feed('anthropic', '/v1/messages', events)).toMatchObject({ inputTokens: 2130, outputTokens: 40 });
  });

  it('reads Anthropic streams without event names', () => {
    const unnamed = ANTHROPIC_STREAM.map(([, data]): Event => [undefined, data]);
    expect(feed('anthropic', '/v1/messages', unnamed)?.outputTokens).toBe(15);
  });

  it('has no usage for a stream that broke before message_start or for unknown endpoints', () => {
    expect(feed('anthropic', '/v1/messages', [['error', '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}']])).toBeUndefined();
    expect(feed('openai', '/v1/audio/speech', CHAT_STREAM)).toBeUndefined();
  });

  it('survives malformed data', () => {
    expect(feed('openai', '/v1/chat/completions', [[undefined, '{"usage": {'], [undefined, '']])).toBeUndefined();
  });
});

describe('hasUsageObject', () => {
  it.each([
    ['{"usage":{"a":1}}', true],
    ['{"usage" : \n {"a":1}}', true],
    ['{"usage":null,"x":{"usage":{}}}', true],
    ['{"usage":null}', false],
    ['{"text":"the \\"usage\\":{ key"}', false],
    ['{"usage_x":{}}', false],
    ['"usage"', false],
  ])('%s -> %s', (data, expected) => {
    expect(hasUsageObject(data)).toBe(expected);
  });
});
