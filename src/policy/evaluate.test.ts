import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { DEFAULT_POLICY } from './default.js';
import { createEvaluator, runChecks } from './evaluate.js';
import { extractRequestTexts, extractToolCalls } from './extract.js';
import { parsePolicy } from './parse.js';
import { requestFacts, responseFacts } from './test-facts.js';
import type { RequestCheck, RequestFacts, Verdict } from './types.js';

const strict = parsePolicy(readFileSync(new URL('../../fixtures/policies/strict.yaml', import.meta.url), 'utf8'), 'strict.yaml');
const loose = parsePolicy(readFileSync(new URL('../../fixtures/policies/loose.yaml', import.meta.url), 'utf8'), 'loose.yaml');

const fixed = (id: string, verdict: Verdict | Verdict[]): RequestCheck => ({ id, phase: 'request', evaluate: () => verdict });
const ask = (rule: string): Verdict => ({ kind: 'ask', rule, reason: `${rule} asks` });
const deny = (rule: string): Verdict => ({ kind: 'deny', rule, reason: `${rule} denies` });

describe('runChecks: combining', () => {
  test.each([
    [[], 'allow'],
    [[{ kind: 'allow' }], 'allow'],
    [[{ kind: 'allow' }, ask('a')], 'ask'],
    [[ask('a'), deny('d'), { kind: 'allow' }], 'deny'],
    [[deny('d'), ask('a')], 'deny'],
  ] as Array<[Verdict[], string]>)('%j → %s', (verdicts, expected) => {
    const checks = verdicts.map((v, i) => fixed(`c${i}`, v));
    expect(runChecks(checks, requestFacts()).verdict).toBe(expected);
  });

  test('every check runs, in order, and results keep that order', () => {
    const seen: string[] = [];
    const spy = (id: string, v: Verdict): RequestCheck => ({ id, phase: 'request', evaluate: () => (seen.push(id), v) });
    const d = runChecks([spy('first', deny('first')), spy('second', ask('second')), spy('third', { kind: 'allow' })], requestFacts());
    expect(seen).toEqual(['first', 'second', 'third']);
    expect(d.results).toEqual([
      { check: 'first', verdict: 'deny', rule: 'first', reason: 'first denies' },
      { check: 'second', verdict: 'ask', rule: 'second', reason: 'second asks' },
      { check: 'third', verdict: 'allow' },
    ]);
    expect(d.denies.map((r) => r.check)).toEqual(['first']);
    expect(d.asks.map((r) => r.check)).toEqual(['second']);
    expect(d.reason).toBe('first denies');
  });

  test('asks merge into one reason; allow has none', () => {
    expect(runChecks([fixed('a', ask('a')), fixed('b', ask('b'))], requestFacts()).reason).toBe('a asks; b asks');
    expect(runChecks([fixed('a', { kind: 'allow' })], requestFacts()).reason).toBeUndefined();
  });

  test('a check may return several verdicts; none counts as allow', () => {
    const d = runChecks([fixed('multi', [ask('x'), deny('y')]), fixed('empty', [])], requestFacts());
    expect(d.results.map((r) => [r.check, r.verdict])).toEqual([['multi', 'ask'], ['multi', 'deny'], ['empty', 'allow']]);
    expect(d.verdict).toBe('deny');
  });
});

describe('runChecks: fail closed', () => {
  test('a check that throws is a deny naming the check', () => {
    const boom: RequestCheck = { id: 'boom', phase: 'request', evaluate: () => { throw new Error('kaput'); } };
    const d = runChecks([fixed('ok', { kind: 'allow' }), boom, fixed('after', ask('after'))], requestFacts());
    expect(d.verdict).toBe('deny');
    expect(d.denies).toEqual([{ check: 'boom', verdict: 'deny', rule: 'boom', reason: 'check failed: kaput' }]);
    expect(d.results).toHaveLength(3); // checks after it still run
  });

  test('a thrown non-Error and a malformed verdict are denies too', () => {
    const throwsString: RequestCheck = { id: 's', phase: 'request', evaluate: () => { throw 'nope'; } };
    const malformed = { id: 'm', phase: 'request', evaluate: () => ({ kind: 'deny' }) } as unknown as RequestCheck;
    const nothing = { id: 'n', phase: 'request', evaluate: () => undefined } as unknown as RequestCheck;
    const d = runChecks([throwsString, malformed, nothing], requestFacts());
    expect(d.denies.map((r) => [r.check, r.reason])).toEqual([
      ['s', 'check failed: nope'],
      ['m', 'check failed: it returned no verdict'],
      ['n', 'check failed: it returned no verdict'],
    ]);
  });

  test('a throwing extra check inside createEvaluator denies', () => {
    const boom: RequestCheck = { id: 'ext', phase: 'request', evaluate: () => { throw new TypeError('bad facts'); } };
    const d = createEvaluator(DEFAULT_POLICY, { extraChecks: [boom] }).request(requestFacts());
    expect(d.verdict).toBe('deny');
    expect(d.denies[0]).toMatchObject({ check: 'ext', rule: 'ext', reason: 'check failed: bad facts' });
  });
});

/** Facts for a chat request as the proxy would build them. */
function chat(content: string, over: Partial<RequestFacts> = {}): RequestFacts {
  const body = { model: over.model ?? 'gpt-4.1-mini', messages: [{ role: 'user', content }] };
  return requestFacts({ body, texts: extractRequestTexts(body), estimate: { usd: 0.001, priceKnown: true, inputTokens: 10, outputTokens: 1024 }, ...over });
}

describe('createEvaluator with the default policy', () => {
  const evaluator = createEvaluator(DEFAULT_POLICY);

  test('check order for requests', () => {
    const d = evaluator.request(chat('hi'));
    expect(d.results.map((r) => r.check)).toEqual(['endpoint', 'model', 'secrets', 'cost.unknown-price', 'cost.threshold', 'cost.budget']);
    expect(d.verdict).toBe('allow');
  });

  test.each([
    ['a normal chat', chat('hi'), 'allow'],
    ['GET /v1/models', requestFacts({ method: 'GET', path: '/v1/models', model: undefined }), 'allow'],
    ['any model', chat('hi', { model: 'some-new-model', estimate: { usd: 0.01, priceKnown: true, inputTokens: 1, outputTokens: 1 } }), 'allow'],
    ['a model with no price', chat('hi', { estimate: { priceKnown: false, inputTokens: 1, outputTokens: 1 } }), 'ask'],
    ['no model on chat', chat('hi', { model: undefined }), 'deny'],
    ['POST /v1/files', requestFacts({ path: '/v1/files' }), 'deny'],
    ['a secret is redacted, not denied', chat('key', { secretFindings: [{ detector: 'openai-key' }] }), 'allow'],
    ['an expensive request', chat('big', { estimate: { usd: 0.9, priceKnown: true, inputTokens: 1, outputTokens: 1 } }), 'ask'],
    ['past the budget', chat('x', { spendUsd: 4.99, estimate: { usd: 0.02, priceKnown: true, inputTokens: 1, outputTokens: 1 } }), 'ask'],
  ])('%s → %s', (_name, facts, verdict) => {
    expect(evaluator.request(facts).verdict).toBe(verdict);
  });

  test('responses pass with no rules', () => {
    const d = evaluator.response(responseFacts([{ name: 'shell', arguments: '{"cmd":"rm -rf /"}' }]));
    expect(d).toEqual({ verdict: 'allow', results: [], asks: [], denies: [] });
  });

  test('exposes the policy for the redact decision', () => {
    expect(evaluator.policy.secrets.outbound).toBe('redact');
  });
});

describe('createEvaluator with strict.yaml', () => {
  const evaluator = createEvaluator(strict);

  test('rules run after secrets and before cost', () => {
    expect(evaluator.request(chat('hi')).results.map((r) => r.check)).toEqual([
      'endpoint', 'model', 'secrets', 'rule:no-prod-credentials', 'rule:internal-codenames', 'cost.unknown-price', 'cost.threshold', 'cost.budget',
    ]);
  });

  test('several findings at once: deny wins and all are recorded', () => {
    const d = evaluator.request(chat('Bluebird: the Production Database Password is hunter2', { model: 'gpt-4o', secretFindings: [{ detector: 'acme-token' }] }));
    expect(d.verdict).toBe('deny');
    expect(d.denies.map((r) => r.check)).toEqual(['model', 'secrets', 'rule:no-prod-credentials']);
    expect(d.asks.map((r) => r.check)).toEqual(['rule:internal-codenames']);
    expect(d.reason).toBe('model "gpt-4o" is not in models.allow; the request contains a secret (acme-token) in the body; Do not send production credentials to the model.');
  });

  test('response rules over tool calls extracted from a real body', () => {
    const body = { choices: [{ message: { tool_calls: [{ type: 'function', function: { name: 'shell', arguments: '{"command":"rm -rf ./build"}' } }] } }] };
    expect(evaluator.response(responseFacts(extractToolCalls(body))).verdict).toBe('allow');
    const bad = { content: [{ type: 'tool_use', name: 'bash', input: { command: 'rm -rf ~' } }] };
    const d = evaluator.response(responseFacts(extractToolCalls(bad)));
    expect(d.verdict).toBe('deny');
    expect(d.denies).toEqual([{ check: 'rule:destructive-shell', verdict: 'deny', rule: 'rule:destructive-shell', reason: 'the model\'s call to tool "bash" matched rule destructive-shell' }]);
  });

  test('secret patterns are compiled for the detectors', () => {
    expect(evaluator.secretPatterns.map((p) => p.id)).toEqual(['acme-token']);
    expect(evaluator.secretPatterns[0].regex.test('token ACME-12345678 fake')).toBe(true);
    expect(evaluator.secretPatterns[0].regex.global).toBe(false);
  });
});

describe('createEvaluator with loose.yaml', () => {
  const evaluator = createEvaluator(loose);
  test.each([
    ['any endpoint', requestFacts({ method: 'DELETE', path: '/v1/files/f1', model: undefined }), 'allow'],
    ['no model', chat('hi', { model: undefined }), 'allow'],
    ['no price, no limits', chat('hi', { spendUsd: 1e6, estimate: { priceKnown: false, inputTokens: 1, outputTokens: 1 } }), 'allow'],
    ['outside /v1 and /anthropic', requestFacts({ path: '/admin' }), 'deny'],
  ])('%s → %s', (_name, facts, verdict) => {
    expect(evaluator.request(facts).verdict).toBe(verdict);
  });
});
