// End-to-end: `guardrun --sandbox` (bubblewrap through @anthropic-ai/sandbox-runtime). The child has no
// network of its own: raw sockets fail, even to this machine's loopback; its only way out is guardrun's proxy
// (base URL and model hosts into the guard, other hosts by the egress policy). It cannot read the key store
// (the Secret Service over D-Bus, the kernel keyring) nor a planted stored login. Each refusal is checked
// against the same command without --sandbox, where it succeeds, so the test shows the sandbox did it.
import { execa } from 'execa';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, BIN, FAKE_OPENAI_KEY, agentResult, baseEnv, guardrun, keyArgs, readLines, startLoopbackSite, tempDir, type LoopbackSite } from './harness.js';

/** Whether bubblewrap can make its namespaces here at all; the tests say loudly when it cannot. */
function bubblewrapProblem(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  const probe = spawnSync('bwrap', ['--unshare-user', '--unshare-net', '--ro-bind', '/', '/', 'true'], { encoding: 'utf8' });
  if (probe.error) return `bwrap cannot be run (${probe.error.message}); scripts/test-setup.sh installs bubblewrap`;
  return probe.status === 0 ? undefined : `bwrap cannot create user and network namespaces here: ${probe.stderr.trim()}`;
}
const problem = bubblewrapProblem();
if (problem) process.stderr.write(`\n*** SKIPPING the --sandbox tests: ${problem} ***\n\n`);

let upstream: FakeUpstream;
let site: LoopbackSite;
let sitePort: number;
let dir: string;
let home: string;
let n = 0;
const sessionPath = (): string => join(dir, 'sessions', `s${++n}.jsonl`);

beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  dir = tempDir('guardrun-sandbox-');
  home = join(dir, 'home');
  mkdirSync(join(home, '.codex'), { recursive: true });
  writeFileSync(join(home, '.codex', 'auth.json'), '{"OPENAI_API_KEY":"sk-test-fake-stored-login-0000000000"}\n');
  site = await startLoopbackSite((_req, res) => res.end('host loopback\n'));
  sitePort = site.port;
});
afterAll(async () => {
  await upstream?.close();
  await site?.close();
});

const run = (args: string[], opts: { file?: string; sandbox?: boolean; flags?: string[]; env?: Record<string, string | undefined> } = {}) =>
  guardrun([...keyArgs(upstream.url, opts.file ?? sessionPath()), ...(opts.sandbox === false ? [] : ['--sandbox']), ...(opts.flags ?? []), '--', ...args], {
    env: { OPENAI_REAL: FAKE_OPENAI_KEY, HOME: home, ...opts.env },
    timeout: 60_000,
  });

describe.skipIf(problem !== undefined)('guardrun --sandbox', () => {
  it('a normal SDK agent works unchanged: base-URL calls reach guardrun through the sandbox, the upstream gets the real key', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    const r = await run(['node', join(AGENTS, 'openai-chat.mjs'), '--stream'], { file });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(agentResult(r.stdout)).toMatchObject({ ok: true });
    expect(upstream.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${FAKE_OPENAI_KEY}`]);
    const lines = readLines(file);
    expect(lines[0].egress).toEqual({ intercept: true, sandbox: 'bubblewrap' });
    expect(lines.find((l) => l.type === 'response')).toMatchObject({ status: 200 });
  });

  it('a call to the hard-coded model host is intercepted into the guard from inside too', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] });
    const r = await run(['sh', '-c', `curl -sS https://api.openai.com/v1/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" -H 'content-type: application/json' -d '${body}'`], { file });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout)).choices[0].message.content).toMatch(/fake upstream/);
    expect(upstream.requests[0].headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(readLines(file).find((l) => l.type === 'request')).toMatchObject({ host: 'api.openai.com' });
  });

  it('raw TCP fails: to an outside address and to this machine\'s loopback (it works without the sandbox)', async () => {
    const targets = ['1.1.1.1:80', `127.0.0.1:${sitePort}`];
    const inside = await run(['node', join(AGENTS, 'raw-socket.mjs'), ...targets]);
    expect(inside.exitCode, String(inside.stderr)).toBe(0);
    const [outside1, loop] = agentResult(inside.stdout).results;
    expect(outside1).toMatchObject({ ok: false, code: 'ENETUNREACH' });
    expect(loop).toMatchObject({ ok: false, code: 'ECONNREFUSED' }); // the sandbox's own loopback: nothing listens there
    const plain = await run(['node', join(AGENTS, 'raw-socket.mjs'), `127.0.0.1:${sitePort}`], { sandbox: false });
    expect(agentResult(plain.stdout).results[0]).toMatchObject({ ok: true });
  });

  it('other hosts still follow the egress policy: a loopback site allowed literally is reachable through the proxy only', async () => {
    const file = sessionPath();
    const policy = join(dir, 'allow-site.yaml');
    writeFileSync(policy, `version: 1\nnetwork:\n  allow: ["127.0.0.1:${sitePort}"]\n`);
    // Inside, 127.0.0.1 is the sandbox's own loopback: the host's site is reached by proxy, under its host-side address.
    const r = await run(['sh', '-c', `curl -sS --noproxy '' -p http://127.0.0.1:${sitePort}/`], { file, flags: ['--policy', policy] });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toBe('host loopback');
    expect(readLines(file).filter((l) => l.type === 'egress')).toEqual([expect.objectContaining({ host: '127.0.0.1', port: sitePort, verdict: 'allow', status: 200 })]);
  });

  it('a planted ~/.codex/auth.json cannot be read, unless --sandbox-allow-read names it', async () => {
    const cat = ['sh', '-c', 'cat "$HOME/.codex/auth.json" && echo READ || echo DENIED'];
    const denied = await run(cat);
    expect(String(denied.stdout)).toBe('DENIED');
    expect(String(denied.stdout)).not.toContain('sk-test-fake-stored-login');
    const allowed = await run(cat, { flags: ['--sandbox-allow-read', '~/.codex/auth.json'] });
    expect(String(allowed.stdout)).toMatch(/stored-login[\s\S]*READ$/);
    const plain = await run(cat, { sandbox: false });
    expect(String(plain.stdout)).toMatch(/READ$/);
  });

  it('the kernel keyring guardrun may keep keys in is out of reach (it is readable without the sandbox)', async () => {
    const probe = 'id=$(keyctl search @s user guardrun-sandbox-probe 2>/dev/null) && keyctl print "$id" || echo NOT-FOUND';
    const script = (sandbox: boolean) =>
      `keyctl add user guardrun-sandbox-probe sk-test-fake-keyring-0000 @s >/dev/null && "$NODE" "$GUARDRUN_BIN" --key-env OPENAI_REAL --upstream ${upstream.url} --session-file "${sessionPath()}" ${sandbox ? '--sandbox' : ''} -q -- sh -c '${probe}'`;
    const env = baseEnv({ OPENAI_REAL: FAKE_OPENAI_KEY, HOME: home, NODE: process.execPath, GUARDRUN_BIN: BIN });
    const inside = await execa('keyctl', ['session', '-', 'sh', '-c', script(true)], { env, extendEnv: false, reject: false });
    expect(String(inside.stdout)).toContain('NOT-FOUND');
    expect(String(inside.stdout)).not.toContain('sk-test-fake-keyring');
    const outside = await execa('keyctl', ['session', '-', 'sh', '-c', script(false)], { env, extendEnv: false, reject: false });
    expect(String(outside.stdout)).toContain('sk-test-fake-keyring-0000');
  });

  it('the Secret Service is out of reach: secret-tool cannot look guardrun\'s key up (it can without the sandbox)', async () => {
    const runtime = join(dir, 'run');
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    const lookup = 'secret-tool lookup service guardrun account openai && echo FOUND || echo NOT-FOUND';
    const step = (sandbox: boolean) => `"$NODE" "$GUARDRUN_BIN" --key-env OPENAI_REAL --upstream ${upstream.url} --session-file "${sessionPath()}" ${sandbox ? '--sandbox' : ''} -q -- sh -c '${lookup}'`;
    const script = [
      'printf %s "$PW" | gnome-keyring-daemon --unlock --components=secrets >/dev/null',
      'printf %s sk-test-fake-secret-service-0000 | secret-tool store --label guardrun service guardrun account openai',
      `echo "--- inside"; ${step(true)}`,
      `echo "--- outside"; ${step(false)}`,
    ].join('\n');
    const r = await execa('dbus-run-session', ['--', 'sh', '-c', script], {
      env: baseEnv({ OPENAI_REAL: FAKE_OPENAI_KEY, HOME: home, XDG_RUNTIME_DIR: runtime, XDG_DATA_HOME: join(home, 'data'), PW: 'guardrun-test-keyring-password', NODE: process.execPath, GUARDRUN_BIN: BIN }),
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    const [inside, outside] = String(r.stdout).split('--- outside');
    expect(inside, String(r.stderr)).toContain('NOT-FOUND');
    expect(inside).not.toContain('sk-test-fake-secret-service');
    expect(outside).toContain('sk-test-fake-secret-service-0000');
  });

  it('the agent cannot rewrite its own session record', async () => {
    const file = sessionPath();
    const r = await run(['sh', '-c', `echo forged >> "${file}" && echo WROTE || echo REFUSED; mv "${file}" "${file}.moved" 2>/dev/null && echo MOVED || echo KEPT; touch "${file}.next" && echo SIBLING-OK`], { file });
    expect(String(r.stdout)).toBe('REFUSED\nKEPT\nSIBLING-OK');
    expect(readFileSync(file, 'utf8').split('\n')).not.toContain('forged');
  });

  it('SIGTERM to guardrun reaches the agent inside the sandbox, which can finish its work', async () => {
    const note = join(dir, `term-${++n}.txt`);
    const child = execa(process.execPath, [BIN, ...keyArgs(upstream.url, sessionPath()), '--sandbox', '--', 'node', join(AGENTS, 'note-term.mjs'), note], {
      env: baseEnv({ OPENAI_REAL: FAKE_OPENAI_KEY, HOME: home }),
      extendEnv: false,
      reject: false,
    });
    await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
    const sent = Date.now();
    child.kill('SIGTERM');
    const result = await child;
    expect(readFileSync(note, 'utf8')).toBe('term');
    expect(result.exitCode, String(result.stderr)).toBe(0);
    // The agent's own handler ended it, not guardrun's SIGKILL after the 10 s grace period.
    expect(Date.now() - sent).toBeLessThan(8_000);
  });
});

describe('guardrun --sandbox where it cannot be set up', () => {
  it('exits 78 naming what is missing and the fix, and never runs the command', async () => {
    const bin = tempDir('guardrun-sandbox-path-');
    // A PATH with the command but without bubblewrap, socat, ripgrep or keyctl.
    writeFileSync(join(bin, 'marker'), '#!/bin/sh\necho RAN\n', { mode: 0o755 });
    const r = await guardrun([...keyArgs(upstream.url, sessionPath()), '--sandbox', '--', 'marker'], { env: { OPENAI_REAL: FAKE_OPENAI_KEY, PATH: bin, HOME: home } });
    expect(r.exitCode).toBe(78);
    expect(String(r.stdout)).not.toContain('RAN');
    expect(String(r.stderr)).toMatch(/guardrun: the sandbox needs bwrap \(bubblewrap\), socat \(socat\), rg \(ripgrep\), keyctl \(keyutils\), not found on PATH \[E_SANDBOX\]/);
    expect(String(r.stderr)).toMatch(/fix: install them \(Debian\/Ubuntu: apt-get install bubblewrap socat ripgrep keyutils\)/);
  });

  it('--sandbox-allow-read without --sandbox is a usage error', async () => {
    const r = await guardrun([...keyArgs(upstream.url, sessionPath()), '--sandbox-allow-read', '~/.codex/auth.json', '--', 'true'], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(r.exitCode).toBe(64);
    expect(String(r.stderr)).toMatch(/--sandbox-allow-read only applies with --sandbox/);
  });
});
