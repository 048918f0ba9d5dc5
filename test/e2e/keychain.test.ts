// End-to-end: `guardrun key ...` and a guarded run against a REAL Secret Service (gnome-keyring on a private D-Bus),
// with a temp HOME and XDG dirs, so the developer's own keyring is never read or written.
import { execa } from 'execa';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, BIN, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, agentResult, baseEnv, guardrun, readLines, tempDir } from './harness.js';

const TOOLS = ['dbus-run-session', 'gnome-keyring-daemon', 'secret-tool', 'tmux'];
const KEYRING_PASSWORD = 'guardrun-test-keyring-password';

interface Step {
  name: string;
  /** A shell command (see `gr` for the built CLI). */
  cmd: string;
}
interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
}

const created: string[] = [];
function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  created.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A home of its own for one keyring: HOME and every XDG dir inside a fresh temp dir. */
function keyringHome(): Record<string, string> {
  const home = scratch('guardrun-keyring-');
  const runtime = join(home, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  return { HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), XDG_RUNTIME_DIR: runtime };
}

/**
 * Runs the steps in one private D-Bus session with gnome-keyring started (and unlocked unless `locked`).
 * GUARDRUN_KEYSTORE pins the Secret Service: the kernel keyring is shared with the developer's login session.
 */
async function inKeyring(home: Record<string, string>, steps: Step[], options: { locked?: boolean; flush?: boolean; env?: Record<string, string> } = {}) {
  const out = scratch('guardrun-keyring-out-');
  const start = options.locked
    ? 'gnome-keyring-daemon --start --components=secrets >/dev/null'
    : 'printf %s "$PW" | gnome-keyring-daemon --unlock --components=secrets >/dev/null';
  // gnome-keyring writes the keyring file after it answers; before the bus (and the daemon) goes away,
  // wait (bounded) until a keyring file is newer than the start, so a later session finds what this one stored.
  const flush = 'for i in $(seq 50); do [ -n "$(find "$XDG_DATA_HOME/keyrings" -name "*.keyring" -newer "$OUT/.started" 2>/dev/null)" ] && break; sleep 0.1; done';
  const steps_ = steps.map((s) => `${s.cmd} >"$OUT/${s.name}.out" 2>"$OUT/${s.name}.err"; echo $? >"$OUT/${s.name}.rc"`);
  const script = [start, 'sleep 0.01; touch "$OUT/.started"', ...steps_, ...(options.flush ? [flush] : [])].join('\n');
  const session = await execa('dbus-run-session', ['--', 'sh', '-c', script], {
    env: baseEnv({ ...home, PW: KEYRING_PASSWORD, OUT: out, NODE: process.execPath, GUARDRUN_BIN: BIN, GUARDRUN_KEYSTORE: 'secret-service', ...options.env }),
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
  const results: Record<string, StepResult> = {};
  for (const { name } of steps) {
    const read = (ext: string): string => {
      try {
        return readFileSync(join(out, `${name}.${ext}`), 'utf8');
      } catch {
        throw new Error(`step ${name} did not run; dbus-run-session said: ${String(session.stderr)}`);
      }
    };
    results[name] = { code: Number(read('rc').trim()), stdout: read('out'), stderr: read('err') };
  }
  return results;
}

const gr = (args: string): string => `"$NODE" "$GUARDRUN_BIN" ${args}`;

beforeAll(async () => {
  const missing: string[] = [];
  for (const tool of TOOLS) {
    const which = await execa('sh', ['-c', `command -v ${tool}`], { reject: false });
    if (which.exitCode !== 0) missing.push(tool);
  }
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}: run "sh scripts/test-setup.sh" (as root it installs them; npm test runs it first)`);
});

describe('guardrun key with a real Secret Service', () => {
  it('stores a piped key, shows it masked, finds it with secret-tool, and deletes it', async () => {
    const r = await inKeyring(keyringHome(), [
      { name: 'before', cmd: gr('key status') },
      { name: 'set', cmd: `printf '%s\\n' "$FAKE_KEY" | ${gr('key set openai')}` },
      { name: 'status', cmd: gr('key status') },
      { name: 'lookup', cmd: 'secret-tool lookup service guardrun username openai' },
      { name: 'delete', cmd: gr('key delete openai') },
      { name: 'lookupAfter', cmd: 'secret-tool lookup service guardrun username openai' },
      { name: 'deleteAgain', cmd: gr('key delete openai') },
      { name: 'after', cmd: gr('key status openai') },
    ], { env: { FAKE_KEY: FAKE_OPENAI_KEY } });

    expect(r.before).toEqual({ code: 0, stdout: 'openai     not set\nanthropic  not set\n', stderr: '' });
    expect(r.set.code, r.set.stderr).toBe(0);
    expect(r.set.stdout).toBe('guardrun: openai key stored in Secret Service (GNOME Keyring, KWallet) (sk-…0000)\n');
    expect(r.set.stderr).toBe('');
    expect(r.status.code).toBe(0);
    expect(r.status.stdout).toBe('openai     sk-…0000  Secret Service (GNOME Keyring, KWallet)\nanthropic  not set\n');
    // The trailing newline from printf was trimmed: the item holds exactly the key.
    expect(r.lookup).toMatchObject({ code: 0, stdout: FAKE_OPENAI_KEY });
    expect(r.delete.stdout).toBe('guardrun: openai key deleted from Secret Service (GNOME Keyring, KWallet)\n');
    expect(r.lookupAfter.stdout).toBe('');
    expect(r.lookupAfter.code).not.toBe(0);
    expect(r.deleteAgain).toMatchObject({ code: 0, stdout: 'guardrun: no openai key was stored; nothing deleted\n' });
    expect(r.after.stdout).toBe('openai  not set\n');
    for (const step of Object.values(r)) {
      if (step !== r.lookup) expect(step.stdout + step.stderr).not.toContain(FAKE_OPENAI_KEY);
    }
  });

  it('keeps profiles apart and survives into a new session (the keyring file persists)', async () => {
    const home = keyringHome();
    await inKeyring(home, [{ name: 'set', cmd: `printf %s "$FAKE_KEY" | ${gr('key set anthropic --profile work')}` }], { env: { FAKE_KEY: FAKE_ANTHROPIC_KEY }, flush: true });
    const r = await inKeyring(home, [
      { name: 'work', cmd: gr('key status anthropic --profile work') },
      { name: 'plain', cmd: gr('key status anthropic') },
      { name: 'lookup', cmd: 'secret-tool lookup service guardrun username anthropic:work' },
    ]);
    expect(r.work.stdout).toMatch(/^anthropic \(profile work\)\s+sk-…0000\s+Secret Service/);
    expect(r.plain.stdout).toBe('anthropic  not set\n');
    expect(r.lookup.stdout).toBe(FAKE_ANTHROPIC_KEY);
  });

  it('reports a locked keyring as unreadable (exit 77), not as "not set"', async () => {
    const home = keyringHome();
    await inKeyring(home, [{ name: 'set', cmd: `printf %s "$FAKE_KEY" | ${gr('key set openai')}` }], { env: { FAKE_KEY: FAKE_OPENAI_KEY }, flush: true });
    const r = await inKeyring(home, [{ name: 'status', cmd: gr('key status openai') }], { locked: true });
    expect(r.status.code).toBe(77);
    expect(r.status.stdout).toMatch(/^openai\s+unreadable\s+Secret Service: the keyring is locked/);
    expect(r.status.stderr).toMatch(/^fix: unlock your login keyring/m);
  });

  it('explains a Secret Service with no default keyring', async () => {
    // Started without --unlock on a fresh home: the daemon answers but has no "login" collection.
    const r = await inKeyring(keyringHome(), [{ name: 'set', cmd: `printf %s "$FAKE_KEY" | ${gr('key set openai')}` }], {
      locked: true,
      env: { FAKE_KEY: FAKE_OPENAI_KEY },
    });
    expect(r.set.code).toBe(77);
    expect(r.set.stderr).toMatch(/Secret Service: the Secret Service has no default keyring to store keys in \[E_KEYSTORE\]/);
  });
});

describe('a guarded run takes its key from the Secret Service', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY, anthropicKey: FAKE_ANTHROPIC_KEY });
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('sends the stored key upstream while the agent only sees a dummy', async () => {
    const sessions = scratch('guardrun-keyring-sessions-');
    upstream.requests.length = 0;
    const r = await inKeyring(keyringHome(), [
      { name: 'set', cmd: `printf %s "$FAKE_KEY" | ${gr('key set openai')}` },
      {
        name: 'run',
        cmd: gr(`--upstream "$UPSTREAM" --session-file "$SESSIONS/s.jsonl" -- "${process.execPath}" "${join(AGENTS, 'openai-chat.mjs')}"`),
      },
    ], { env: { FAKE_KEY: FAKE_OPENAI_KEY, UPSTREAM: upstream.url, SESSIONS: sessions } });
    expect(r.set.code, r.set.stderr).toBe(0);
    expect(r.run.code, r.run.stderr).toBe(0);
    expect(agentResult(r.run.stdout).ok).toBe(true);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0].headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(r.run.stdout + r.run.stderr).not.toContain(FAKE_OPENAI_KEY);
    expect(readdirSync(sessions)).toEqual(['s.jsonl']);
  });
});

describe('--sign with the signing key in the Secret Service', () => {
  it('makes the key on first use, seals the file with it, and replay checks the seal with the same key', async () => {
    const sessions = scratch('guardrun-keyring-sealed-');
    const r = await inKeyring(keyringHome(), [
      { name: 'run1', cmd: gr(`--key-env OPENAI_REAL --upstream http://127.0.0.1:9 --sign --session-file "$SESSIONS/a.jsonl" -- true`) },
      { name: 'run2', cmd: gr(`--key-env OPENAI_REAL --upstream http://127.0.0.1:9 --sign --session-file "$SESSIONS/b.jsonl" -- true`) },
      { name: 'lookup', cmd: 'secret-tool lookup service guardrun username session-signing-key | wc -c' },
      { name: 'verify', cmd: gr(`replay "$SESSIONS/a.jsonl" --verify-only`) },
    ], { env: { OPENAI_REAL: FAKE_OPENAI_KEY, SESSIONS: sessions } });
    expect(r.run1.code, r.run1.stderr).toBe(0);
    expect(r.run1.stderr).toContain('made a session signing key, kept in the keychain (Secret Service');
    expect(r.run2.stderr).not.toContain('made a session signing key');
    expect(Number(r.lookup.stdout.trim())).toBe(64);
    const seals = ['a', 'b'].map((f) => readLines(join(sessions, `${f}.jsonl`)).at(-1));
    expect(seals[0]).toMatchObject({ type: 'session.seal' });
    expect(seals[1]!.keyId).toBe(seals[0]!.keyId); // the same key, kept between runs
    expect(r.verify.code, r.verify.stdout).toBe(0);
    expect(r.verify.stdout).toMatch(/seal valid \(key [0-9a-f]{16}\)/);
  });
});

describe('key set on a real terminal (tmux)', () => {
  /** Runs `guardrun key set openai` in a detached tmux pane; the memory keystore keeps this test off every keyring. */
  async function withPane<T>(fn: (pane: { keys(...k: string[]): Promise<void>; literal(text: string): Promise<void>; waitFor(re: RegExp): Promise<string> }) => Promise<T>): Promise<T> {
    const socket = `guardrun-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const tmux = (...args: string[]) => execa('tmux', ['-L', socket, ...args], { timeout: 10_000, env: baseEnv(), extendEnv: false });
    const command = `GUARDRUN_KEYSTORE=memory NO_COLOR=1 "${process.execPath}" "${BIN}" key set openai; echo "EXIT=$?"; sleep 60`;
    await tmux('new-session', '-d', '-x', '150', '-y', '12', command);
    const pane = {
      keys: async (...k: string[]) => void (await tmux('send-keys', '-t', '0', ...k)),
      literal: async (text: string) => void (await tmux('send-keys', '-t', '0', '-l', text)),
      async waitFor(re: RegExp): Promise<string> {
        let screen = '';
        for (let i = 0; i < 100; i++) {
          screen = String((await tmux('capture-pane', '-p', '-t', '0')).stdout);
          if (re.test(screen)) return screen;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`the pane never showed ${re}; it shows:\n${screen}`);
      },
    };
    try {
      return await fn(pane);
    } finally {
      await tmux('kill-server').catch(() => undefined);
    }
  }

  it('hides the input, honours backspace, and stores the key', async () => {
    const screen = await withPane(async (pane) => {
      await pane.waitFor(/openai API key \(input hidden\):/);
      await pane.literal('sk-test-fake-terminal-000000000wxyQ');
      await pane.keys('BSpace');
      await pane.literal('z');
      await pane.keys('Enter');
      return pane.waitFor(/EXIT=\d+/);
    });
    expect(screen).toMatch(/guardrun: openai key stored in memory \(this process only\) \(sk-…wxyz\)/);
    expect(screen).toMatch(/EXIT=0/);
    expect(screen).not.toContain('fake-terminal');
  });

  it('aborts on Ctrl-C with exit 130', async () => {
    const screen = await withPane(async (pane) => {
      await pane.waitFor(/input hidden/);
      await pane.literal('sk-test-fake');
      await pane.keys('C-c');
      return pane.waitFor(/EXIT=\d+/);
    });
    expect(screen).toMatch(/guardrun: aborted; nothing was stored\s+EXIT=130/);
    expect(screen).not.toContain('sk-test-fake');
  });
});

describe('no keychain reachable', () => {
  // No DBUS_SESSION_BUS_ADDRESS in the clean env, and the Secret Service pinned.
  const env = { GUARDRUN_KEYSTORE: 'secret-service', DBUS_SESSION_BUS_ADDRESS: undefined };

  it('key status exits 77 and says why', async () => {
    const r = await guardrun(['key', 'status'], { env });
    expect(r.exitCode).toBe(77);
    expect(String(r.stdout)).toBe('');
    // execa drops the final newline.
    expect(String(r.stderr)).toBe(
      'guardrun: the keychain pinned by GUARDRUN_KEYSTORE=secret-service is not reachable: Secret Service: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set) [E_KEYSTORE]\n' +
        'fix: run guardrun inside a desktop login session, where the Secret Service is reachable; or skip the keychain and pass the key from an env variable: guardrun --key-env OPENAI_API_KEY -- <command> (anthropic=VAR for Anthropic)',
    );
  });

  it('key set fails before reading the key', async () => {
    const r = await guardrun(['key', 'set', 'openai'], { env, input: `${FAKE_OPENAI_KEY}\n`, stdin: undefined });
    expect(r.exitCode).toBe(77);
    expect(String(r.stderr)).toMatch(/\[E_KEYSTORE\]/);
    expect(String(r.stderr)).not.toContain(FAKE_OPENAI_KEY);
  });

  it('a run with no key names both fixes', async () => {
    const r = await guardrun(['--', process.execPath, '-e', 'process.exit(3)'], { env });
    expect(r.exitCode).toBe(77);
    const stderr = String(r.stderr);
    expect(stderr).toMatch(/^guardrun: no API key: the keychain pinned by GUARDRUN_KEYSTORE=secret-service is not reachable: Secret Service: no D-Bus session bus .* \[E_NO_KEY\]$/m);
    expect(stderr).toMatch(/^fix: .*guardrun key set openai.*guardrun --key-env OPENAI_API_KEY -- /m);
  });

  it('--key-env for one provider still runs when the keychain is unreachable', async () => {
    const r = await guardrun(['--key-env', 'REAL', '--upstream', 'http://127.0.0.1:9', '--session-file', join(scratch('guardrun-keyring-run-'), 's.jsonl'), '--', process.execPath, '-e', 'process.exit(3)'], {
      env: { ...env, REAL: FAKE_OPENAI_KEY },
    });
    expect(r.exitCode, String(r.stderr)).toBe(3);
  });
});
