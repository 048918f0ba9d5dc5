// End-to-end: recorded-shape streams of every API through the built CLI reach the agent byte for byte as the
// upstream sent them; a secret split over two, three or many events is masked in just those events and
// fields; the session file keeps what the agent received (plus the upstream's events where they differ);
// an offline re-run serves exactly what the live agent got.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanner } from '../../src/secrets/scan.js';
import { parseEvent, SseSplitter } from '../../src/proxy/response/sse.js';
import { bodyText, FETCH_AGENT, runGuarded, startScriptedUpstream, SSE_HEADERS, type AgentRequest, type Answer, type GuardedRun, type ScriptedUpstream } from '../adversarial/response-harness.js';
import { guardrun, tempDir } from './harness.js';

const STREAMS = join(import.meta.dirname, '../../fixtures/streams');
const FIXTURES = readdirSync(STREAMS).filter((f) => f.endsWith('.sse'));
const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';
const scanner = createScanner();

type Api = 'chat' | 'responses' | 'anthropic';
const apiOf = (name: string): Api => (name.startsWith('chat') ? 'chat' : name.startsWith('responses') ? 'responses' : 'anthropic');
const PATH: Record<Api, string> = { chat: '/chat/completions', responses: '/responses', anthropic: '/messages' };

function requestFor(answer: string, n: number): AgentRequest {
  const api = apiOf(answer);
  const prompt = `stream ${n}`;
  // stream_options.include_usage as the agent's own: guardrun then adds nothing it would have to take out.
  const body =
    api === 'chat'
      ? { model: 'gpt-4.1', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: prompt }] }
      : api === 'responses'
        ? { model: 'gpt-5.4', stream: true, input: prompt }
        : { model: 'claude-opus-5-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: prompt }] };
  return { answer, provider: api === 'anthropic' ? 'anthropic' : 'openai', path: PATH[api], body };
}

/** The upstream's text in network-sized pieces that cut events (and characters) anywhere. */
function pieces(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** A stream whose text `deltas` are delta events of the API's own shape (with the padding each provider adds). */
function streamOf(api: Api, deltas: string[]): string {
  if (api === 'chat') {
    const head = { id: 'chatcmpl-e2e', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', system_fingerprint: 'fp_e2e' };
    const chunk = (choice: object) => `data: ${JSON.stringify({ ...head, choices: [choice], usage: null, obfuscation: 'Xy12' })}\n\n`;
    return [...deltas.map((d) => chunk({ index: 0, delta: { content: d }, logprobs: null, finish_reason: null })), chunk({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }), 'data: [DONE]\n\n'].join('');
  }
  if (api === 'responses') {
    let n = 0;
    const at = { item_id: 'msg_e2e', output_index: 0, content_index: 0 };
    const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n++, ...data })}\n\n`;
    return [...deltas.map((d) => ev('response.output_text.delta', { ...at, delta: d, logprobs: [], obfuscation: 'AbCdEf012345' })), ev('response.output_text.done', { ...at, text: deltas.join(''), logprobs: [] })].join('');
  }
  // Anthropic pads its data with spaces before the closing brace.
  const ev = (type: string, data: object, pad = 0) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data }).slice(0, -1)}${' '.repeat(pad)}}\n\n`;
  return [
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ...deltas.map((d, i) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: d } }, 10 + ((i * 37) % 90))),
    ev('content_block_stop', { index: 0 }, 17),
    ev('message_stop', {}),
  ].join('');
}

/** "before KEY after" cut so the secret spans `parts` events. */
function secretDeltas(parts: number): { text: string; deltas: string[] } {
  const cuts = Array.from({ length: parts - 1 }, (_, i) => Math.round(((i + 1) * SECRET.length) / parts));
  const bits = [0, ...cuts, SECRET.length].slice(1).map((end, i, all) => SECRET.slice(i === 0 ? 0 : all[i - 1], end));
  const deltas = ['Here it is: ', ...bits.map((b, i) => (i === 0 ? `key ${b}` : b)), ' and that is all.'];
  return { text: deltas.join(''), deltas };
}

const SECRET_CASES: Array<[Api, number]> = (['chat', 'responses', 'anthropic'] as Api[]).flatMap((api) => [2, 3, 12].map((n): [Api, number] => [api, n]));
const secretName = (api: Api, parts: number) => `${api}-secret-${parts}`;

/** The response line of the agent's `at`-th request (response lines are written when each answer is settled, so
 * their order need not follow the requests'). */
function responseOf(at: number): Record<string, any> {
  const request = live.session.filter((l) => l.type === 'request')[at];
  return live.session.find((l) => l.type === 'response' && l.id === request.id)!;
}

let dir: string;
let upstream: ScriptedUpstream;
let live: GuardedRun;
const direct: Record<string, string> = {};
const requests: AgentRequest[] = [];

beforeAll(async () => {
  dir = tempDir('guardrun-transparency-');
  const scripts: Record<string, Answer> = {};
  for (const f of FIXTURES) scripts[f] = { headers: SSE_HEADERS, chunks: pieces(readFileSync(join(STREAMS, f), 'utf8'), 61) };
  for (const [api, parts] of SECRET_CASES) scripts[secretName(api, parts)] = { headers: SSE_HEADERS, chunks: pieces(streamOf(api, secretDeltas(parts).deltas), 97) };
  upstream = await startScriptedUpstream(scripts);
  for (const name of Object.keys(scripts)) {
    const res = await fetch(`${upstream.url}/v1/x`, { method: 'POST', headers: { 'x-answer': name }, body: '{}' });
    direct[name] = await res.text();
  }
  requests.push(...Object.keys(scripts).map((name, n) => requestFor(name, n)));
  live = await runGuarded({ upstream: upstream.url, dir, name: 'live', requests });
}, 60_000);
afterAll(() => upstream?.close());

describe('streams through the CLI', () => {
  it('runs every request', () => {
    expect(live.exitCode, live.stderr).toBe(0);
    expect(live.results).toHaveLength(requests.length);
  });

  it.each(FIXTURES)('%s reaches the agent byte for byte, and is recorded once (no upstream copy)', (file) => {
    const at = requests.findIndex((r) => r.answer === file);
    expect(live.results[at].status).toBe(200);
    expect(bodyText(live.results[at])).toBe(direct[file]);
    const response = responseOf(at);
    expect(response.events.map((e: { data: string }) => e.data).join('')).toBe(direct[file]);
    expect(response.upstreamEvents).toBeUndefined();
  });

  it.each(SECRET_CASES)('%s: a secret over %i events is masked in those events only, in place', (api, parts) => {
    const name = secretName(api, parts);
    const at = requests.findIndex((r) => r.answer === name);
    const split = (text: string) => {
      const s = new SseSplitter();
      return [...s.push(Buffer.from(text)), ...(s.rest() ? [parseEvent(s.rest())] : [])];
    };
    const up = split(direct[name]);
    const got = split(bodyText(live.results[at]));
    expect(got).toHaveLength(up.length);
    const { deltas, text } = secretDeltas(parts);
    const whole = scanner.mask(text).text;
    let offset = 0;
    const masked: string[] = [];
    for (const d of deltas) {
      const findings = scanner.find(text).filter((f) => f.start < offset + d.length && f.end > offset);
      let piece = '';
      let at2 = offset;
      for (const f of findings) {
        if (f.start >= offset) piece += text.slice(at2, f.start) + `[REDACTED:${f.detector}]`;
        at2 = Math.max(at2, f.end);
      }
      masked.push(at2 < offset + d.length ? piece + text.slice(at2, offset + d.length) : piece);
      offset += d.length;
    }
    expect(masked.join('')).toBe(whole);
    let k = 0;
    for (const [i, e] of up.entries()) {
      const isDelta = /"(content|text)":"|"delta":"/.test(e.data) && !e.data.includes('output_text.done') && !e.data.includes('content_block_start');
      if (e.data.includes('output_text.done')) {
        // The done event repeats the whole text: masked as a whole, in place.
        expect(got[i].raw).toBe(e.raw.replace(JSON.stringify(text), JSON.stringify(whole)));
      } else if (!isDelta || masked[k] === deltas[k]) {
        expect(got[i].raw, `event ${i}`).toBe(e.raw);
      } else if (api === 'anthropic') {
        // Only the text's JSON string changes: the padding before the closing brace stays.
        expect(got[i].raw).toBe(e.raw.replace(JSON.stringify(deltas[k]), JSON.stringify(masked[k])));
      } else {
        const before = JSON.parse(e.data);
        const after = JSON.parse(got[i].data);
        expect({ ...after, obfuscation: 0 }).toEqual(JSON.parse(JSON.stringify({ ...before, obfuscation: 0 }).replace(JSON.stringify(deltas[k]), JSON.stringify(masked[k]))));
        // The obfuscation padding keeps the event at the size the upstream sent, while it can.
        if (masked[k].length <= deltas[k].length) expect(Buffer.byteLength(got[i].raw)).toBe(Buffer.byteLength(e.raw));
      }
      if (isDelta) k++;
    }
    expect(bodyText(live.results[at])).not.toMatch(/Q7x9|K8m1|N5b3/);
    const response = responseOf(at);
    expect(response.upstreamEvents.map((e: { data: string }) => e.data).join('')).not.toContain('Q7x9'); // masked for the file too
    expect(response.upstreamEvents).toHaveLength(up.length);
  });

  it('an offline re-run serves exactly what the live agent received', async () => {
    const out = join(dir, 'rerun.jsonl');
    const { FAKE_OPENAI_KEY } = await import('./harness.js');
    const r = await guardrun(['replay', join(dir, 'live.jsonl'), '--session-file', out, '--', ...FETCH_AGENT], {
      env: { AGENT_REQUESTS: JSON.stringify(requests), OPENAI_REAL: FAKE_OPENAI_KEY },
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const again = JSON.parse(String(r.stdout).trim().split('\n').at(-1)!) as typeof live.results;
    expect(again.map((x) => x.body)).toEqual(live.results.map((x) => x.body));
  });
});

