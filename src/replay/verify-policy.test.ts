import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPolicy, type LoadedPolicy } from '../policy/load.js';
import { parsePolicy } from '../policy/parse.js';
import { createPriceBook } from '../cost/price-book.js';
import { createTokenCounter } from '../cost/tokens.js';
import { BUILTIN_DETECTORS } from '../secrets/detectors.js';
import { createScanner } from '../secrets/scan.js';
import { parseSession } from '../recording/reader.js';
import { outlineSession } from './exchanges.js';
import { recordedRequestFacts } from './recorded-facts.js';
import { fixtureText, readFixture, sealEvents, startEvent, chatRequest } from './test-session.js';
import { verifySession } from './verify-policy.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const policyFile = (file: string): Promise<LoadedPolicy> => loadPolicy({ file, cwd: ROOT });
const inline = (yaml: string): LoadedPolicy => ({ policy: parsePolicy(yaml, 'inline.yaml'), source: 'inline.yaml', sha256: 'test' });
const requestCount = (name: string): number => fixtureText(name).split('\n').filter((l) => l.includes('"type":"request"')).length;

describe('verifySession against stricter and looser policies', () => {
  it('a stricter policy: every request of a gpt-4o-mini session is now denied by the model check', async () => {
    const strict = await policyFile('fixtures/policies/strict.yaml');
    const result = await verifySession(readFixture('plain.jsonl'), strict);
    expect(result.differences).toHaveLength(requestCount('plain.jsonl'));
    for (const d of result.differences) {
      expect(d).toMatchObject({ phase: 'request', recorded: { verdict: 'allow' }, now: { verdict: 'deny', decidedBy: 'policy' } });
      expect(d.now.rules).toContain('model');
      expect(d.now.reason).toContain('gpt-4o-mini');
    }
    expect(result.policy.source).toBe(`${ROOT}fixtures/policies/strict.yaml`);
  });

  it('a looser policy changes nothing for allowed traffic, and lets the recorded denial through', async () => {
    const loose = await policyFile('fixtures/policies/loose.yaml');
    for (const name of ['plain.jsonl', 'streamed.jsonl', 'anthropic.jsonl']) {
      const result = await verifySession(readFixture(name), loose);
      expect(result.differences, name).toEqual([]);
      expect(result.decisions.length, name).toBeGreaterThanOrEqual(requestCount(name));
    }
    const denied = await verifySession(readFixture('denied.jsonl'), loose);
    expect(denied.differences).toEqual([expect.objectContaining({ id: 1, recorded: expect.objectContaining({ verdict: 'deny', rules: ['rule:no-prod-credentials', 'secrets'] }), now: expect.objectContaining({ verdict: 'allow', rules: [] }) })]);
  });

  it('the policy the session ran under reproduces its decisions, secrets included (from the [REDACTED] markers)', async () => {
    const strict = await policyFile('fixtures/policies/strict.yaml');
    expect((await verifySession(readFixture('denied.jsonl'), strict)).differences).toEqual([]);
    // Only the secrets check, not the rule: the marker alone must make it deny.
    const secretsOnly = await verifySession(readFixture('denied.jsonl'), inline('version: 1\nsecrets: { outbound: deny }\nmodels: { allow: ["*"] }\n'));
    expect(secretsOnly.decisions[0].now).toMatchObject({ verdict: 'deny', rules: ['secrets'], reason: expect.stringContaining('openai-key') });
    expect((await verifySession(readFixture('plain.jsonl'), inline('version: 1\n'))).differences).toEqual([]);
  });

  it('takes a recorded human approval as given when the same rule asks, and flags a policy that no longer asks', async () => {
    const asks = await policyFile('fixtures/sessions/ask-every-request.yaml');
    const same = await verifySession(readFixture('approved.jsonl'), asks);
    expect(same.differences).toEqual([]);
    expect(same.decisions[0].now).toMatchObject({ verdict: 'allow', decidedBy: 'human', rules: ['cost.threshold'] });
    const loose = await verifySession(readFixture('approved.jsonl'), await policyFile('fixtures/policies/loose.yaml'));
    expect(loose.differences).toEqual([expect.objectContaining({ recorded: expect.objectContaining({ verdict: 'allow', decidedBy: 'human' }), now: expect.objectContaining({ verdict: 'allow', rules: [] }) })]);
    // A rule the human was never asked about is not covered by the recorded approval.
    const more = await verifySession(readFixture('approved.jsonl'), inline('version: 1\ncost: { approve_over_usd: 0 }\nrules: [{ id: notes, on: request, match: { words: [release] }, action: ask }]\n'));
    expect(more.differences[0].now).toMatchObject({ verdict: 'ask', rules: ['cost.threshold', 'rule:notes'] });
  });

  it('re-judges the tool calls of recorded answers, streamed or not, under response rules', async () => {
    const noShell = inline('version: 1\nrules: [{ id: no-shell, on: response, match: { tool: "^shell$" }, action: deny }, { id: ask-weather, on: response, match: { tool: "weather" }, action: ask }]\n');
    const streamed = await verifySession(readFixture('streamed.jsonl'), noShell);
    expect(streamed.differences).toEqual([expect.objectContaining({ phase: 'response', recorded: expect.objectContaining({ verdict: 'allow' }), now: expect.objectContaining({ verdict: 'deny', rules: ['rule:no-shell'] }) })]);
    const plain = await verifySession(readFixture('plain.jsonl'), noShell);
    expect(plain.differences.map((d) => [d.id, d.phase, d.now.verdict])).toEqual([[1, 'response', 'ask']]);
    const anthropic = await verifySession(readFixture('anthropic.jsonl'), noShell);
    expect(anthropic.differences.map((d) => [d.phase, d.now.verdict, d.now.rules])).toEqual([['response', 'ask', ['rule:ask-weather']]]);
  });

  it('keeps a recorded tool-call denial it cannot re-judge, and says so', async () => {
    const text = sealEvents([
      startEvent(), chatRequest(1, 'go', { stream: true }),
      { type: 'decision', id: 1, phase: 'request', verdict: 'allow', decidedBy: 'policy', checks: [], rules: [] },
      { type: 'decision', id: 1, phase: 'response', verdict: 'deny', decidedBy: 'policy', checks: [{ id: 'rule:no-shell', verdict: 'deny', reason: 'no' }], rules: ['rule:no-shell'] },
      { type: 'response', id: 1, time: '2026-01-01T00:00:01.000Z', status: 200, headers: {}, events: [{ t: 0, data: 'data: {"error":{"code":"rule:no-shell"}}\n\n' }], durationMs: 3, error: { code: 'rule:no-shell', message: 'withheld' }, source: 'guardrun' },
    ]);
    const result = await verifySession(parseSession(text, 't.jsonl'), inline('version: 1\nmodels: { unknown: allow }\ncost: { unknown_model: allow }\n'));
    expect(result.differences).toEqual([]);
    expect(result.notes).toEqual([expect.stringMatching(/^#1: the recorded response decision was kept/)]);
  });

  it('does not re-decide a request guardrun refused unread (a body it could not decode), and says so', async () => {
    const refused = (id: number, code: string) => ({ type: 'response', id, time: '2026-01-01T00:00:01.000Z', status: 413, headers: {}, durationMs: 1, error: { code, message: 'refused' }, source: 'guardrun' });
    const text = sealEvents([
      startEvent(),
      chatRequest(1, '', { model: undefined, contentEncoding: 'zstd', encodedBytes: 2086, body: { omitted: 'not decoded (guardrun_body_too_large)', bytes: 2086 } }),
      refused(1, 'guardrun_body_too_large'),
      chatRequest(2, 'hi', { model: undefined, body: undefined }),
      refused(2, 'guardrun_upstream_unreachable'),
    ]);
    const result = await verifySession(parseSession(text, 't.jsonl'), inline('version: 1\n'));
    expect(result.notes).toEqual(['#1: not re-checked: guardrun refused it before any policy check (guardrun_body_too_large)']);
    // Any other guardrun answer was decided by the policy first: still re-checked (no model now: denied).
    expect(result.decisions.map((d) => d.id)).toEqual([2]);
    expect(result.differences).toEqual([expect.objectContaining({ id: 2, now: expect.objectContaining({ verdict: 'deny', rules: ['model'] }) })]);
  });
});

describe('recorded facts mirror what the live guard saw', () => {
  it('spend before each request and the cost estimate match what the recording wrote in its decision lines', async () => {
    const policy = (await loadPolicy({ cwd: ROOT })).policy; // the built-in default the fixtures ran under
    const book = createPriceBook();
    await book.whenReady();
    const ctx = { policy, scanner: createScanner(BUILTIN_DETECTORS), counter: createTokenCounter(), book };
    let checked = 0;
    for (const name of ['plain.jsonl', 'streamed.jsonl', 'anthropic.jsonl']) {
      for (const ex of outlineSession(readFixture(name)).exchanges) {
        const decision = ex.decisions.find((d) => d.phase === 'request')!;
        const facts = recordedRequestFacts(ex.request!, ex.spendBeforeUsd, ctx);
        expect(Math.round(facts.spendUsd * 1e6) / 1e6, `${name} #${ex.id}`).toBe(decision.spendUsd);
        expect(facts.estimate?.usd, `${name} #${ex.id}`).toBeCloseTo(decision.estimateUsd!, 12);
        checked++;
      }
    }
    expect(checked).toBe(4);
  });
});
