// End-to-end: exit codes and signals of `guardrun -- cmd`, and failures before the child starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_OPENAI_KEY, guardrun, keyArgs, readLines, tempDir } from './harness.js';

let upstream: FakeUpstream;
let dir: string;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  dir = tempDir();
});
afterAll(async () => upstream?.close());

let n = 0;
const file = (): string => join(dir, `p${++n}.jsonl`);
const run = (args: string[], extra: { env?: Record<string, string | undefined>; flags?: string[]; sessionFile?: string } = {}) =>
  guardrun([...keyArgs(upstream.url, extra.sessionFile ?? file()), ...(extra.flags ?? []), '--', ...args], { env: { OPENAI_REAL: FAKE_OPENAI_KEY, ...extra.env } });

/** Resolves once the process has printed `text` on stdout. */
function untilOutput(child: ReturnType<typeof run>, text: string, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}"`)), ms);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function waitFor(predicate: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('exit codes', () => {
  it('passes the child exit code through', async () => {
    expect((await run(['node', join(AGENTS, 'exit-with.mjs'), '0'])).exitCode).toBe(0);
    expect((await run(['node', join(AGENTS, 'exit-with.mjs'), '3'])).exitCode).toBe(3);
    expect((await run(['node', join(AGENTS, 'exit-with.mjs'), '255'])).exitCode).toBe(255);
  });

  it('gives 128+N when the child dies of signal N', async () => {
    expect((await run(['node', join(AGENTS, 'kill-self.mjs'), 'SIGTERM'])).exitCode).toBe(143);
    expect((await run(['node', join(AGENTS, 'kill-self.mjs'), 'SIGKILL'])).exitCode).toBe(137);
  });

  it('gives 127 for a command not found and 126 for one not executable', async () => {
    const notFound = await run(['guardrun-no-such-command-xyz']);
    expect(notFound.exitCode).toBe(127);
    expect(String(notFound.stderr)).toContain('command not found: guardrun-no-such-command-xyz');
    const script = join(dir, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o644);
    expect((await run([script])).exitCode).toBe(126);
  });

  it('refuses to run nested unless --nested (exit 64)', async () => {
    const nested = await run(['true'], { env: { GUARDRUN_SESSION: 'abc123' } });
    expect(nested.exitCode).toBe(64);
    expect(String(nested.stderr)).toMatch(/already inside guardrun session abc123 \[E_NESTED\]\nfix: .*--nested/);
    expect((await run(['true'], { env: { GUARDRUN_SESSION: 'abc123' }, flags: ['--nested'] })).exitCode).toBe(0);
  });

  it('exits 64 on usage errors and 77 when no key can be found', async () => {
    const noCommand = await guardrun(['--key-env', 'OPENAI_REAL'], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(noCommand.exitCode).toBe(64);
    const unknownFlag = await guardrun(['--no-such-flag', '--', 'true']);
    expect(unknownFlag.exitCode).toBe(64);
    const emptyVar = await guardrun(['--key-env', 'OPENAI_REAL', '--', 'true'], { env: { OPENAI_REAL: '' } });
    expect(emptyVar.exitCode).toBe(77);
    expect(String(emptyVar.stderr)).toContain('OPENAI_REAL');
    // No key anywhere: the keychain cannot be reached here (no D-Bus), and the message names both fixes.
    const none = await guardrun(['--', 'true'], { env: { GUARDRUN_KEYSTORE: 'secret-service', DBUS_SESSION_BUS_ADDRESS: undefined } });
    expect(none.exitCode).toBe(77);
    expect(String(none.stderr)).toContain('guardrun key set');
    expect(String(none.stderr)).toContain('--key-env');
  });
});

describe('signals', () => {
  it('forwards SIGTERM to the child and finalizes the session file', async () => {
    const sessionFile = file();
    const child = run(['node', join(AGENTS, 'sleep.mjs'), '20000'], { sessionFile });
    await waitFor(() => existsSync(sessionFile));
    await new Promise((r) => setTimeout(r, 300)); // let the child start
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(143);
    const lines = readLines(sessionFile);
    expect(lines.at(-1)).toMatchObject({ type: 'session.end', reason: 'signal', exitCode: 143 });
  });

  it('forwards SIGHUP, SIGQUIT, and SIGINT when not on a terminal; each finalizes the session file', async () => {
    for (const [sig, code] of [['SIGHUP', 129], ['SIGQUIT', 131], ['SIGINT', 130]] as const) {
      const sessionFile = file();
      const child = run(['node', join(AGENTS, 'sleep.mjs'), '20000'], { sessionFile });
      await waitFor(() => existsSync(sessionFile));
      await new Promise((r) => setTimeout(r, 300));
      child.kill(sig);
      expect((await child).exitCode, sig).toBe(code);
      expect(readLines(sessionFile).at(-1), sig).toMatchObject({ type: 'session.end', reason: 'signal', exitCode: code });
    }
  });

  it('kills a child that ignores SIGTERM after the grace period', async () => {
    const sessionFile = file();
    const child = run(['node', join(AGENTS, 'ignore-term.mjs')], { sessionFile, flags: ['--kill-timeout', '1'] });
    // The child prints `ready` once its SIGTERM handler is in place: only then is "ignores SIGTERM" true.
    await untilOutput(child, 'ready');
    child.kill('SIGTERM');
    const r = await child;
    expect(String(r.stderr)).toContain('ignored SIGTERM');
    expect(r.exitCode).toBe(137);
    expect(readLines(sessionFile).at(-1)).toMatchObject({ type: 'session.end', exitCode: 137 });
  });

  it('a SIGTERM at any moment of start-up ends the run cleanly: no 0-byte file, no orphaned child', async () => {
    // Sent at a spread of moments from the spawn of guardrun: before its own handlers exist (then nothing of its
    // own exists either), while it sets up, just after the child starts. Whatever the moment, the outcome is
    // one of two whole states.
    for (const delayMs of [0, 40, 80, 120, 160, 200, 260, 320, 400, 500]) {
      const sessionFile = file();
      const marker = join(dir, `started-${delayMs}`);
      const child = run(['node', join(AGENTS, 'sleep.mjs'), '20000', marker], { sessionFile });
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGTERM');
      const r = await child;
      if (existsSync(sessionFile)) {
        expect(r.exitCode, `at ${delayMs} ms`).toBe(143);
        const lines = readLines(sessionFile);
        expect(lines[0].type).toBe('session.start');
        expect(lines.at(-1), `at ${delayMs} ms`).toMatchObject({ type: 'session.end', reason: 'signal', exitCode: 143 });
      } else {
        // Killed before guardrun's code ran: the default action of SIGTERM, and nothing started.
        expect(r.signal, `at ${delayMs} ms`).toBe('SIGTERM');
        expect(existsSync(marker), `at ${delayMs} ms`).toBe(false);
      }
    }
  });

  it('writes a closing line when guardrun itself crashes', async () => {
    const sessionFile = file();
    const r = await run(['node', join(AGENTS, 'sleep.mjs'), '10000'], { sessionFile, env: { GUARDRUN_TEST_CRASH: '1' } });
    expect(r.exitCode).toBe(70);
    expect(String(r.stderr)).toContain('this is a bug');
    const lines = readFileSync(sessionFile, 'utf8');
    expect(lines).toContain('"reason":"crash"');
  });
});
