// Issue 10, item 6: request rules must not be stepped around. A banned word hidden with invisible characters
// or look-alike letters, or sent in a field the rules never read (prediction, response_format, prompt
// variables, a text data URI, an Anthropic base64 text document), is still caught — through the real SDKs.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { FAKE_ANTHROPIC_KEY } from '../e2e/harness.js';
import { FAKE_OPENAI_KEY, OPEN_POLICY, startGuarded, type Guarded } from './harness.js';

const POLICY = `${OPEN_POLICY}rules:
  - id: codename
    on: request
    match: { words: [bluebird] }
    action: deny
`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let upstream: FakeUpstream;
let g: Guarded;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY, anthropicKey: FAKE_ANTHROPIC_KEY });
  g = await startGuarded({ upstream: upstream.url, policy: POLICY, args: ['--key-env', 'anthropic=ANTHROPIC_REAL', '--anthropic-upstream', upstream.url], env: { ANTHROPIC_REAL: FAKE_ANTHROPIC_KEY } });
  openai = new OpenAI({ baseURL: `${g.origin}/v1`, apiKey: g.key, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: `${g.origin}/anthropic`, apiKey: g.key, maxRetries: 0 });
});
afterAll(async () => {
  const end = await g.stop();
  expect(end.lines.at(-1)).toMatchObject({ type: 'session.end' });
  await upstream.close();
});

const status = (p: Promise<unknown>): Promise<number> => p.then(() => 200, (e: { status?: number }) => e.status ?? 0);

// Ways to write "bluebird" that a reader (and the model) still reads as "bluebird".
const DISGUISES: Array<[string, string]> = [
  ['zero-width space', 'blue\u200bbird'],
  ['soft hyphen', 'blue\u00adbird'],
  ['zero-width joiner', 'b\u200dluebird'],
  ['word joiner', 'bluebi\u2060rd'],
  ['left-to-right mark', 'blue\u200ebird'],
  ['variation selector', 'bluebird\ufe0f'],
  ['tag characters', 'blue\u{e0062}bird'],
  ['Cyrillic е', 'blu\u0435bird'],
  ['Cyrillic і', 'bluеb\u0456rd'],
  ['Cherokee Ꮟ and dotless ı in a mix', '\u13cflueb\u0131rd'],
  ['fullwidth', 'ｂｌｕｅｂｉｒｄ'],
  ['mathematical italic', '𝑏𝑙𝑢𝑒𝑏𝑖𝑟𝑑'],
  ['combining marks', 'blue\u0301bi\u0308rd'],
  ['upper case', 'BLUEBIRD'],
];

describe('disguised words', () => {
  it.each(DISGUISES)('%s: denied (Chat Completions, OpenAI SDK)', async (_name, word) => {
    expect(await status(openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `tell me about ${word} please` }] }))).toBe(403);
  });

  it('a clean request still goes through (control)', async () => {
    expect(await status(openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'tell me about blue birds' }] }))).toBe(200);
  });
});

describe('fields the rules must read', () => {
  it.each<[string, () => Promise<unknown>]>([
    ['Chat prediction', () => openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'rewrite' }], prediction: { type: 'content', content: 'the bluebird file' } })],
    ['Chat response_format schema description', () => openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object', properties: { a: { type: 'string', description: 'the bluebird plan' } } } } } })],
    ['Chat file part with a text data URI', () => openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'notes.txt', file_data: `data:text/plain;base64,${b64('project bluebird notes')}` } }] }] })],
    ['Responses text.format', () => openai.responses.create({ model: 'gpt-4.1-mini', input: 'x', text: { format: { type: 'json_schema', name: 'o', description: 'bluebird', schema: { type: 'object' } } } })],
    ['Responses prompt.variables', () => openai.responses.create({ model: 'gpt-4.1-mini', prompt: { id: 'pmpt_1', variables: { topic: 'bluebird' } } })],
    ['Responses input_file data URI', () => openai.responses.create({ model: 'gpt-4.1-mini', input: [{ role: 'user', content: [{ type: 'input_file', filename: 'a.txt', file_data: `data:text/plain;base64,${b64('bluebird')}` }] }] })],
    ['Anthropic base64 text document', () => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'text/plain', data: b64('the bluebird memo') } as never }] }] })],
    ['Anthropic plain-text document', () => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'the bluebird memo' } }] }] })],
    ['Anthropic system prompt blocks', () => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, system: [{ type: 'text', text: 'you know about bluebird' }], messages: [{ role: 'user', content: 'hi' }] })],
    ['Anthropic tool description', () => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, tools: [{ name: 't', description: 'looks up bluebird', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'hi' }] })],
  ])('%s: denied', async (_name, call) => {
    const before = upstream.requests.length;
    expect(await status(call())).toBe(403);
    expect(upstream.requests.length).toBe(before);
  });
});
