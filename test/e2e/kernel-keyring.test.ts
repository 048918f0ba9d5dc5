// The kernel keyring in a process with no session keyring of its own (a container, a shell without a login
// session): every command refuses it the same way, whatever the Node version. On Node 24 `guardrun key set`
// used to store the key there (in a keyring that ended with the process) and `key status` listed it, while a
// run was refused (src/secrets/keychain.ts, startThreadPool). Inside `keyctl session -` all of it works.
// Runs as a fresh uid (setpriv, so root only) so the keys of the user running the tests are never touched.
import { execFileSync } from 'node:child_process';
import { chownSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { BIN, FAKE_OPENAI_KEY, tempDir } from './harness.js';

// A uid no account uses: its user and persistent keyrings start empty.
const UID = 40_000 + Math.floor(Math.random() * 20_000);
const home = tempDir('guardrun-kernel-keyring-');

/** `setpriv` to UID with a clean environment, the kernel keyring pinned. */
function asFreshUser(command: string[]): string[] {
  return ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', 'env', '-i', `HOME=${home}`, 'PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'NO_COLOR=1', 'GUARDRUN_KEYSTORE=kernel-keyring', ...command];
}

/** Why this cannot run here, or undefined: root, setpriv and keyctl, and no session keyring inherited. */
function problem(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux (setpriv to a fresh uid)';
  try {
    chownSync(home, UID, UID);
    // Without a session keyring of its own a process falls back to the user's default one, `_uid_ses.<uid>`.
    const [cmd, ...args] = asFreshUser(['keyctl', 'rdescribe', '@s']);
    const description = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
    return description.endsWith(`;_uid_ses.${UID}`) ? undefined : `the test process has a session keyring of its own (${description.split(';').at(-1)})`;
  } catch (error) {
    return `setpriv or keyctl failed (${(error as Error).message.split('\n')[0]})`;
  }
}
const skip = problem();

let upstream: FakeUpstream;
beforeAll(async () => {
  if (!skip) upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
});
afterAll(() => {
  upstream?.close();
  rmSync(home, { recursive: true, force: true });
});

const guardrun = (args: string[], input?: string) => {
  const [cmd, ...rest] = asFreshUser([process.execPath, BIN, ...args]);
  return execa(cmd, rest, { extendEnv: false, env: {}, reject: false, timeout: 30_000, ...(input === undefined ? { stdin: 'ignore' } : { input }) });
};

describe.skipIf(skip !== undefined)(`the kernel keyring without a session keyring (${skip ?? process.version})`, () => {
  it('key set, key status and a run all refuse it with the same reason and fix; nothing is stored', async () => {
    const results = [
      await guardrun(['key', 'set', 'openai'], FAKE_OPENAI_KEY),
      await guardrun(['key', 'status']),
      await guardrun(['--upstream', upstream.url, '--session-file', `${home}/s.jsonl`, '--ci', '--', 'true']),
    ];
    for (const r of results) {
      expect(r.exitCode, String(r.stderr)).toBe(77);
      expect(String(r.stderr)).toContain('kernel keyring: access to the session keyring was denied');
      expect(String(r.stderr)).toContain('fix: run guardrun from a login session, or inside `keyctl session - <command>`');
      expect(String(r.stdout) + String(r.stderr)).not.toContain('stored in');
    }
    // Not left behind in the persistent keyring either (a new session keyring can link it).
    const [cmd, ...args] = asFreshUser(['keyctl', 'session', '-', process.execPath, BIN, 'key', 'status']);
    const status = await execa(cmd, args, { extendEnv: false, env: {}, reject: false, timeout: 30_000, stdin: 'ignore' });
    expect(status.exitCode, String(status.stderr)).toBe(0);
    expect(String(status.stdout)).toMatch(/^openai\s+not set/m);
  });

  it('inside `keyctl session -` the same commands work: stored, listed, used by a run, deleted', async () => {
    const script = [
      `printf %s "$K" | "$N" "$B" key set openai`,
      'unset K',
      `"$N" "$B" key status`,
      `"$N" "$B" --upstream "$U" --session-file "$HOME/s2.jsonl" --ci -- sh -c 'echo child-ran'`,
      `"$N" "$B" key delete openai`,
    ].join(' && ');
    const [cmd, ...args] = asFreshUser(['K=' + FAKE_OPENAI_KEY, `N=${process.execPath}`, `B=${BIN}`, `U=${upstream.url}`, 'keyctl', 'session', '-', 'sh', '-c', script]);
    const r = await execa(cmd, args, { extendEnv: false, env: {}, reject: false, timeout: 60_000, stdin: 'ignore' });
    const out = String(r.stdout) + String(r.stderr);
    expect(r.exitCode, out).toBe(0);
    expect(out).toContain('openai key stored in Linux kernel keyring (keyutils)');
    expect(out).toMatch(/^openai\s+sk-…0000\s+Linux kernel keyring/m);
    expect(out).toContain('child-ran');
    expect(out).toContain('openai key deleted from Linux kernel keyring (keyutils)');
    expect(out).not.toContain(FAKE_OPENAI_KEY);
  });
});
