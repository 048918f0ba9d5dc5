// Transparency: a stream with nothing to mask reaches the agent as the upstream sent it, byte for byte and
// event for event, however its bytes are cut; a secret split over events is masked in the events that carry
// it (only that field changes) and every other event stays as it was.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createResponseFilter } from './response-filter.js';
import { parseEvent, SseSplitter, type SseEvent } from './sse.js';
import { deltaText, feed, testExchange, testScanner, type Api } from './stream-test-capture.js';

const DIR = new URL('../../../fixtures/streams/', import.meta.url);
const FIXTURES = readdirSync(DIR).filter((f) => f.endsWith('.sse'));
const apiOf = (file: string): Api => (file.startsWith('chat') ? 'chat' : file.startsWith('responses') ? 'responses' : 'anthropic');
const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';

function split(text: string, cuts: number[]): SseEvent[] {
  const bytes = Buffer.from(text, 'utf8');
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const splitter = new SseSplitter();
  const events: SseEvent[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    events.push(...splitter.push(bytes.subarray(at, p)));
    at = p;
  }
  const rest = splitter.rest();
  if (rest !== '') events.push(parseEvent(rest));
  return events;
}

const allow = async () => ({ allow: true }) as const;

describe.each(FIXTURES)('%s through the filter', (file) => {
  const text = readFileSync(new URL(file, DIR), 'utf8');
  const api = apiOf(file);

  it('comes out byte for byte, event for event, with and without tool-call judging', async () => {
    const events = split(text, []);
    for (const decideToolCalls of [undefined, allow]) {
      const { out } = await feed(createResponseFilter({ exchange: testExchange(api), scanner: testScanner(), decideToolCalls }), events);
      expect(out).toEqual(events.map((e) => e.raw));
      expect(out.join('')).toBe(text);
    }
  });

  it('comes out the same however the bytes arrive', () => {
    return fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), async (cuts) => {
        const { out } = await feed(createResponseFilter({ exchange: testExchange(api), scanner: testScanner() }), split(text, cuts));
        expect(out.join('')).toBe(text);
      }),
      { numRuns: 25 },
    );
  });
});

// Text fragments that start secrets, labels and placeholders without completing one.
const CLEAN = ['a', 'Z', ' ', ' ', '\n', '.', ',', ':', '_', '-', 's', 'sk', 'sk-', 'AK', 'AKI', 'p', 'pass', 'secr', 'api', 'h', 'http', 'eyJ', 'gh', '-----', 'BEGIN', 're', 'AAPL', 'Edinburgh', '😀', 'é', '"', '\\'];
const cleanText = fc.array(fc.constantFrom(...CLEAN), { minLength: 1, maxLength: 60 }).map((a) => a.join(''));

/** A stream of `api` whose text deltas are `deltas`, as the fake upstream shapes them. */
function streamOf(api: Api, deltas: string[]): string {
  const ev = (name: string | undefined, data: unknown): string => `${name ? `event: ${name}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
  if (api === 'chat') {
    const head = { id: 'chatcmpl-p', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1-mini' };
    return [...deltas.map((d) => ev(undefined, { ...head, choices: [{ index: 0, delta: { content: d }, logprobs: null, finish_reason: null }] })), ev(undefined, { ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }), 'data: [DONE]\n\n'].join('');
  }
  if (api === 'responses') {
    const at = { item_id: 'msg_1', output_index: 0, content_index: 0 };
    let n = 0;
    const r = (type: string, data: object): string => ev(type, { type, sequence_number: n++, ...data });
    return [...deltas.map((d) => r('response.output_text.delta', { ...at, delta: d, logprobs: [], obfuscation: 'pad0' })), r('response.output_text.done', { ...at, text: deltas.join('') })].join('');
  }
  const a = (type: string, data: object): string => ev(type, { type, ...data });
  return [a('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }), ...deltas.map((d) => a('content_block_delta', { index: 0, delta: { type: 'text_delta', text: d } })), a('content_block_stop', { index: 0 }), a('message_stop', {})].join('');
}

const cutsOf = (text: string, points: number[]): string[] => {
  const chars = [...text];
  const sorted = [...new Set(points.map((p) => p % (chars.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let at = 0;
  for (const p of [...sorted, chars.length]) {
    if (p > at) out.push(chars.slice(at, p).join(''));
    at = p;
  }
  return out;
};

describe.each(['chat', 'responses', 'anthropic'] as Api[])('%s: random event splits', (api) => {
  it('without a secret, what the agent receives is the upstream bytes', () => {
    return fc.assert(
      fc.asyncProperty(cleanText, fc.array(fc.nat(), { maxLength: 20 }), async (text, points) => {
        const scanner = testScanner();
        fc.pre(scanner.find(text).length === 0);
        const upstream = streamOf(api, cutsOf(text, points));
        const events = split(upstream, []);
        const { out } = await feed(createResponseFilter({ exchange: testExchange(api), scanner }), events);
        expect(out).toEqual(events.map((e) => e.raw));
      }),
      { numRuns: Number(process.env.GUARDRUN_FUZZ_RUNS ?? 200) },
    );
  });

  it('with a secret somewhere, the text is scanner.mask(text) and the events without a piece of it are unchanged', () => {
    return fc.assert(
      fc.asyncProperty(cleanText, cleanText, fc.array(fc.nat(), { maxLength: 20 }), async (before, after, points) => {
        const scanner = testScanner();
        const text = `${before} ${SECRET} ${after}`;
        const deltas = cutsOf(text, points);
        const events = split(streamOf(api, deltas), []);
        const { out } = await feed(createResponseFilter({ exchange: testExchange(api), scanner }), events);
        expect(out).toHaveLength(events.length);
        expect(deltaText(api, out, 'text')).toBe(scanner.mask(text).text);
        // An event is rewritten only when its delta holds part of a finding.
        const findings = scanner.find(text);
        let at = 0;
        const deltaEvents = events.filter((e) => /"(content|delta|text)":"/.test(e.data) && !e.data.includes('output_text.done') && !e.data.includes('content_block_start'));
        for (const [k, d] of deltas.entries()) {
          const start = at;
          at += d.length;
          const touched = findings.some((f) => f.start < at && f.end > start);
          const i = events.indexOf(deltaEvents[k]);
          if (!touched) expect(out[i]).toBe(events[i].raw);
        }
      }),
      { numRuns: Number(process.env.GUARDRUN_FUZZ_RUNS ?? 200) },
    );
  });
});
