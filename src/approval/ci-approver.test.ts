import { describe, expect, it } from 'vitest';
import { createCiApprover } from './ci-approver.js';
import type { ApprovalRequest } from './types.js';

const request: ApprovalRequest = {
  id: 3,
  phase: 'request',
  endpoint: 'POST /v1/chat/completions',
  model: 'gpt-4o',
  estimateUsd: 0.5,
  spendUsd: 1,
  reasons: [
    { rule: 'cost.threshold', reason: 'estimated $0.50 is above $0.10' },
    { rule: 'rule:no-shell', reason: 'shell tools need a human' },
  ],
  excerpt: 'hello',
};

describe('createCiApprover', () => {
  it('denies every ask at once, by ci, naming the rules and why there is no terminal', async () => {
    const approver = createCiApprover('CI is set');
    expect(approver.mode).toBe('ci');
    const answer = await approver.ask(request);
    expect(answer.kind).toBe('deny');
    if (answer.kind !== 'deny') return;
    expect(answer.by).toBe('ci');
    expect(answer.reason).toContain('approval was needed');
    expect(answer.reason).toContain('cost.threshold');
    expect(answer.reason).toContain('rule:no-shell');
    expect(answer.reason).toContain('shell tools need a human');
    expect(answer.reason).toContain('nobody is asked in CI mode');
    expect(answer.reason).toContain('the CI variable is set');
    approver.close();
  });

  it('answers concurrent asks independently', async () => {
    const approver = createCiApprover('--ci');
    const answers = await Promise.all([1, 2, 3].map((id) => approver.ask({ ...request, id })));
    expect(answers.map((a) => a.kind)).toEqual(['deny', 'deny', 'deny']);
    expect(answers.every((a) => a.kind === 'deny' && a.reason.includes('--ci'))).toBe(true);
  });

  it('says a missing terminal when that is the reason, and --ci when that is', async () => {
    const q = { id: 1, phase: 'request' as const, endpoint: 'POST /v1/responses', model: 'm', spendUsd: 0, reasons: [{ rule: 'r', reason: 'x' }], excerpt: '' };
    const noTty = await createCiApprover('no terminal (/dev/tty: ENXIO)').ask(q);
    expect(noTty.kind === 'deny' && noTty.reason).toContain('no terminal was available to ask (no terminal (/dev/tty: ENXIO))');
    const flag = await createCiApprover('--ci').ask(q);
    expect(flag.kind === 'deny' && flag.reason).toContain('(--ci was given)');
    expect(flag.kind === 'deny' && flag.reason).not.toContain('no terminal');
  });
});
