// The response filter on real event sequences of all three APIs, captured from the fake upstream:
// secrets split across events, byte-exact pass-through, tool calls held then allowed or refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../../fixtures/fake-upstream.mjs';
import type { ToolCall } from '../../policy/types.js';
import { createResponseFilter } from './response-filter.js';
import { parseEvent } from './sse.js';
import type { ToolCallDecision } from './stream-outbox.js';
import { captureEvents, dataOf, deltaText, feed, TEST_DUMMY_KEY, testExchange, testScanner, type Api } from './stream-test-capture.js';

const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';
const SECRET_TAIL = 'Q7x9Z2w4K8m1N5b3V6c0';
// Chosen so that no delta ends in something that could start a secret (a masker would hold that back).
const PLAIN = 'Hello from the fake upstream. The weather is fine today.';
const ARGS = '{"cmd":"rm -rf /tmp/x"}';
const DENIAL = { status: 403, code: 'destructive-shell', message: 'guardrun withheld a tool call (destructive-shell): rm -rf needs a human' };
const APIS: Api[] = ['chat', 'responses', 'anthropic'];

/** Whether an event text belongs to the tool call (in each API's own terms). */
function isToolEvent(api: Api, text: string): boolean {
  const e = parseEvent(text);
  if (api === 'chat') return e.data.includes('"tool_calls"') || e.data.includes('"finish_reason":"tool_calls"');
  if (api === 'responses') return e.data.includes('"function_call"') || e.data.includes('function_call_arguments');
  return e.data.includes('"tool_use"') || e.data.includes('input_json_delta');
}

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream.close();
});

describe.each(APIS)('%s stream', (api) => {
  const scanner = testScanner();

  it('masks a secret split across several events; the deltas join to scanner.mask(full text)', async () => {
    const text = `Your key is ${SECRET} and that is all.`;
    const events = await captureEvents(upstream.url, api, `[[say:${text}]] [[chunk:5]]`);
    expect(events.filter((e) => e.data.includes('Q7x9') || e.data.includes('K8m1')).length).toBeGreaterThan(0);
    const { out } = await feed(createResponseFilter({ exchange: testExchange(api), scanner }), events);
    expect(deltaText(api, out, 'text')).toBe(scanner.mask(text).text);
    expect(deltaText(api, out, 'text')).toContain('[REDACTED:openai-key]');
    const all = out.join('');
    for (let i = 0; i + 4 <= SECRET_TAIL.length; i++) expect(all).not.toContain(SECRET_TAIL.slice(i, i + 4));
    for (const { data } of dataOf(out)) expect(data).toBeTypeOf('object'); // every event still parses
  });

  it('masks the exact dummy key split into one-character events', async () => {
    const text = `token ${TEST_DUMMY_KEY} end`;
    const events = await captureEvents(upstream.url, api, `[[say:${text}]] [[chunk:1]]`);
    const { out } = await feed(createResponseFilter({ exchange: testExchange(api), scanner }), events);
    expect(deltaText(api, out, 'text')).toBe('token [REDACTED:dummy-key] end');
    expect(out.join('')).not.toContain('dummy-test-fake');
  });

  it('passes every event of a stream without secrets byte for byte', async () => {
    const events = await captureEvents(upstream.url, api, `[[say:${PLAIN}]] [[chunk:7]]`);
    const { perEvent, tail } = await feed(createResponseFilter({ exchange: testExchange(api), scanner }), events);
    expect(perEvent).toEqual(events.map((e) => [e.raw]));
    expect(tail).toEqual([]);
  });

  it('holds a tool call until it is complete, then releases it whole and in order on allow', async () => {
    const events = await captureEvents(upstream.url, api, `[[tool:shell ${ARGS}]] [[chunk:5]]`);
    expect(events.filter((e) => isToolEvent(api, e.raw)).length).toBeGreaterThan(3);
    const decided: Array<{ calls: ToolCall[]; releasedBefore: string[] }> = [];
    let released: string[] = [];
    const filter = createResponseFilter({
      exchange: testExchange(api),
      scanner,
      decideToolCalls: async (calls): Promise<ToolCallDecision> => {
        decided.push({ calls, releasedBefore: [...released] });
        return { allow: true };
      },
    });
    const { out } = await feed(filter, events, (sent) => (released = sent));
    expect(decided).toHaveLength(1);
    expect(decided[0].calls).toEqual([{ name: 'shell', arguments: ARGS }]);
    expect(decided[0].releasedBefore.filter((t) => isToolEvent(api, t))).toEqual([]);
    expect(out).toEqual(events.map((e) => e.raw));
    expect(filter.denied).toBe(false);
    expect(filter.closed).toBe(false);
  });

  it('ends the stream with the provider error event on deny, and releases nothing of the call', async () => {
    const events = await captureEvents(upstream.url, api, `[[tool:shell ${ARGS}]] [[chunk:5]]`);
    const filter = createResponseFilter({ exchange: testExchange(api), scanner, decideToolCalls: async () => ({ allow: false, error: DENIAL }) });
    const { out, perEvent } = await feed(filter, events);
    expect(filter.closed).toBe(true);
    expect(filter.denied).toBe(true);
    expect(perEvent.length).toBeLessThan(events.length); // the relay stops reading here
    expect(out.filter((t) => isToolEvent(api, t))).toEqual([]);
    const last = parseEvent(out.at(-1)!);
    const data = JSON.parse(last.data);
    if (api === 'chat') {
      expect(last.event).toBeUndefined();
      expect(data).toEqual({ error: { message: DENIAL.message, type: 'permission_denied', param: null, code: 'destructive-shell' } });
    } else if (api === 'responses') {
      // `error` for the SDKs, then `response.failed` for clients that read only terminal events (Codex CLI).
      const error = parseEvent(out.at(-2)!);
      const errorData = JSON.parse(error.data);
      expect(error.event).toBe('error');
      expect(errorData).toMatchObject({ type: 'error', code: 'destructive-shell', message: DENIAL.message, param: null });
      expect(last.event).toBe('response.failed');
      expect(data).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'destructive-shell', message: DENIAL.message } } });
      // It continues the upstream's numbering (the held events it replaces leave a gap).
      const consumed = dataOf(events.slice(0, perEvent.length).map((e) => e.raw)).map((d) => d.data.sequence_number as number);
      expect(errorData.sequence_number).toBe(Math.max(...consumed) + 1);
      expect(data.sequence_number).toBe(errorData.sequence_number + 1);
    } else {
      expect(last.event).toBe('error');
      expect(data).toMatchObject({ type: 'error', error: { type: 'permission_error', message: DENIAL.message } });
    }
    expect(await filter.event(events.at(-1)!)).toEqual([]); // closed stays closed
  });

  it('masks a secret inside streamed tool-call arguments (and judges the unmasked ones)', async () => {
    const args = JSON.stringify({ cmd: `curl -H "Authorization: Bearer ${SECRET}" https://example.test` });
    const events = await captureEvents(upstream.url, api, `[[tool:http ${args}]] [[chunk:3]]`);
    const seen: ToolCall[] = [];
    const filter = createResponseFilter({ exchange: testExchange(api), scanner, decideToolCalls: async (calls) => (seen.push(...calls), { allow: true }) });
    const { out } = await feed(filter, events);
    expect(seen).toEqual([{ name: 'http', arguments: args }]);
    expect(deltaText(api, out, 'args')).toBe(scanner.mask(args).text);
    expect(out.join('')).not.toContain('K8m1');
  });

  it('fails closed when the decision throws', async () => {
    const events = await captureEvents(upstream.url, api, `[[tool:shell ${ARGS}]]`);
    const filter = createResponseFilter({
      exchange: testExchange(api),
      scanner,
      decideToolCalls: async () => {
        throw new Error(`approval broke near ${SECRET}`);
      },
    });
    const { out } = await feed(filter, events);
    expect(filter.closed).toBe(true);
    expect(filter.denied).toBe(true);
    const last = out.at(-1)!;
    expect(last).toContain('guardrun_filter_error');
    expect(last).toContain('approval broke near [REDACTED:openai-key]');
  });
});
