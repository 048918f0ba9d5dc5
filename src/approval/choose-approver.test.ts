import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseApprover, ciVariableSet, probeTerminal } from './choose-approver.js';

const base = { timeoutMs: 1000, env: {} as NodeJS.ProcessEnv };

describe('ciVariableSet', () => {
  it('treats empty, 0 and false as not set', () => {
    for (const value of [undefined, '', '0', 'false', 'FALSE', ' false ']) expect(ciVariableSet({ CI: value })).toBe(false);
    for (const value of ['1', 'true', 'yes', 'github']) expect(ciVariableSet({ CI: value })).toBe(true);
  });
});

describe('chooseApprover', () => {
  it('uses CI mode for --ci, even with a terminal', async () => {
    const chosen = chooseApprover({ ...base, ci: true, ttyPath: '/dev/null' });
    expect(chosen).toMatchObject({ mode: 'ci', why: '--ci', tag: 'ci' });
    expect(chosen.approver.mode).toBe('ci');
  });

  it('uses CI mode when CI is set', () => {
    expect(chooseApprover({ ...base, ci: false, env: { CI: 'true' } })).toMatchObject({ mode: 'ci', why: 'CI is set', tag: 'ci' });
  });

  it('uses CI mode when the terminal cannot be opened, naming the error code', async () => {
    const missing = chooseApprover({ ...base, ci: false, env: { CI: '0' }, ttyPath: '/nonexistent/tty' });
    expect(missing).toMatchObject({ mode: 'ci', why: 'no terminal (/nonexistent/tty: ENOENT)', tag: 'no terminal' });
    const answer = await missing.approver.ask({ id: 1, phase: 'request', endpoint: 'POST /v1/x', spendUsd: 0, reasons: [{ rule: 'r', reason: 'why' }], excerpt: '' });
    expect(answer).toMatchObject({ kind: 'deny', by: 'ci', reason: expect.stringContaining('/nonexistent/tty: ENOENT') });
  });

  it('uses CI mode when the path is not a terminal', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'guardrun-approval-')), 'not-a-tty');
    writeFileSync(file, '');
    expect(chooseApprover({ ...base, ci: false, ttyPath: file })).toMatchObject({ mode: 'ci', why: `no terminal (${file}: ENOTTY)` });
    expect(probeTerminal('/dev/null')).toBe('ENOTTY');
  });

  it('agrees with the machine about /dev/tty', () => {
    // Under a terminal this is terminal mode; under CI runners and detached shells, ENXIO.
    const failure = probeTerminal('/dev/tty');
    const chosen = chooseApprover({ ...base, ci: false });
    expect(chosen.mode).toBe(failure ? 'ci' : 'terminal');
    if (failure) expect(chosen.why).toBe(`no terminal (/dev/tty: ${failure})`);
    chosen.approver.close();
  });
});
