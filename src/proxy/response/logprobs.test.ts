// Masking follows the model's text into every field a client can rebuild it from: logprob tokens (stream
// and plain), their bytes and alternatives, the padding that normalises event sizes.
import { describe, expect, it } from 'vitest';
import { createResponseFilter } from './response-filter.js';
import { parseEvent } from './sse.js';
import { dataOf, feed, testExchange, testScanner } from './stream-test-capture.js';

const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';
const MASKED = '[REDACTED:openai-key]';
const scanner = testScanner();

const entry = (token: string, alternatives: string[] = []) => ({
  token,
  logprob: -0.1,
  bytes: [...Buffer.from(token, 'utf8')],
  top_logprobs: [token, ...alternatives].map((t) => ({ token: t, logprob: -1, bytes: [...Buffer.from(t, 'utf8')] })),
});
const head = { id: 'chatcmpl-lp', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1-mini' };
const chatChunk = (tokens: string[], extra: object = {}) =>
  parseEvent(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: tokens.join('') }, logprobs: { content: tokens.map((t) => entry(t, ['x'])), refusal: null }, finish_reason: null }], ...extra })}\n\n`);
const finish = parseEvent(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] })}\n\n`);

type Entry = ReturnType<typeof entry>;
const choiceOf = (data: Record<string, unknown>) => (data.choices as Array<{ delta: { content?: string }; logprobs: { content: Entry[] } | null }>)[0];

/** The secret in pieces of 1–7 characters, as tokens. */
function tokens(text: string): string[] {
  const out: string[] = [];
  for (let i = 0, n = 1; i < text.length; i += n, n = (n % 7) + 1) out.push(text.slice(i, i + n));
  return out;
}

describe('chat logprobs', () => {
  it('masks a secret spelled over logprob tokens in step with the text: tokens, bytes and alternatives', async () => {
    const all = tokens(`Use ${SECRET} now`);
    const events = [chatChunk(all.slice(0, 4)), chatChunk(all.slice(4, 7)), chatChunk(all.slice(7)), finish];
    const { out } = await feed(createResponseFilter({ exchange: testExchange('chat'), scanner }), events);
    expect(out).toHaveLength(events.length);
    const choices = dataOf(out).map((d) => choiceOf(d.data)).filter((c) => c.logprobs);
    const text = choices.map((c) => c.delta.content ?? '').join('');
    const entries = choices.flatMap((c) => c.logprobs!.content);
    expect(text).toBe(`Use ${MASKED} now`);
    expect(entries.map((e) => e.token).join('')).toBe(text);
    expect(Buffer.from(entries.flatMap((e) => e.bytes)).toString('utf8')).toBe(text);
    const alternatives = entries.flatMap((e) => e.top_logprobs.map((t) => t.token)).join('');
    expect(alternatives).not.toContain('Q7x9');
    for (const e of entries) if (e.token !== all[entries.indexOf(e)]) expect(e.top_logprobs).toEqual([]);
    expect(out.join('')).not.toMatch(/Q7x9|K8m1|N5b3/);
  });

  it('masks a key that only the bytes spell, and a key whole in one alternative', async () => {
    const pieces = tokens(SECRET);
    const bytes = parseEvent(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: 'ok' }, logprobs: { content: pieces.map((p) => ({ token: 'o', logprob: -1, bytes: [...Buffer.from(p)], top_logprobs: [] })) }, finish_reason: null }] })}\n\n`);
    const alternative = parseEvent(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: 'ok' }, logprobs: { content: [{ ...entry('ok'), top_logprobs: [{ token: 'ok', logprob: -1 }, { token: SECRET, logprob: -9 }] }] }, finish_reason: null }] })}\n\n`);
    for (const e of [bytes, alternative]) {
      // As the relay sends them: each event through Guard.maskOutgoing (a whole secret in any field, raw).
      const { out: filtered } = await feed(createResponseFilter({ exchange: testExchange('chat'), scanner }), [e, finish]);
      const out = filtered.map((t) => scanner.mask(t).text);
      expect(out.join('')).not.toContain('Q7x9');
      const decoded = JSON.parse(parseEvent(out[0]).data).choices[0].logprobs.content as Entry[];
      expect(Buffer.from(decoded.flatMap((d) => d.bytes ?? [])).toString('latin1')).not.toContain('Q7x9');
    }
  });

  it('passes logprobs untouched when nothing is masked', async () => {
    const events = [chatChunk(tokens('Edinburgh is rainy; AAPL rose.')), finish];
    const { out } = await feed(createResponseFilter({ exchange: testExchange('chat'), scanner }), events);
    expect(out).toEqual(events.map((e) => e.raw));
  });

  it('resizes `obfuscation` so a masked event keeps the size the upstream sent, as far as the padding allows', async () => {
    const padded = chatChunk([`key ${SECRET.slice(0, 30)}`], { obfuscation: 'abcdefghijklmnopqrstuvwxyz0123456789' });
    const rest = chatChunk([SECRET.slice(30)], { obfuscation: 'xy' });
    const { out } = await feed(createResponseFilter({ exchange: testExchange('chat'), scanner }), [padded, rest, finish]);
    const [a, b] = dataOf(out).map((d) => d.data);
    expect(choiceOf(a).delta.content).toBe(`key ${MASKED}`);
    expect(choiceOf(b).delta.content).toBe('');
    expect(Buffer.byteLength(out[0])).toBe(Buffer.byteLength(padded.raw));
    expect(Buffer.byteLength(out[1])).toBe(Buffer.byteLength(rest.raw));
    expect(a.obfuscation).toMatch(/^abcdefghijklmnopqrstuvwxyz0123456789[A-Za-z0-9]+$/);
    // A mask longer than what it hides: the padding shrinks, down to nothing.
    const aws = 'AKIAFAKETEST00000000';
    const grows = (padding: string) => parseEvent(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: `${aws} ok` }, finish_reason: null }], obfuscation: padding })}\n\n`);
    for (const [padding, left] of [['0123456789', '01'], ['ab', '']] as const) {
      const event = grows(padding);
      const [masked] = (await feed(createResponseFilter({ exchange: testExchange('chat'), scanner }), [event, finish])).out;
      expect(JSON.parse(parseEvent(masked).data).obfuscation).toBe(left);
    }
  });
});

describe('Responses logprobs and plain bodies', () => {
  it('masks output_text.delta logprobs with the delta', async () => {
    const at = { item_id: 'msg_1', output_index: 0, content_index: 0 };
    const all = tokens(`see ${SECRET}.`);
    const delta = (ts: string[], n: number) =>
      parseEvent(`event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', sequence_number: n, ...at, delta: ts.join(''), logprobs: ts.map((t) => ({ token: t, logprob: -0.1, top_logprobs: [] })), obfuscation: 'Zz' })}\n\n`);
    const done = parseEvent(`event: response.output_text.done\ndata: ${JSON.stringify({ type: 'response.output_text.done', sequence_number: 9, ...at, text: all.join(''), logprobs: all.map((t) => ({ token: t, logprob: -0.1, top_logprobs: [] })) })}\n\n`);
    const { out } = await feed(createResponseFilter({ exchange: testExchange('responses'), scanner }), [delta(all.slice(0, 5), 1), delta(all.slice(5), 2), done]);
    const datas = dataOf(out).map((d) => d.data as { delta?: string; text?: string; logprobs: Array<{ token: string }> });
    expect(datas[0].delta! + datas[1].delta!).toBe(`see ${MASKED}.`);
    expect([...datas[0].logprobs, ...datas[1].logprobs].map((l) => l.token).join('')).toBe(`see ${MASKED}.`);
    expect(datas[2].text).toBe(`see ${MASKED}.`);
    expect(datas[2].logprobs.map((l) => l.token).join('')).toBe(`see ${MASKED}.`);
  });

  it('masks a plain chat body whose logprob tokens spell a secret, keeping every other byte', async () => {
    const all = tokens(SECRET);
    const body = JSON.stringify({ id: 'c', choices: [{ index: 0, message: { role: 'assistant', content: SECRET }, logprobs: { content: all.map((t) => entry(t)) }, finish_reason: 'stop' }] }, null, 1);
    const out = await createResponseFilter({ exchange: testExchange('chat', false), scanner }).body(body);
    if (!('text' in out)) throw new Error('expected a body');
    const value = JSON.parse(out.text);
    expect(value.choices[0].message.content).toBe(MASKED);
    expect((value.choices[0].logprobs.content as Entry[]).map((e) => e.token).join('')).toBe(MASKED);
    expect(out.text).not.toContain('Q7x9');
    expect(out.text.startsWith('{\n "id": "c",')).toBe(true); // spacing kept
  });

  it('masks legacy completions logprobs (tokens and their alternative objects)', async () => {
    const all = tokens(SECRET);
    const body = JSON.stringify({ choices: [{ text: SECRET, logprobs: { tokens: all, token_logprobs: all.map(() => -0.1), top_logprobs: all.map((t) => ({ [t]: -0.1 })), text_offset: [] } }] });
    const out = await createResponseFilter({ exchange: { ...testExchange('chat', false), apiPath: '/v1/completions' }, scanner }).body(body);
    if (!('text' in out)) throw new Error('expected a body');
    expect(out.text).not.toContain('Q7x9');
    expect(JSON.parse(out.text).choices[0].logprobs.tokens.join('')).toBe(MASKED);
  });
});
