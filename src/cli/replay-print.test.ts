import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { chainLine, decisionText, usd } from './replay-print.js';

const plain = new Chalk({ level: 0 });

describe('replay-print', () => {
  it('words a decision: policy verdicts, answered asks, open asks', () => {
    expect(decisionText({ verdict: 'allow', decidedBy: 'policy', rules: [] })).toBe('allow');
    expect(decisionText({ verdict: 'deny', decidedBy: 'policy', rules: ['endpoint', 'model'] })).toBe('deny: endpoint, model');
    expect(decisionText({ verdict: 'allow', decidedBy: 'human', rules: ['cost.threshold'] })).toBe('ask cost.threshold → allow by a human');
    expect(decisionText({ verdict: 'deny', decidedBy: 'ci', rules: ['cost.budget'] })).toBe('ask cost.budget → deny in CI');
    expect(decisionText({ verdict: 'ask', rules: ['rule:x'] })).toBe('ask rule:x (a human is asked)');
  });

  it('states the chain: intact and closed, intact but open, broken with each place', () => {
    expect(chainLine({ ok: true, lines: 3, breaks: [], finalHash: 'ab'.repeat(32), closed: true }, plain)).toBe(`chain intact: 3 lines, final hash ${'ab'.repeat(8)}…`);
    expect(chainLine({ ok: true, lines: 3, breaks: [], finalHash: 'ab'.repeat(32), closed: false }, plain)).toMatch(/no closing line: lines cut from its end would not show$/);
    const broken = chainLine({ ok: false, lines: 3, closed: true, breaks: [{ kind: 'removed', line: 2, message: 'the line with seq 2 was removed' }, { kind: 'edited', line: 3, message: 'line 3 …' }] }, plain);
    expect(broken.split('\n')).toEqual(['chain BROKEN (2 places):', '  removed    the line with seq 2 was removed', '  edited     line 3 …']);
  });

  it('prints amounts as everywhere else: small sums stay visible', () => {
    expect(usd(0)).toBe('$0.00');
    expect(usd(0.0000082)).toBe('$0.000008');
    expect(usd(0.5)).toBe('$0.50');
    expect(usd(0.0123)).toBe('$0.0123');
    expect(usd(1.23456)).toBe('$1.23');
  });
});
