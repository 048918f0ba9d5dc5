import { describe, expect, it } from 'vitest';
import { describeSession } from './show.js';
import { parseSession } from '../recording/reader.js';
import { chatRequest, chatResponse, fixtureText, readFixture, sealEvents, startEvent } from './test-session.js';

const NAMES = ['plain.jsonl', 'streamed.jsonl', 'denied.jsonl', 'approved.jsonl', 'anthropic.jsonl', 'truncated.jsonl', 'tampered.jsonl'];

/** The golden file's complete lines, parsed without guardrun's reader. */
function raw(name: string): Array<Record<string, any>> {
  return fixtureText(name).split('\n').filter(Boolean).flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return [];
    }
  });
}

describe('describeSession on the golden files', () => {
  it('has one exchange per request line, with its method, path, model, stream flag and status as written', () => {
    for (const name of NAMES) {
      const lines = raw(name);
      const doc = describeSession(readFixture(name));
      const requests = lines.filter((l) => l.type === 'request');
      expect(doc.exchanges.map((e) => [e.id, e.method, e.path, e.model, e.stream]), name).toEqual(requests.map((r) => [r.id, r.method, r.path, r.model, r.stream]));
      const statusOf = (id: number) => lines.find((l) => l.type === 'response' && l.id === id)?.status;
      expect(doc.exchanges.map((e) => e.status), name).toEqual(requests.map((r) => statusOf(r.id)));
      expect(doc.session.id).toBe(lines[0].session);
    }
  });

  it('totals: requests, spend from the response lines, the child\'s exit, the duration of the closing line', () => {
    for (const name of NAMES) {
      const lines = raw(name);
      const t = describeSession(readFixture(name)).totals;
      const cost = lines.filter((l) => l.type === 'response').reduce((s, l) => s + (l.costUsd ?? 0), 0);
      expect(t.requests, name).toBe(lines.filter((l) => l.type === 'request').length);
      expect(t.costUsd, name).toBeCloseTo(cost, 9);
      const exit = lines.find((l) => l.type === 'child.exit');
      expect(t.childExit?.code, name).toBe(exit?.code);
      const end = lines.find((l) => l.type === 'session.end');
      if (end) expect(t.durationMs, name).toBe(end.durationMs);
      if (end) expect(t.denied, name).toBe(end.denied);
    }
  });

  it('labels decisions: allowed, denied by the first rule, approved by a human', () => {
    expect(describeSession(readFixture('plain.jsonl')).exchanges.every((e) => e.outcome === 'allowed' && e.label === 'allowed')).toBe(true);
    const denied = describeSession(readFixture('denied.jsonl')).exchanges[0];
    const rules = raw('denied.jsonl').find((l) => l.type === 'decision')!.rules;
    expect(denied).toMatchObject({ outcome: 'denied', label: `denied by ${rules[0]}`, decision: { decidedBy: 'policy', verdict: 'deny' } });
    const approved = describeSession(readFixture('approved.jsonl'));
    expect(approved.exchanges[0]).toMatchObject({ outcome: 'approved', label: 'approved by a human', decision: { rules: ['cost.threshold'], humanMs: 2140 } });
    expect(approved.totals.approved).toBe(1);
  });

  it('a cut-off session: the exchange without its answer, the warning, no closing line', () => {
    const doc = describeSession(readFixture('truncated.jsonl'));
    expect(doc.truncated).toBe(true);
    expect(doc.complete).toBe(false);
    expect(doc.exchanges.at(-1)).toMatchObject({ outcome: 'no-response', status: undefined });
    expect(doc.chain).toMatchObject({ ok: true, closed: false });
    expect(doc.problems[0].kind).toBe('truncated');
    expect(doc.totals.childExit).toBeUndefined();
  });

  it('--only filters the exchanges but not the totals; --full adds the bodies as recorded', () => {
    const all = describeSession(readFixture('denied.jsonl'));
    expect(describeSession(readFixture('denied.jsonl'), { only: 'approved' }).exchanges).toEqual([]);
    expect(describeSession(readFixture('denied.jsonl'), { only: 'denied' }).exchanges).toHaveLength(1);
    expect(describeSession(readFixture('denied.jsonl'), { only: 'approved' }).totals).toEqual(all.totals);
    expect(describeSession(readFixture('truncated.jsonl'), { only: 'errors' }).exchanges.map((e) => e.outcome)).toEqual(['no-response']);
    expect(all.exchanges[0].requestBody).toBeUndefined();
    const full = describeSession(readFixture('streamed.jsonl'), { full: true }).exchanges[0];
    const response = raw('streamed.jsonl').find((l) => l.type === 'response')!;
    // A streamed answer reads as its assembled text (here a tool call); the raw events only on request.
    expect(full.responseText).toMatch(/^tool \w+: /);
    expect(full.responseEvents).toBeUndefined();
    expect(describeSession(readFixture('streamed.jsonl'), { events: true }).exchanges[0].responseEvents).toEqual(response.events);
    expect(full.requestBody).toEqual(raw('streamed.jsonl').find((l) => l.type === 'request')!.body);
  });

  it('--events shows the upstream\'s events next to the agent\'s when they differ, and the timeline notes it', () => {
    const agent = [{ t: 0, data: 'data: {"choices":[{"index":0,"delta":{"content":"key [REDACTED:openai-key]"}}]}\n\n' }];
    const upstream = [{ t: 0, data: 'data: {"choices":[{"index":0,"delta":{"content":"key [REDACTED:openai-key]"}}]}\n\n' }, { t: 1, data: 'data: {"choices":[{"index":0,"delta":{"content":""}}]}\n\n' }];
    const text = sealEvents([startEvent(), chatRequest(1, 'hi', { stream: true }), chatResponse(1, '', { body: undefined, events: agent, upstreamEvents: upstream })]);
    const session = parseSession(text, 'x.jsonl');
    const shown = describeSession(session).exchanges[0];
    expect(shown.streamChanged).toBe(true);
    expect(shown.upstreamEvents).toBeUndefined();
    expect(describeSession(session, { events: true }).exchanges[0]).toMatchObject({ responseEvents: agent, upstreamEvents: upstream });
  });

  it('the tampered file reads, with its broken chain in the document', () => {
    const doc = describeSession(readFixture('tampered.jsonl'));
    expect(doc.chain.ok).toBe(false);
    expect(doc.chain.breaks.map((b) => b.kind)).toEqual(['edited']);
  });
});
