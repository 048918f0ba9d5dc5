// A hostile upstream echoes the real key it received back in every channel of every API and in every
// encoding a client decodes: split over events, over logprob tokens, their bytes and alternatives, audio
// transcripts, reasoning, tool-call arguments, JSON escapes, odd SSE framings, labels that lie, plain bodies
// with a byte-order mark. No text the agent's client could rebuild may contain the key, and neither may the
// session file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../e2e/harness.js';
import { bodyText, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, reconstructions, runGuarded, startScriptedUpstream, SSE_HEADERS, type AgentRequest, type GuardedRun, type Script, type ScriptedUpstream } from './response-harness.js';

/** `parts` pieces of a text, cut at even places. */
function cut(text: string, parts: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < parts; i++) out.push(text.slice(Math.floor((i * text.length) / parts), Math.floor(((i + 1) * text.length) / parts)));
  return out;
}
/** Every character as a JSON \u escape (inside a JSON string, as the wire carries it). */
const escaped = (text: string): string => [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
const sse = (events: string[], ending = '\n\n'): Script => ({ headers: SSE_HEADERS, chunks: events.map((e) => e + ending) });
const data = (value: unknown): string => `data: ${JSON.stringify(value)}`;

const head = { id: 'chatcmpl-hostile', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1' };
const chat = (delta: object, extra: object = {}) => data({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: null, ...extra }] });
const chatEnd = [data({ ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }), 'data: [DONE]'];
/** Chat deltas of `field` spelling `text` over `parts` events. */
const chatSplit = (text: string, parts: number, wrap: (piece: string) => object): string[] => [...cut(text, parts).map((p) => chat(wrap(p))), ...chatEnd];
const entry = (token: string) => ({ token, logprob: -0.1, bytes: [...Buffer.from(token)], top_logprobs: [{ token, logprob: -0.1, bytes: [...Buffer.from(token)] }] });

const resp = (type: string, value: object) => `event: ${type}\n${data({ type, ...value })}`;
const at = { item_id: 'it_1', output_index: 0, content_index: 0 };
const anth = (type: string, value: object) => `event: ${type}\n${data({ type, ...value })}`;

const OPENAI: Record<string, (key: string) => Script> = {
  'chat content over 7 events': (k) => sse(chatSplit(`key: ${k} done`, 7, (p) => ({ content: p }))),
  'chat refusal over 3 events': (k) => sse(chatSplit(`no ${k}`, 3, (p) => ({ refusal: p }))),
  'chat reasoning_content': (k) => sse(chatSplit(`think ${k}`, 4, (p) => ({ reasoning_content: p }))),
  'chat reasoning': (k) => sse(chatSplit(`think ${k}`, 4, (p) => ({ reasoning: p }))),
  'chat audio transcript': (k) => sse(chatSplit(`said ${k}`, 5, (p) => ({ audio: { id: 'audio_1', transcript: p } }))),
  'chat tool arguments': (k) => sse([chat({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }), ...chatSplit(JSON.stringify({ token: k }), 6, (p) => ({ tool_calls: [{ index: 0, function: { arguments: p } }] }))]),
  'chat logprob tokens': (k) => sse([...cut(k, 9).map((p) => chat({ content: p }, { logprobs: { content: [entry(p)], refusal: null } })), ...chatEnd]),
  'chat logprob bytes only': (k) => sse([...cut(k, 9).map((p) => chat({ content: 'x' }, { logprobs: { content: [{ token: 'x', logprob: -1, bytes: [...Buffer.from(p)], top_logprobs: [] }] } })), ...chatEnd]),
  'chat alternatives only': (k) => sse([...cut(k, 9).map((p) => chat({ content: 'x' }, { logprobs: { content: [{ token: 'x', logprob: -1, top_logprobs: [{ token: 'x', logprob: -1 }, { token: p, logprob: -3 }] }] } })), ...chatEnd]),
  'chat key whole in an alternative': (k) => sse([chat({ content: 'ok' }, { logprobs: { content: [{ ...entry('ok'), top_logprobs: [{ token: 'ok', logprob: -1 }, { token: k, logprob: -9 }] }] } }), ...chatEnd]),
  'chat JSON-escaped key in one event': (k) => sse([`data: {"id":"c","choices":[{"index":0,"delta":{"content":"${escaped(k)}"},"finish_reason":null}]}`, ...chatEnd]),
  'chat JSON-escaped key over events': (k) => sse([...cut(escaped(k), 5).map((p) => `data: {"id":"c","choices":[{"index":0,"delta":{"content":"${p}"},"finish_reason":null}]}`), ...chatEnd]),
  'chat escaped key in an id': (k) => sse([`data: {"id":"${escaped(k)}","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}`, ...chatEnd]),
  'chat escaped key inside tool arguments': (k) => sse([chat({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }), ...cut(`{"token":"${escaped(k)}"}`, 4).map((p) => chat({ tool_calls: [{ index: 0, function: { arguments: p } }] })), ...chatEnd]),
  'chat events ended by CRLF then CR': (k) => sse(chatSplit(`key ${k}`, 4, (p) => ({ content: p })), '\r\n\r'),
  'chat events ended by LF then CR': (k) => sse(chatSplit(`key ${k}`, 4, (p) => ({ content: p })), '\n\r'),
  'chat stream labelled JSON': (k) => ({ headers: { 'content-type': 'application/json' }, chunks: chatSplit(`key ${k}`, 4, (p) => ({ content: p })).map((e) => `${e}\n\n`) }),
  'chat stream with a BOM': (k) => ({ headers: SSE_HEADERS, chunks: [`\uFEFF${chatSplit(`key ${k}`, 3, (p) => ({ content: p })).join('\n\n')}\n\n`] }),
  'chat key in event name, id and comment': (k) => sse([`: ${k}\nid: ${k}\nevent: ${k}\n${chat({ content: 'hi' })}`, ...chatEnd]),
  'chat stream reset mid-secret': (k) => ({ headers: SSE_HEADERS, chunks: chatSplit(`key ${k} more`, 4, (p) => ({ content: p })).slice(0, 3).map((e) => `${e}\n\n`), reset: true }),
  'plain body, BOM and logprobs': (k) => ({ headers: { 'content-type': 'application/json' }, chunks: [`\uFEFF${JSON.stringify({ id: 'c', choices: [{ index: 0, message: { role: 'assistant', content: 'see logprobs' }, logprobs: { content: cut(k, 8).map(entry) }, finish_reason: 'stop' }] })}`] }),
  'plain body, escaped key in tool arguments': (k) => ({ headers: { 'content-type': 'application/json' }, chunks: [`{"choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"t\\":\\"${escaped(k).replace(/\\/g, '\\\\')}\\"}"}}]},"finish_reason":"tool_calls"}]}`] }),
  'error body': (k) => ({ status: 400, headers: { 'content-type': 'application/json' }, chunks: [JSON.stringify({ error: { message: `bad key ${k}`, type: 'invalid_request_error', param: null, code: null } })] }),
  'responses text, reasoning, transcript, logprobs': (k) =>
    sse([
      ...cut(k, 4).map((p, n) => resp('response.output_text.delta', { sequence_number: n, ...at, delta: p, logprobs: [{ token: p, logprob: -1, top_logprobs: [] }], obfuscation: 'abcdef' })),
      ...cut(k, 3).map((p, n) => resp('response.reasoning_summary_text.delta', { sequence_number: 10 + n, item_id: 'rs', output_index: 1, summary_index: 0, delta: p })),
      ...cut(k, 3).map((p, n) => resp('response.reasoning_text.delta', { sequence_number: 20 + n, item_id: 'rs', output_index: 1, content_index: 0, delta: p })),
      ...cut(k, 3).map((p, n) => resp('response.audio.transcript.delta', { sequence_number: 30 + n, response_id: 'r', delta: p })),
      resp('response.completed', { sequence_number: 40, response: { id: 'r', status: 'completed', output: [{ type: 'message', content: [{ type: 'output_text', text: k, logprobs: cut(k, 5).map((p) => ({ token: p, logprob: -1, top_logprobs: [] })) }] }] } }),
    ]),
};

const ANTHROPIC: Record<string, (key: string) => Script> = {
  'anthropic text, thinking and tool input': (k) =>
    sse([
      anth('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
      ...cut(`I see ${k}`, 4).map((p) => anth('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: p } })),
      anth('content_block_stop', { index: 0 }),
      anth('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
      ...cut(`the key ${k}!`, 6).map((p) => anth('content_block_delta', { index: 1, delta: { type: 'text_delta', text: p } })),
      anth('content_block_stop', { index: 1 }),
      anth('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } }),
      ...cut(JSON.stringify({ key: k }), 5).map((p) => anth('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: p } })),
      anth('content_block_stop', { index: 2 }),
      anth('message_stop', {}),
    ]),
};

const requestFor = (name: string, provider: 'openai' | 'anthropic'): AgentRequest => {
  if (provider === 'anthropic') return { answer: name, provider, path: '/messages', body: { model: 'claude-opus-5-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] } };
  if (name.startsWith('responses')) return { answer: name, provider, path: '/responses', body: { model: 'gpt-5.4', stream: true, input: 'hi' } };
  const stream = !name.startsWith('plain') && name !== 'error body';
  return { answer: name, provider, path: '/chat/completions', body: { model: 'gpt-4.1', stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: 'user', content: 'hi' }] } };
};

let upstream: ScriptedUpstream;
let run: GuardedRun;
const requests: AgentRequest[] = [];

beforeAll(async () => {
  upstream = await startScriptedUpstream({ ...OPENAI, ...ANTHROPIC } as Record<string, Script>);
  requests.push(...Object.keys(OPENAI).map((n) => requestFor(n, 'openai')), ...Object.keys(ANTHROPIC).map((n) => requestFor(n, 'anthropic')));
  run = await runGuarded({ upstream: upstream.url, dir: tempDir('guardrun-echo-'), name: 'echo', requests });
}, 60_000);
afterAll(() => upstream?.close());

/** Pieces of a key that must not come out: any 12 characters of it. */
const shards = (key: string): string[] => Array.from({ length: key.length - 11 }, (_, i) => key.slice(i, i + 12)).filter((s) => /[a-z]/.test(s));
/** The texts without guardrun's markers (a detector id such as `openai-real-key` may look like part of a fake key). */
const unmarked = (texts: string[]): string[] => texts.map((t) => t.replace(/\[REDACTED:[a-z0-9-]+\]/g, '[]'));

describe('a hostile upstream echoing the real key', () => {
  it('got every request', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.results).toHaveLength(requests.length);
    expect(upstream.seen).toEqual(requests.map((r) => r.answer));
  });

  it.each([...Object.keys(OPENAI), ...Object.keys(ANTHROPIC)])('%s: no rebuilt text holds the key', (name) => {
    const r = run.results[requests.findIndex((q) => q.answer === name)];
    const key = name.startsWith('anthropic') ? FAKE_ANTHROPIC_KEY : FAKE_OPENAI_KEY;
    for (const text of unmarked(reconstructions(bodyText(r)))) for (const shard of shards(key)) expect(text).not.toContain(shard);
  });

  it('keeps the key out of the session file, upstream events included', () => {
    for (const key of [FAKE_OPENAI_KEY, FAKE_ANTHROPIC_KEY]) {
      for (const text of unmarked(reconstructions(run.sessionText))) for (const shard of shards(key)) expect(text).not.toContain(shard);
      for (const line of run.session) for (const e of [...(line.events ?? []), ...(line.upstreamEvents ?? [])]) for (const text of unmarked(reconstructions(e.data))) expect(text).not.toContain(key.slice(0, 24));
    }
  });

  it('refuses what it cannot mask in place: a key spelled with escapes inside tool arguments', () => {
    const r = run.results[requests.findIndex((q) => q.answer === 'chat escaped key inside tool arguments')];
    expect(bodyText(r)).toContain('guardrun_unclassifiable_response');
  });
});
