// End-to-end: the everyday CLI through the built binary — help, words meant for guardrun, usage errors in
// guardrun's own format, values that look like keys never echoed, where the policy and the session file come from.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_OPENAI_KEY, guardrun, readLines, tempDir } from './harness.js';

let upstream: FakeUpstream;
let dir: string;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  dir = tempDir();
});
afterAll(async () => upstream?.close());

// Shaped like an OpenAI project key so the built-in detector knows it; obviously fake.
const KEYLIKE = 'sk-proj-test-fake-0123456789abcdefghijklmnopqrstuv';
const keyEnv = (extra: Record<string, string> = {}) => ({ OPENAI_REAL: FAKE_OPENAI_KEY, ...extra });

describe('help and words meant for guardrun', () => {
  it('--help shows the -- form, the subcommands, examples, exit codes and the environment', async () => {
    const r = await guardrun(['--help']);
    expect(r.exitCode).toBe(0);
    const out = String(r.stdout);
    expect(out).toMatch(/^Usage: guardrun \[options\] -- <command> \[args\.\.\.\]/);
    for (const word of ['replay', 'policy', 'key', 'demo', 'Examples:', 'Exit codes:', 'GUARDRUN_KEYSTORE', 'GUARDRUN_OPENAI_UPSTREAM']) expect(out).toContain(word);
    expect(out).toMatch(/^Environment:\n(?:  .*\n)*  GUARDRUN_POLICY +policy file when --policy is not given/m);
  });

  it('every help text gives the one default of --policy: $GUARDRUN_POLICY, else the nearest guardrun.yaml up to the repository root', async () => {
    const said = '$GUARDRUN_POLICY, else the nearest guardrun.yaml from here up to the repository root, else the built-in default';
    for (const args of [['--help'], ['help', 'prices'], ['prices', '--help'], ['help', 'policy', 'show'], ['policy', 'check', '--help'], ['help', 'replay']]) {
      const r = await guardrun(args);
      expect(r.exitCode, args.join(' ')).toBe(0);
      const out = String(r.stdout).replace(/\s+/g, ' '); // commander wraps long lines
      expect(out, args.join(' ')).toContain(said);
      expect(out, args.join(' ')).not.toContain('./guardrun.yaml');
    }
  });

  it('`help policy check` shows the deepest subcommand the words name', async () => {
    const check = await guardrun(['help', 'policy', 'check']);
    expect(check.exitCode).toBe(0);
    expect(String(check.stdout)).toMatch(/^Usage: guardrun policy check \[options\] \[file\]/);
    const set = await guardrun(['help', 'key', 'set']);
    expect(String(set.stdout)).toMatch(/^Usage: guardrun key set \[options\] <provider>/);
    const wrong = await guardrun(['help', 'policy', 'chek']);
    expect(wrong.exitCode).toBe(64);
    expect(String(wrong.stderr)).toBe('guardrun: there is no help topic "policy chek" [E_USAGE]\nfix: topics: policy check, policy show; or guardrun policy --help');
  });

  it('`help`, `help policy` and `version` work as words, start nothing and write no session file', async () => {
    const cwd = tempDir();
    const help = await guardrun(['help'], { cwd });
    expect(help.exitCode).toBe(0);
    expect(String(help.stdout)).toContain('Usage: guardrun');
    const topic = await guardrun(['help', 'policy'], { cwd });
    expect(topic.exitCode).toBe(0);
    expect(String(topic.stdout)).toContain('Usage: guardrun policy');
    const version = await guardrun(['version'], { cwd });
    expect(String(version.stdout).trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(existsSync(join(cwd, '.guardrun'))).toBe(false);
  });

  it('a typo of a subcommand gets "did you mean", exit 64, and no session', async () => {
    const cwd = tempDir();
    const r = await guardrun(['replya', 'f.jsonl'], { cwd, env: keyEnv() });
    expect(r.exitCode).toBe(64);
    expect(String(r.stderr)).toContain("unknown command 'replya' — did you mean replay? [E_USAGE]");
    expect(existsSync(join(cwd, '.guardrun'))).toBe(false);
  });

  it("commander's own errors come in guardrun's format with its suggestion", async () => {
    const r = await guardrun(['replay', '--jsn', 'x.jsonl']);
    expect(r.exitCode).toBe(64);
    expect(String(r.stderr)).toMatch(/^guardrun: unknown option '--jsn' \[E_USAGE\]\nfix: did you mean --json\?/);
    expect(String(r.stderr)).not.toMatch(/^error:/m);
  });
});

describe('key-like values are never echoed', () => {
  it.each([
    ['--key-env', ['--key-env', KEYLIKE, '--', 'true']],
    ['--upstream', ['--key-env', 'OPENAI_REAL', '--upstream', KEYLIKE, '--', 'true']],
    ['the command', ['--key-env', 'OPENAI_REAL', '--', KEYLIKE]],
    ['key set with a key argument', ['key', 'set', 'openai', KEYLIKE]],
  ])('%s', async (_what, args) => {
    const r = await guardrun(args, { env: keyEnv() });
    expect(r.exitCode).not.toBe(0);
    expect(String(r.stderr)).toContain('guardrun:');
    expect(String(r.stderr) + String(r.stdout)).not.toContain(KEYLIKE);
  });

  it('key set with a key argument explains the pipe form and stores nothing', async () => {
    const r = await guardrun(['key', 'set', 'openai', KEYLIKE], { env: { GUARDRUN_KEYSTORE: 'memory' } });
    expect(r.exitCode).toBe(64);
    expect(String(r.stderr)).toMatch(/^guardrun: a key is never taken as an argument.*\[E_KEY_INPUT\]\nfix: .*printf %s "\$KEY" \| guardrun key set openai/);
  });
});

describe('the command is checked before the key', () => {
  it('a missing command is 127 even with no key anywhere, and no session file', async () => {
    const cwd = tempDir();
    const r = await guardrun(['--', 'guardrun-no-such-command-xyz'], { cwd, env: { GUARDRUN_KEYSTORE: 'secret-service', DBUS_SESSION_BUS_ADDRESS: undefined } });
    expect(r.exitCode).toBe(127);
    expect(String(r.stderr)).toContain('command not found: guardrun-no-such-command-xyz [E_NOT_FOUND]');
    expect(existsSync(join(cwd, '.guardrun'))).toBe(false);
  });

  it('a file without execute permission is 126', async () => {
    const script = join(dir, 'no-exec.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o644);
    const r = await guardrun(['--', script], { env: { GUARDRUN_KEYSTORE: 'secret-service', DBUS_SESSION_BUS_ADDRESS: undefined } });
    expect(r.exitCode).toBe(126);
    expect(String(r.stderr)).toContain('[E_NOT_EXECUTABLE]');
  });
});

describe('start and exit lines', () => {
  it('names the policy in force and the session file at start; --quiet silences both lines', async () => {
    const cwd = tempDir();
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--', 'node', join(AGENTS, 'openai-chat.mjs')], { cwd, env: keyEnv() });
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toMatch(/^guardrun: guarding node \(policy: built-in default; session: \.guardrun\/sessions\/[^)]+\.jsonl\)$/m);
    expect(String(r.stderr)).toMatch(/session saved to \.guardrun\/sessions\/.*\(1 request, \$0\.0000\d+ of \$5\.00 budget\)/);
    expect(String(r.stderr)).toMatch(/^guardrun: final hash [0-9a-f]{64}$/m);
    const quiet = await guardrun(['--quiet', '--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--', 'node', join(AGENTS, 'openai-chat.mjs')], { cwd, env: keyEnv() });
    expect(quiet.exitCode).toBe(0);
    expect(String(quiet.stderr)).not.toContain('guardrun:');
  });

  it('--quiet with a denial still prints the denials, where the record is and its final hash (as documented)', async () => {
    const cwd = tempDir();
    const r = await guardrun(['--quiet', '--ci', '--approve-over', '0', '--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--', 'node', join(AGENTS, 'openai-chat.mjs')], { cwd, env: keyEnv() });
    const lines = String(r.stderr).split('\n').filter((l) => l.startsWith('guardrun:'));
    expect(lines, String(r.stderr)).toHaveLength(3);
    expect(lines[0]).toBe('guardrun: denied 1 time:');
    expect(lines[1]).toMatch(/^guardrun: session saved to \.guardrun\/sessions\/.*\.jsonl \(1 request, /);
    expect(lines[2]).toMatch(/^guardrun: final hash [0-9a-f]{64}$/);
  });

  it('tags a denial nobody could be asked about (ci) with --ci or CI, and (no terminal) when there was none', async () => {
    const args = ['--approve-over', '0', '--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--', 'node', join(AGENTS, 'openai-chat.mjs')];
    const deniedLine = (stderr: unknown) => String(stderr).split('\n').find((l) => l.includes('cost.threshold')) ?? String(stderr);
    // detached: a new session with no controlling terminal, so /dev/tty cannot be opened.
    const ci = await guardrun(['--ci', ...args], { cwd: tempDir(), env: keyEnv(), detached: true });
    expect(deniedLine(ci.stderr)).toMatch(/^ {2}#1 POST \/v1\/chat\/completions {2}cost\.threshold \(ci\): .*--ci was given/);
    const ciVar = await guardrun(args, { cwd: tempDir(), env: keyEnv({ CI: 'true' }), detached: true });
    expect(deniedLine(ciVar.stderr)).toMatch(/cost\.threshold \(ci\): .*the CI variable is set/);
    const none = await guardrun(args, { cwd: tempDir(), env: keyEnv(), detached: true });
    expect(deniedLine(none.stderr)).toMatch(/cost\.threshold \(no terminal\): .*no terminal was available to ask/);
  });

  it('an upstream ending in /v1 is accepted with a note, not sent to /v1/v1', async () => {
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', `${upstream.url}/v1`, '--session-file', join(dir, 'v1.jsonl'), '--', 'node', join(AGENTS, 'openai-chat.mjs')], { env: keyEnv() });
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toContain('upstream URL ended in /v1, which guardrun dropped');
    expect(upstream.requests.at(-1)?.path).toBe('/v1/chat/completions');
  });
});

describe('policy discovery', () => {
  it('a guardrun.yaml at the repository root applies in a subdirectory', async () => {
    const repo = tempDir();
    mkdirSync(join(repo, '.git'));
    mkdirSync(join(repo, 'pkg', 'src'), { recursive: true });
    writeFileSync(join(repo, 'guardrun.yaml'), 'version: 1\nmodels:\n  deny: ["gpt-5-nano"]\n');
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--', 'node', join(AGENTS, 'openai-chat.mjs'), '--model', 'gpt-5-nano', '--no-retry'], { cwd: join(repo, 'pkg', 'src'), env: keyEnv() });
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain('policy: ../../guardrun.yaml');
    expect(String(r.stderr)).toMatch(/denied 1 time:\n\s+#1 POST \/v1\/chat\/completions\s+model \(policy\): /);
    // The rule id is said once, not again inside the reason.
    expect(String(r.stderr)).not.toContain('guardrun denied this request (model)');
  });

  it('policy check lists every problem in one run', async () => {
    const file = join(dir, 'two-problems.yaml');
    writeFileSync(file, 'version: 1\nmodels:\n  allow: 3\nrules:\n  - id: a\n    on: request\n    match: { text: "(" }\n    action: ask\n');
    const r = await guardrun(['policy', 'check', file]);
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).toMatch(/has 2 problems:\n {2}.*:3: models\.allow.*\n {2}.*:7: rules\[0\]/);
  });

  it('policy check and policy show speak JSON; a problem is an error document on stdout', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'version: 1\nrules:\n  - { id: x, on: request, match: { words: [a] }, action: deny }\n');
    const check = await guardrun(['policy', 'check', good, '--json']);
    expect(check.exitCode).toBe(0);
    expect(JSON.parse(String(check.stdout))).toMatchObject({ ok: true, source: good, rules: 1 });
    const show = await guardrun(['policy', 'show', '--policy', good, '--json']);
    expect(JSON.parse(String(show.stdout))).toMatchObject({ source: good, policy: { rules: [{ id: 'x' }], secrets: { outbound: 'redact' } } });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nmodels:\n  alow: []\n');
    const broken = await guardrun(['policy', 'check', bad, '--json']);
    expect(broken.exitCode).toBe(78);
    expect(JSON.parse(String(broken.stdout))).toMatchObject({ error: { code: 'E_POLICY', exitCode: 78, message: expect.stringContaining('unknown key "alow"') } });
  });

  it("a problem under secrets: names its key plainly (the terminal gate does not read `secrets.outbound: expected` as a secret), while a key-like value from the file stays masked", async () => {
    const file = join(dir, 'secrets-problems.yaml');
    writeFileSync(file, `version: 1\nsecrets:\n  outbound: block\n  mask_responses: ${KEYLIKE}\n`);
    for (const json of [false, true]) {
      const r = await guardrun(['policy', 'check', file, ...(json ? ['--json'] : [])]);
      expect(r.exitCode).toBe(78);
      const text = json ? (JSON.parse(String(r.stdout)) as { error: { message: string } }).error.message : String(r.stderr);
      expect(text).toContain('secrets.outbound: expected "deny" | "ask" | "redact" | "allow", got the string "block"');
      expect(text).toContain('secrets.mask_responses: expected true or false, got the string "[REDACTED:');
      expect(text).not.toContain('REDACTED:password-assignment');
      expect(String(r.stdout) + String(r.stderr)).not.toContain(KEYLIKE.slice(8));
    }
  });

  it('policy check of a missing file does not talk about --policy', async () => {
    const r = await guardrun(['policy', 'check', join(dir, 'nope.yaml')]);
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).not.toContain('--policy');
  });
});

describe('the session file', () => {
  const run = (cwd: string, extra: string[], env: Record<string, string> = {}) =>
    guardrun(['--key-env', 'OPENAI_REAL', '--upstream', upstream.url, ...extra, '--', 'node', join(AGENTS, 'exit-with.mjs'), '0'], { cwd, env: keyEnv(env) });

  it('an existing --session-file is refused saying it exists (exit 78)', async () => {
    const file = join(dir, 'exists.jsonl');
    writeFileSync(file, 'keep me\n');
    const r = await run(dir, ['--session-file', file]);
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).toContain('already exists (guardrun never overwrites a record) [E_SESSION_FILE]');
    expect(String(r.stderr)).toContain('fix: give a new path with --session-file');
  });

  it('from a directory guardrun cannot write, the session goes to the user state directory', async () => {
    const cwd = unwritableDir();
    const state = tempDir();
    const r = await run(cwd, [], { XDG_STATE_HOME: state });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/cannot write .*\.guardrun \((EACCES|EPERM|EROFS)\); the session file goes to .*guardrun\/sessions/);
    const files = readdirSync(join(state, 'guardrun', 'sessions')).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    expect(readLines(join(state, 'guardrun', 'sessions', files[0])).at(-1)).toMatchObject({ type: 'session.end' });
  });

  it('when no directory can be written: exit 78 naming --session-file, not an internal error', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.guardrun'), 'a file where the directory would go');
    const blocked = join(cwd, 'state-is-a-file');
    writeFileSync(blocked, '');
    const r = await run(cwd, [], { XDG_STATE_HOME: blocked });
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).toContain('[E_SESSION_FILE]');
    expect(String(r.stderr)).toContain('--session-file');
    expect(String(r.stderr)).not.toContain('this is a bug');
  });
});

/**
 * A directory this process cannot create `.guardrun` in. Root ignores permission bits, so as root (as in CI) it is
 * /sys, where even root gets EPERM; otherwise a fresh directory made read-only.
 */
function unwritableDir(): string {
  if (process.getuid?.() === 0) {
    try {
      mkdirSync('/sys/.guardrun-probe');
    } catch {
      return '/sys';
    }
    throw new Error('/sys is writable here: cannot test an unwritable directory');
  }
  const d = tempDir();
  chmodSync(d, 0o555);
  return d;
}
