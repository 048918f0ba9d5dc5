import { describe, expect, test } from 'vitest';
import { extractRequestTexts, extractToolCalls, modelOf } from './extract.js';

describe('modelOf', () => {
  test.each([
    ['/v1/chat/completions', { model: 'gpt-4.1' }, 'gpt-4.1'],
    ['/v1/chat/completions', {}, undefined],
    ['/v1/chat/completions', { model: 42 }, undefined],
    ['/v1/chat/completions', undefined, undefined],
    ['/openai/deployments/my-gpt4/chat/completions', {}, 'my-gpt4'],
    ['/v1/openai/deployments/prod%20model/embeddings', { input: 'x' }, 'prod model'],
    ['/openai/deployments/dep/chat/completions', { model: 'from-body' }, 'from-body'],
  ])('%s %j → %s', (path, body, expected) => {
    expect(modelOf(path, body)).toBe(expected);
  });
});

describe('extractRequestTexts: OpenAI Chat Completions', () => {
  test('messages (string and parts), earlier tool calls, tool results, tool definitions', () => {
    const texts = extractRequestTexts({
      model: 'gpt-4.1',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.txt"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'file body' },
      ],
      tools: [{ type: 'function', function: { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } }],
    });
    expect(texts).toEqual([
      'You are terse.',
      'What is in this image?',
      'read_file',
      '{"path":"a.txt"}',
      'file body',
      'read_file',
      'Read a file',
      '{"type":"object","properties":{"path":{"type":"string"}}}',
    ]);
    expect(texts.join(' ')).not.toContain('base64');
  });

  test('legacy functions', () => {
    expect(extractRequestTexts({ messages: [], functions: [{ name: 'f', description: 'does f', parameters: {} }] })).toEqual(['f', 'does f', '{}']);
  });
});

describe('extractRequestTexts: OpenAI Responses', () => {
  test('string input and instructions', () => {
    expect(extractRequestTexts({ model: 'gpt-5', instructions: 'Be brief.', input: 'Hello' })).toEqual(['Be brief.', 'Hello']);
  });

  test('items: messages with parts, function calls and their outputs, tools', () => {
    const texts = extractRequestTexts({
      model: 'gpt-5',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'list files' }, { type: 'input_image', image_url: 'https://x/y.png' }] },
        { type: 'function_call', call_id: 'c1', name: 'shell', arguments: '{"cmd":"ls"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'a.txt\nb.txt' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'part output' }] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Two files.' }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking summary' }] },
      ],
      tools: [
        { type: 'function', name: 'shell', description: 'Run a command', parameters: { type: 'object' } },
        { type: 'web_search' },
      ],
    });
    expect(texts).toEqual([
      'list files',
      'shell',
      '{"cmd":"ls"}',
      'a.txt\nb.txt',
      'part output',
      'Two files.',
      'thinking summary',
      'shell',
      'Run a command',
      '{"type":"object"}',
      '{"type":"web_search"}',
    ]);
  });
});

describe('extractRequestTexts: embeddings and completions', () => {
  test.each([
    [{ model: 'text-embedding-3-small', input: 'one' }, ['one']],
    [{ model: 'text-embedding-3-small', input: ['a', 'b'] }, ['a', 'b']],
    [{ model: 'text-embedding-3-small', input: [1, 2, 3] }, []],
    [{ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' }, ['Say hi']],
  ])('%j', (body, expected) => {
    expect(extractRequestTexts(body)).toEqual(expected);
  });
});

describe('extractRequestTexts: Anthropic Messages', () => {
  test('system (string), blocks, tool_use input, tool_result content, tools', () => {
    const texts = extractRequestTexts({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: 'You are a coding agent.',
      messages: [
        { role: 'user', content: 'Fix the bug' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'text', text: 'Reading.' }, { type: 'tool_use', id: 't1', name: 'bash', input: { command: 'cat x' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'x contents' }] }, { type: 'tool_result', tool_use_id: 't2', content: 'plain result' }] },
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }, { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc text' } }] },
      ],
      tools: [{ name: 'bash', description: 'Run bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
    });
    expect(texts).toEqual([
      'Fix the bug',
      'hmm',
      'Reading.',
      'bash',
      '{"command":"cat x"}',
      'x contents',
      'plain result',
      'doc text',
      'You are a coding agent.',
      'bash',
      'Run bash',
      '{"type":"object","properties":{"command":{"type":"string"}}}',
    ]);
  });

  test('system as blocks', () => {
    expect(extractRequestTexts({ system: [{ type: 'text', text: 'sys A', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'sys B' }], messages: [] })).toEqual(['sys A', 'sys B']);
  });
});

describe('extractRequestTexts: WebSocket client events', () => {
  test('Realtime session.update, conversation.item.create and response.create overrides', () => {
    const tool = { type: 'function', name: 'shell', description: 'Runs it', parameters: { type: 'object' } };
    expect(extractRequestTexts({ type: 'session.update', session: { instructions: 'Be brief.', tools: [tool] } })).toEqual(['Be brief.', 'shell', 'Runs it', '{"type":"object"}']);
    expect(extractRequestTexts({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'audio', transcript: 'said this' }] } })).toEqual(['hi', 'said this']);
    expect(extractRequestTexts({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'c', output: 'ran' } })).toEqual(['ran']);
    expect(extractRequestTexts({ type: 'response.create', response: { instructions: 'Now shout.', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'oob' }] }] } })).toEqual(['Now shout.', 'oob']);
  });

  test('tools sent as an input item (Codex additional_tools) and namespaces of tools', () => {
    const body = { type: 'response.create', input: [{ type: 'additional_tools', tools: [{ type: 'namespace', name: 'functions', description: '', tools: [{ type: 'custom', name: 'exec', description: 'Run code' }] }] }] };
    expect(extractRequestTexts(body)).toEqual(['functions', 'exec', 'Run code']);
  });
});

describe('extractRequestTexts: odd input never throws', () => {
  test.each([undefined, null, 'text', 42, [], { messages: 'nope' }, { messages: [null, 1, { content: 7 }] }, { input: [null, { content: {} }] }, { tools: [null, 'x'] }])('%j', (body) => {
    expect(() => extractRequestTexts(body)).not.toThrow();
  });

  test('a circular tool definition gives no text instead of throwing', () => {
    const schema: Record<string, unknown> = {};
    schema.self = schema;
    expect(extractRequestTexts({ tools: [{ name: 't', parameters: schema }] })).toEqual(['t']);
  });
});

describe('extractToolCalls', () => {
  test('Chat Completions: tool_calls of every choice', () => {
    const calls = extractToolCalls({
      object: 'chat.completion',
      choices: [
        { index: 0, message: { role: 'assistant', content: null, tool_calls: [
          { id: 'a', type: 'function', function: { name: 'shell', arguments: '{"cmd":"rm -rf /"}' } },
          { id: 'b', type: 'function', function: { name: 'read', arguments: '{}' } },
        ] } },
        { index: 1, message: { role: 'assistant', content: 'no tools' } },
      ],
    });
    expect(calls).toEqual([
      { name: 'shell', arguments: '{"cmd":"rm -rf /"}' },
      { name: 'read', arguments: '{}' },
    ]);
  });

  test('Chat Completions: custom tools and legacy function_call', () => {
    expect(extractToolCalls({ choices: [{ message: { tool_calls: [{ type: 'custom', custom: { name: 'patch', input: '*** Begin' } }], function_call: { name: 'old', arguments: '{"a":1}' } } }] })).toEqual([
      { name: 'patch', arguments: '*** Begin' },
      { name: 'old', arguments: '{"a":1}' },
    ]);
  });

  test('Responses: function_call items (and built-in client tools)', () => {
    const calls = extractToolCalls({
      object: 'response',
      output: [
        { type: 'reasoning', summary: [] },
        { type: 'function_call', call_id: 'c', name: 'exec', arguments: '{"cmd":"mkfs /dev/sda"}' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] },
        { type: 'local_shell_call', call_id: 'd', action: { type: 'exec', command: ['rm', '-rf', '/'] } },
        { type: 'web_search_call', status: 'completed' },
      ],
    });
    expect(calls).toEqual([
      { name: 'exec', arguments: '{"cmd":"mkfs /dev/sda"}' },
      { name: 'local_shell', arguments: '{"type":"exec","command":["rm","-rf","/"]}' },
    ]);
  });

  test('Anthropic: tool_use blocks, input as JSON', () => {
    const calls = extractToolCalls({
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'text', text: 'Running it.' },
        { type: 'tool_use', id: 'toolu_1', name: 'bash', input: { command: 'dd if=/dev/zero of=/dev/sda' } },
        { type: 'tool_use', id: 'toolu_2', name: 'noop', input: {} },
      ],
      stop_reason: 'tool_use',
    });
    expect(calls).toEqual([
      { name: 'bash', arguments: '{"command":"dd if=/dev/zero of=/dev/sda"}' },
      { name: 'noop', arguments: '{}' },
    ]);
  });

  test.each([undefined, null, 'x', { choices: [null, { message: { tool_calls: [null, { function: { name: 3 } }] } }] }, { output: [null, { type: 1 }] }, { content: 'str' }])('nothing from %j', (body) => {
    expect(extractToolCalls(body)).toEqual([]);
  });
});

// Issue 10, item 6: every text field the APIs define reaches the rules, encoded text decoded.
describe('extractRequestTexts: every field that reaches the model', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const SECRET = 'bluebird plans';
  test.each([
    ['Chat prediction (string)', { model: 'm', messages: [], prediction: { type: 'content', content: SECRET } }],
    ['Chat prediction (parts)', { model: 'm', messages: [], prediction: { type: 'content', content: [{ type: 'text', text: SECRET }] } }],
    ['Chat response_format json_schema description', { model: 'm', messages: [], response_format: { type: 'json_schema', json_schema: { name: 'x', description: SECRET, schema: { type: 'object' } } } }],
    ['Chat response_format property description', { model: 'm', messages: [], response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string', description: SECRET } } } } } }],
    ['Responses text.format', { model: 'm', input: 'hi', text: { format: { type: 'json_schema', name: 'x', description: SECRET, schema: {} } } }],
    ['Responses prompt.variables (string)', { model: 'm', prompt: { id: 'pmpt_1', variables: { topic: SECRET } } }],
    ['Responses prompt.variables (input_text item)', { model: 'm', prompt: { id: 'pmpt_1', variables: { topic: { type: 'input_text', text: SECRET } } } }],
    ['Responses prompt.variables (input_file data URI)', { model: 'm', prompt: { id: 'pmpt_1', variables: { doc: { type: 'input_file', file_data: `data:text/plain;base64,${b64(SECRET)}` } } } }],
    ['Chat file part, text data URI', { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'a.txt', file_data: `data:text/plain;base64,${b64(SECRET)}` } }] }] }],
    ['Chat file part, JSON data URI', { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', file: { file_data: `data:application/json;base64,${b64(JSON.stringify({ a: SECRET }))}` } }] }] }],
    ['Responses input_file data URI', { model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', filename: '.env', file_data: `data:text/plain;base64,${b64(SECRET)}` }] }] }],
    ['percent-encoded data URI', { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:,${encodeURIComponent(SECRET)}` } }] }] }],
    ['Anthropic document, base64 text/plain', { model: 'm', messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'text/plain', data: b64(SECRET) } }] }] }],
    ['Anthropic document, text source', { model: 'm', messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: SECRET } }] }] }],
    ['Anthropic document, content source', { model: 'm', messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'content', content: [{ type: 'text', text: SECRET }] } }] }] }],
    ['Anthropic document title and context', { model: 'm', messages: [{ role: 'user', content: [{ type: 'document', title: SECRET, source: { type: 'url', url: 'https://x' } }] }] }],
    ['Anthropic search_result content', { model: 'm', messages: [{ role: 'user', content: [{ type: 'search_result', source: 'https://x', title: 't', content: [{ type: 'text', text: SECRET }] }] }] }],
    ['Anthropic system blocks', { model: 'm', system: [{ type: 'text', text: SECRET }], messages: [] }],
    ['Anthropic tool_result as a string', { model: 'm', messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: SECRET }] }] }],
    ['Chat developer message', { model: 'm', messages: [{ role: 'developer', content: SECRET }] }],
    ['Responses instructions', { model: 'm', instructions: SECRET, input: 'x' }],
    ['tool parameter description', { model: 'm', messages: [], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { description: SECRET } } } } }] }],
    ['Responses function tool description', { model: 'm', input: 'x', tools: [{ type: 'function', name: 'f', description: SECRET, parameters: {} }] }],
    ['Realtime session.update instructions', { type: 'session.update', session: { instructions: SECRET } }],
    ['Realtime conversation.item.create', { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: SECRET }] } }],
  ])('%s', (_name, body) => {
    expect(extractRequestTexts(body).some((t) => t.includes(SECRET)), JSON.stringify(extractRequestTexts(body))).toBe(true);
  });

  test('binary data URIs and images are not decoded as text', () => {
    const texts = extractRequestTexts({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${b64('\u0000\u0001PNG')}` } }, { type: 'file', file: { file_data: `data:application/pdf;base64,${b64('%PDF-1.7')}` } }] }] });
    expect(texts).toEqual([]);
  });
});
