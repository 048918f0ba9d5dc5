// End-to-end: what the record proves. The final hash printed at exit, `--sign` seals, and replay checking both —
// against the attack the chain alone cannot show: a same-user process rewriting the file and every hash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { reseal } from '../../fixtures/sessions/reseal.mjs';
import { AGENTS, FAKE_OPENAI_KEY, guardrun, keyArgs, readLines, tempDir } from './harness.js';

let upstream: FakeUpstream;
let dir: string;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  dir = tempDir();
});
afterAll(async () => upstream?.close());

const SIGNING = 'test-fake-signing-key-0123456789abcdef0123456789abcdef';
const env = { OPENAI_REAL: FAKE_OPENAI_KEY, SEAL_KEY: SIGNING };

/** What a same-user attacker can do: change a line, then recompute every hash so the chain is intact again. */
function forge(file: string): void {
  const text = readFileSync(file, 'utf8').replace('Hello from the fake upstream.', 'Hello from somewhere else.');
  writeFileSync(file, reseal(text));
}

describe('what the record proves', () => {
  it('--sign seals the file; a rewrite with every hash recomputed passes the chain but not the seal', async () => {
    const file = join(dir, 'sealed.jsonl');
    const r = await guardrun([...keyArgs(upstream.url, file), '--sign-key-env', 'SEAL_KEY', '--', 'node', join(AGENTS, 'print-env.mjs')], { env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    // The signing key never reaches the child (its variable is removed like --key-env's).
    expect(String(r.stdout)).not.toContain(SIGNING);
    const lines = readLines(file);
    expect(lines.at(-2)).toMatchObject({ type: 'session.end' });
    expect(lines.at(-1)).toMatchObject({ type: 'session.seal', alg: 'HMAC-SHA256', sealed: lines.at(-2)!.hash });
    expect(readFileSync(file, 'utf8')).not.toContain(SIGNING);

    const valid = await guardrun(['replay', file, '--verify-only', '--sign-key-env', 'SEAL_KEY'], { env });
    expect(valid.exitCode, String(valid.stdout)).toBe(0);
    expect(String(valid.stdout)).toMatch(/chain intact.*\nseal valid/);

    const noKey = await guardrun(['replay', file, '--verify-only'], { env: { GUARDRUN_KEYSTORE: 'memory' } });
    expect(noKey.exitCode).toBe(0);
    expect(String(noKey.stdout)).toContain('no signing key here to check it');

    const wrongKey = await guardrun(['replay', file, '--verify-only', '--sign-key-env', 'OTHER'], { env: { OTHER: 'another-fake-signing-key-000000000000' } });
    expect(wrongKey.exitCode).toBe(1);
    expect(String(wrongKey.stdout)).toContain('seal INVALID');
  });

  it('the forged file: chain intact, seal INVALID, exit 1 (also in show mode)', async () => {
    const file = join(dir, 'forged.jsonl');
    await guardrun([...keyArgs(upstream.url, file), '--sign-key-env', 'SEAL_KEY', '--', 'node', join(AGENTS, 'openai-chat.mjs')], { env });
    forge(file);
    const verify = await guardrun(['replay', file, '--verify-only', '--sign-key-env', 'SEAL_KEY'], { env });
    expect(String(verify.stdout)).toMatch(/chain intact/);
    expect(String(verify.stdout)).toContain('seal INVALID: the seal names another closing line than this file has');
    expect(verify.exitCode).toBe(1);
    const show = await guardrun(['replay', file, '--sign-key-env', 'SEAL_KEY'], { env });
    expect(show.exitCode).toBe(1);
  });

  it('the final hash printed at exit: --expect-hash passes on the file as written, fails on a rewrite', async () => {
    const file = join(dir, 'hash.jsonl');
    const r = await guardrun([...keyArgs(upstream.url, file), '--', 'node', join(AGENTS, 'openai-chat.mjs')], { env });
    const hash = /final hash ([0-9a-f]{64})/.exec(String(r.stderr))?.[1];
    expect(hash).toBe(readLines(file).at(-1)!.hash);
    expect((await guardrun(['replay', file, '--verify-only', '--expect-hash', hash!])).exitCode).toBe(0);
    expect((await guardrun(['replay', file, '--verify-only', '--expect-hash', hash!.slice(0, 16)])).exitCode).toBe(0);
    forge(file);
    const after = await guardrun(['replay', file, '--verify-only', '--expect-hash', hash!]);
    expect(after.exitCode).toBe(1);
    expect(String(after.stdout)).toContain(`is not the expected ${hash}`);
  });
});
