// Tool calls in shapes built to slip past the response rules, each read by a real client: the Vercel AI SDK
// (which runs the tool) for OpenAI, @anthropic-ai/sdk for Anthropic. A denied call must never run: guardrun
// judges what the client will see, and refuses (with an error event) what it cannot classify with certainty.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../e2e/harness.js';
import { runGuarded, startScriptedUpstream, SSE_HEADERS, type Answer, type GuardedRun, type ScriptedUpstream } from './response-harness.js';

type Api = 'chat' | 'responses' | 'anthropic';
interface Case {
  api: Api;
  stream: boolean;
  answer: Answer;
}

const RM = '{"cmd":"rm -rf /"}';
const sse = (events: string[], ending = '\n\n', headers: Record<string, string> = SSE_HEADERS): Answer => ({ headers, chunks: [events.map((e) => e + ending).join('')] });
const json = (text: string): Answer => ({ headers: { 'content-type': 'application/json' }, chunks: [text] });

const head = { id: 'chatcmpl-t', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1' };
const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}`;
const start = (name = 'shell', args = '') => chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name, arguments: args } }] });
const args = (text: string) => chunk({ tool_calls: [{ index: 0, function: { arguments: text } }] });
const finish = chunk({}, 'tool_calls');
const DONE = 'data: [DONE]';
const rmCall = [start('shell', ''), args(RM), finish, DONE];

let seq = 0;
const r = (type: string, value: object, name = type) => `event: ${name}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...value })}`;
const fcItem = (status: string, argsText: string) => ({ id: 'fc_1', type: 'function_call', status, call_id: 'call_1', name: 'shell', arguments: argsText });
const response = (output: object[]) => ({ id: 'resp_t', object: 'response', created_at: 1, status: 'completed', model: 'gpt-4.1', output, usage: { input_tokens: 5, output_tokens: 5, total_tokens: 10 } });

const a = (type: string, value: object, name = type) => `event: ${name}\ndata: ${JSON.stringify({ type, ...value })}`;
const anthropicStart = a('message_start', { message: { id: 'msg_t', type: 'message', role: 'assistant', model: 'claude-opus-5-5', content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } });
const anthropicEnd = [a('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } }), a('message_stop', {})];
const toolStart = a('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'shell', input: {} } });
const toolDelta = (text: string, name?: string) => a('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: text } }, name);

const CASES: Record<string, Case> = {
  // Controls: an allowed call runs; a denied one in the plain shape does not.
  'allowed call (control)': { api: 'chat', stream: true, answer: sse([start('shell', ''), args('{"cmd":"echo hi"}'), finish, DONE]) },
  'denied call (control)': { api: 'chat', stream: true, answer: sse(rmCall) },
  'chat: arguments after finish_reason': { api: 'chat', stream: true, answer: sse([start('shell', ''), args('{"cmd":"echo hi'), finish, args('; rm -rf /"}'), DONE]) },
  'chat: a key written with an escape': { api: 'chat', stream: true, answer: sse([`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4.1","ch\\u006fices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"shell","arguments":${JSON.stringify(RM)}}}]},"finish_reason":null}]}`, finish, DONE]) },
  'chat: a stream starting with a byte-order mark': { api: 'chat', stream: true, answer: { headers: SSE_HEADERS, chunks: [`\uFEFF${rmCall.join('\n\n')}\n\n`] } },
  'chat: events ended by CRLF then CR': { api: 'chat', stream: true, answer: sse(rmCall, '\r\n\r') },
  'chat: events ended by LF then CR': { api: 'chat', stream: true, answer: sse(rmCall, '\n\r') },
  'chat: a stream labelled application/json': { api: 'chat', stream: true, answer: sse(rmCall, '\n\n', { 'content-type': 'application/json' }) },
  'chat: a plain body starting with a byte-order mark': { api: 'chat', stream: false, answer: json(`\uFEFF${JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'gpt-4.1', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'shell', arguments: RM } }] }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } })}`) },
  'responses: a call only in response.completed': { api: 'responses', stream: true, answer: sse([r('response.created', { response: { ...response([]), status: 'in_progress' } }), r('response.completed', { response: response([fcItem('completed', RM)]) })]) },
  'responses: a done item never added': { api: 'responses', stream: true, answer: sse([r('response.created', { response: { ...response([]), status: 'in_progress' } }), r('response.output_item.done', { output_index: 0, item: fcItem('completed', RM) }), r('response.completed', { response: response([fcItem('completed', RM)]) })]) },
  'responses: event names that disagree with data.type': {
    api: 'responses',
    stream: true,
    answer: sse([
      r('response.created', { response: { ...response([]), status: 'in_progress' } }),
      r('response.output_item.added', { output_index: 0, item: fcItem('in_progress', '') }, 'response.output_text.delta'),
      r('response.output_item.done', { output_index: 0, item: fcItem('completed', RM) }, 'response.output_text.delta'),
      r('response.completed', { response: response([fcItem('completed', RM)]) }, 'response.in_progress'),
    ]),
  },
  'anthropic: input after content_block_stop': { api: 'anthropic', stream: true, answer: sse([anthropicStart, toolStart, toolDelta('{"cmd":"echo hi'), a('content_block_stop', { index: 0 }), toolDelta('; rm -rf /"}'), ...anthropicEnd]) },
  'anthropic: event names that disagree with data.type': { api: 'anthropic', stream: true, answer: sse([anthropicStart, a('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'shell', input: {} } }, 'message_delta'), toolDelta(RM, 'message_delta'), a('content_block_stop', { index: 0 }, 'message_delta'), ...anthropicEnd]) },
  'anthropic: a plain body starting with a byte-order mark': { api: 'anthropic', stream: false, answer: json(`\uFEFF${JSON.stringify({ id: 'msg_t', type: 'message', role: 'assistant', model: 'claude-opus-5-5', content: [{ type: 'tool_use', id: 'toolu_1', name: 'shell', input: { cmd: 'rm -rf /' } }], stop_reason: 'tool_use', usage: { input_tokens: 5, output_tokens: 5 } })}`) },
};

let upstream: ScriptedUpstream;
let run: GuardedRun;
let results: Array<{ answer: string; executed: string[]; error: string | null }>;

beforeAll(async () => {
  const dir = tempDir('guardrun-toolcalls-');
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'version: 1\nrules:\n  - { id: no-rm, on: response, match: { tool: "^shell$", arguments: "rm\\\\s+-rf" }, action: deny, message: no rm -rf }\n');
  upstream = await startScriptedUpstream(Object.fromEntries(Object.entries(CASES).map(([name, c]) => [name, c.answer])));
  const cases = Object.entries(CASES).map(([answer, c]) => ({ answer, api: c.api, stream: c.stream }));
  run = await runGuarded({ upstream: upstream.url, dir, name: 'tools', policy, agent: [process.execPath, join(import.meta.dirname, 'tool-agent.mjs')], env: { AGENT_CASES: JSON.stringify(cases) } });
  results = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '[]');
}, 90_000);
afterAll(() => upstream?.close());

describe('tool calls in unusual shapes', () => {
  it('ran every case through a real client', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(results.map((x) => x.answer)).toEqual(Object.keys(CASES));
  });

  it('the control: an allowed call runs', () => {
    expect(results[0]).toMatchObject({ executed: ['echo hi'], error: null });
  });

  it.each(Object.keys(CASES).slice(1))('%s: the denied call never runs, and the client reports guardrun’s error', (name) => {
    const result = results.find((x) => x.answer === name)!;
    expect(result.executed.filter((cmd) => cmd.includes('rm -rf'))).toEqual([]);
    expect(result.error ?? '').toMatch(/no rm -rf|guardrun withheld/);
  });
});
