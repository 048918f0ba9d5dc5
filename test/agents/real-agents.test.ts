// `npm run test:agents`: the real Codex CLI and Claude Code (pinned, from npm) under the built guardrun, in CI
// mode with the default policy, against the fake upstream on loopback. Each completes a task with a tool call
// (the fake upstream answers [[shell:COMMAND]] with a call to the agent's own shell tool, then with the output).
//
// Known to fail until the lead merges two parallel branches (the assertions are the goal, not weakened):
// - the priced-models branch: without a price for gpt-6.2-sol / claude-opus-5-5, the default policy asks
//   (cost.unknown-price) and CI mode denies;
// - the WebSocket transport (src/proxy/websocket/): until then guardrun answers Codex's WebSocket upgrade with
//   a 403 endpoint denial, Codex retries for about 6 s before it uses HTTP (the lines marked [websocket]).
import { execa } from 'execa';
import { clearUpstream, upstreamCalls } from './upstream-calls.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { startEgressRecorder, type Egress } from './egress.js';
import { RUNS_DIR, ROOT, cliBin } from './paths.js';

const OPENAI_KEY = 'sk-test-fake-openai-real-key-for-agents-000000000000';
const ANTHROPIC_KEY = 'sk-ant-test-fake-anthropic-real-key-for-agents-0000';
const BIN = join(ROOT, 'bin', 'guardrun.js');
/** Provider hosts a model call would go to around guardrun. */
const MODEL_HOSTS = /^(api\.openai\.com|api\.anthropic\.com)(:\d+)?$/;

/** bubblewrap can make its namespaces here (the --sandbox tests say when it cannot). */
function bubblewrapWorks(): boolean {
  const ok = spawnSync('bwrap', ['--unshare-user', '--unshare-net', '--ro-bind', '/', '/', 'true']).status === 0;
  if (!ok) process.stderr.write('\n*** test:agents: SKIPPING the --sandbox runs: bubblewrap cannot run here ***\n\n');
  return ok;
}

let upstream: FakeUpstream;
let egress: Egress;
let dir: string;
let home: string;
let work: string;

beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: OPENAI_KEY, anthropicKey: ANTHROPIC_KEY });
  egress = await startEgressRecorder();
});
afterAll(async () => {
  await upstream?.close();
  await egress?.close();
});
beforeEach((ctx) => {
  dir = join(RUNS_DIR, `${new Date().toISOString().replace(/[:.]/g, '-')}-${ctx.task.name.replace(/\W+/g, '-').slice(0, 40)}`);
  home = join(dir, 'home');
  work = join(dir, 'work');
  mkdirSync(home, { recursive: true });
  mkdirSync(work, { recursive: true });
  gitInit(work);
  clearUpstream(upstream);
  egress.attempts.length = 0;
});

/** A git repository, so Codex needs no --skip-git-repo-check. */
function gitInit(cwd: string): void {
  writeFileSync(join(cwd, 'README.md'), '# a scratch project for guardrun test:agents\n');
  const who = ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t'];
  for (const args of [['init', '-q'], [...who, 'add', '.'], [...who, 'commit', '-qm', 'init']]) execFileSync('git', args, { cwd, stdio: 'ignore' });
}

const baseEnv = (): Record<string, string> => ({
  PATH: `${dirname(cliBin('codex'))}:${process.env.PATH}`,
  HOME: home,
  LANG: 'C.UTF-8',
  TERM: 'dumb',
  NO_COLOR: '1',
  CI: 'true',
  // Anything not on loopback goes to the recorder, which refuses it.
  HTTPS_PROXY: egress.url, HTTP_PROXY: egress.url, https_proxy: egress.url, http_proxy: egress.url, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost',
});

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
  ms: number;
  lines: Array<Record<string, any>>;
  text: string;
}

let runs = 0;
/** `guardrun --key-env … -- <argv>` with the upstreams from the environment, as CI would run it. */
async function guarded(argv: string[], policy?: string, flags: string[] = []): Promise<Run> {
  const sessionFile = join(dir, `session-${++runs}.jsonl`);
  const args = ['--key-env', 'OPENAI_REAL', '--key-env', 'anthropic=ANTHROPIC_REAL', '--session-file', sessionFile, ...(policy ? ['--policy', policy] : []), ...flags, '--', ...argv];
  const started = performance.now();
  const r = await execa(process.execPath, [BIN, ...args], {
    cwd: work, reject: false, stdin: 'ignore', timeout: 150_000, extendEnv: false,
    env: { ...baseEnv(), OPENAI_REAL: OPENAI_KEY, ANTHROPIC_REAL: ANTHROPIC_KEY, GUARDRUN_OPENAI_UPSTREAM: upstream.url, GUARDRUN_ANTHROPIC_UPSTREAM: upstream.url },
  });
  const ms = performance.now() - started;
  const text = readFileSync(sessionFile, 'utf8');
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), ms, text, lines: text.trim().split('\n').map((l) => JSON.parse(l)) };
}

/** The agent's own output lines, without guardrun's exit summary. */
function agentOutput(r: Run): string {
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => !/^guardrun:|^\s+#\d+ /.test(l)).join('\n');
}

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** What every guarded run must show, whatever the agent. */
function expectGuarded(r: Run, provider: 'openai' | 'anthropic'): void {
  const key = provider === 'openai' ? OPENAI_KEY : ANTHROPIC_KEY;
  // The upstream saw the real key, and only it.
  expect(upstreamCalls(upstream).length).toBeGreaterThan(0);
  // The upgrades too: every connection to the upstream carried the real key.
  for (const q of upstream.requests) expect(q.headers.authorization, q.path).toBe(`Bearer ${key}`);
  // Every exchange the upstream saw is in the session file: one request let through for each.
  const requests = r.lines.filter((l) => l.type === 'request');
  const forwarded = r.lines.filter((l) => l.type === 'decision' && l.phase === 'request' && l.verdict === 'allow');
  expect(forwarded.length).toBe(upstreamCalls(upstream).length);
  expect(requests.length).toBeGreaterThanOrEqual(forwarded.length);
  expect(r.lines.at(-1)).toMatchObject({ type: 'session.end', requests: requests.length });
  // No model call went around guardrun.
  expect(egress.attempts.filter((host) => MODEL_HOSTS.test(host))).toEqual([]);
  // Neither the real key nor the session's dummy key shows anywhere.
  for (const text of [r.stdout, r.stderr, r.text]) {
    expect(text).not.toContain(OPENAI_KEY);
    expect(text).not.toContain(ANTHROPIC_KEY);
    expect(text).not.toMatch(/sk-guardrun-[A-Za-z0-9_-]{20,}/);
  }
}

/** The default policy left nothing to deny in a plain task (no spurious denials). */
function expectNoDenials(r: Run): void {
  const denied = r.lines.filter((l) => l.type === 'decision' && l.verdict === 'deny').map((l) => `${l.rules?.join(',') || l.reason}`);
  expect(denied).toEqual([]);
}

const CODEX_TASK = 'Run [[shell:echo guardrun-tool-ok]] and report what it printed.';
const CODEX_DENIED = 'Run [[shell:echo guardrun-forbidden]] and report what it printed.';

function denyPolicy(): string {
  const file = join(dir, 'deny-tool.yaml');
  writeFileSync(file, [
    'version: 1', // everything else: the built-in default
    'rules:',
    '  - id: no-forbidden-tool',
    '    on: response',
    '    match: { arguments: "guardrun-forbidden" }',
    '    action: deny',
    '    message: "the test policy forbids this command"',
    '',
  ].join('\n'));
  return file;
}

describe('Codex CLI (@openai/codex 0.171.0)', () => {
  function seedUserCodex(): string[] {
    const codexHome = join(home, '.codex');
    mkdirSync(join(codexHome, 'sessions'), { recursive: true });
    writeFileSync(join(codexHome, 'config.toml'), 'model_reasoning_effort = "low"\n');
    // A stored ChatGPT login (fake tokens): it must be neither used nor changed.
    writeFileSync(join(codexHome, 'auth.json'), JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: 'e30.e30.c2ln', access_token: 'chatgpt-access-fake', refresh_token: 'chatgpt-refresh-fake', account_id: 'acc-fake' }, last_refresh: new Date().toISOString() }));
    return [join(codexHome, 'config.toml'), join(codexHome, 'auth.json')];
  }

  it('`guardrun -- codex exec "…"` completes a task with a tool call, every model call in the session file', async () => {
    const userFiles = seedUserCodex();
    const before = userFiles.map(sha);
    const r = await guarded(['codex', 'exec', CODEX_TASK]);
    console.log(`codex exec under guardrun: exit ${r.exitCode} in ${Math.round(r.ms)} ms; egress attempts: ${egress.attempts.join(' ') || 'none'}`);
    expect(r.exitCode, agentOutput(r)).toBe(0);
    expect(r.stdout).toMatch(/Tool said:[\s\S]*guardrun-tool-ok/);
    // The tool ran: its output went back to the model through guardrun.
    expect(upstreamCalls(upstream).some((q) => /"(custom_tool_call|function_call)_output"/.test(q.body) && q.body.includes('guardrun-tool-ok'))).toBe(true);
    expectGuarded(r, 'openai');
    expect(r.lines[0]).toMatchObject({ type: 'session.start', agent: 'codex', command: ['codex', 'exec', CODEX_TASK] });
    expect(userFiles.map(sha)).toEqual(before);
    expectNoDenials(r); // gpt-6.2-sol priced as a guess; Codex's WebSocket through guardrun's transport
  });

  it('a policy rule denying the tool call is visible to Codex, and the tool never runs', async () => {
    const r = await guarded(['codex', 'exec', CODEX_DENIED], denyPolicy());
    expect(r.exitCode).not.toBe(0);
    expect(agentOutput(r)).toContain('guardrun withheld a tool call (rule:no-forbidden-tool): the test policy forbids this command');
    expect(r.lines.filter((l) => l.type === 'decision' && l.phase === 'response' && l.verdict === 'deny').map((l) => l.rules)).toContainEqual(['rule:no-forbidden-tool']);
    expect(upstreamCalls(upstream).some((q) => /_output"/.test(q.body))).toBe(false);
    expectGuarded(r, 'openai');
  });

  it('without its adapter Codex ignores OPENAI_BASE_URL and calls api.openai.com: intercepted into the guard', async () => {
    const r = await guarded(['codex', 'exec', CODEX_TASK], undefined, ['--no-adapter']);
    expect(r.exitCode, agentOutput(r)).toBe(0);
    expect(r.stdout).toMatch(/Tool said:[\s\S]*guardrun-tool-ok/);
    expectGuarded(r, 'openai');
    // The calls came in on intercepted connections (the WebSocket to wss://api.openai.com/v1/responses, or HTTP).
    const hosts = r.lines.filter((l) => l.type === 'ws.upgrade' || l.type === 'request').map((l) => l.host);
    expect(hosts.length).toBeGreaterThan(0);
    expect(new Set(hosts)).toEqual(new Set(r.lines.some((l) => l.type === 'ws.upgrade') ? ['api.openai.com', undefined] : ['api.openai.com']));
    expect(r.lines.filter((l) => l.type === 'bypass')).toEqual([]);
  });

  it.skipIf(!bubblewrapWorks())('`guardrun --sandbox -- codex exec "…"` (with and without its adapter): guarded, with no other route', async () => {
    const userFiles = seedUserCodex();
    const before = userFiles.map(sha);
    // Codex's own tool sandbox (bubblewrap) cannot nest inside guardrun's: it is told so (docs/agents.md).
    const r = await guarded(['codex', 'exec', '-s', 'danger-full-access', CODEX_TASK], undefined, ['--sandbox']);
    expect(r.exitCode, agentOutput(r)).toBe(0);
    expect(r.stdout).toContain('guardrun-tool-ok');
    expectGuarded(r, 'openai');
    expect(r.lines[0]).toMatchObject({ agent: 'codex', egress: { intercept: true, sandbox: 'bubblewrap' } });
    expect(userFiles.map(sha)).toEqual(before);
    clearUpstream(upstream);
    // Without its own sandbox flag, Codex's tool commands fail inside guardrun's, and guardrun says why at start.
    const nested = await guarded(['codex', 'exec', CODEX_TASK], undefined, ['--sandbox']);
    expect(nested.stderr).toMatch(/Codex's own sandbox cannot start inside guardrun's/);
    clearUpstream(upstream);
    // Without the adapter the stored ChatGPT login would win; in the sandbox it cannot be read.
    const bare = await guarded(['codex', 'exec', '-s', 'danger-full-access', CODEX_TASK], undefined, ['--sandbox', '--no-adapter']);
    expect(bare.exitCode, agentOutput(bare)).toBe(0);
    expect(bare.stdout).toContain('guardrun-tool-ok');
    expectGuarded(bare, 'openai');
    expect(bare.lines.some((l) => l.host === 'api.openai.com')).toBe(true);
  });

  it('takes no longer under guardrun than directly, plus one second', async () => {
    const directHome = join(dir, 'direct-codex-home');
    mkdirSync(directHome, { recursive: true });
    const t0 = performance.now();
    const direct = await execa(cliBin('codex'), ['-c', `openai_base_url="${upstream.url}/v1"`, 'exec', CODEX_TASK], {
      cwd: work, reject: false, stdin: 'ignore', timeout: 150_000, extendEnv: false,
      env: { ...baseEnv(), CODEX_HOME: directHome, CODEX_API_KEY: OPENAI_KEY },
    });
    const directMs = performance.now() - t0;
    expect(direct.exitCode, String(direct.stderr)).toBe(0);
    expect(String(direct.stdout)).toContain('guardrun-tool-ok');
    clearUpstream(upstream);
    const r = await guarded(['codex', 'exec', CODEX_TASK]);
    console.log(`codex exec: directly ${Math.round(directMs)} ms, under guardrun ${Math.round(r.ms)} ms (exit ${r.exitCode})`);
    expect(r.stdout).toContain('guardrun-tool-ok');
    expect(r.ms).toBeLessThanOrEqual(directMs + 1000); // [websocket] needs the WebSocket transport merged
  });
});

describe('Claude Code (@anthropic-ai/claude-code 2.1.332)', () => {
  function seedUserClaude(): string[] {
    const claudeDir = join(home, '.claude');
    mkdirSync(claudeDir, { recursive: true });
    // Settings that would send it elsewhere, and a stored subscription login (fake): neither may matter.
    writeFileSync(join(claudeDir, 'settings.json'), '{"env":{"ANTHROPIC_BASE_URL":"https://elsewhere.invalid"}}\n');
    writeFileSync(join(claudeDir, '.credentials.json'), JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-test-fake-subscription', refreshToken: 'sk-ant-ort01-test-fake', expiresAt: Date.now() + 86_400_000, scopes: ['user:inference'], subscriptionType: 'max' } }));
    return [join(claudeDir, 'settings.json'), join(claudeDir, '.credentials.json')];
  }

  it('`guardrun -- claude -p "…"` completes a task with a tool call, every model call in the session file', async () => {
    const userFiles = seedUserClaude();
    const before = userFiles.map(sha);
    const r = await guarded(['claude', '-p', CODEX_TASK]);
    console.log(`claude -p under guardrun: exit ${r.exitCode} in ${Math.round(r.ms)} ms; egress attempts: ${egress.attempts.join(' ') || 'none'}`);
    expect(r.exitCode, agentOutput(r)).toBe(0);
    expect(r.stdout).toContain('Tool said: guardrun-tool-ok');
    expect(upstreamCalls(upstream).some((q) => q.body.includes('"tool_result"') && q.body.includes('guardrun-tool-ok'))).toBe(true);
    expect(upstreamCalls(upstream).every((q) => q.xApiKey === undefined)).toBe(true);
    expectGuarded(r, 'anthropic');
    expect(r.lines[0]).toMatchObject({ type: 'session.start', agent: 'claude' });
    expect(userFiles.map(sha)).toEqual(before);
    expectNoDenials(r); // needs the priced-models merge: a price for claude-opus-5-5
  });

  it('a policy rule denying the tool call is visible to Claude Code, and the tool never runs', async () => {
    const r = await guarded(['claude', '-p', CODEX_DENIED], denyPolicy());
    expect(r.exitCode).not.toBe(0);
    expect(agentOutput(r)).toContain('guardrun withheld a tool call (rule:no-forbidden-tool): the test policy forbids this command');
    expect(r.lines.filter((l) => l.type === 'decision' && l.phase === 'response' && l.verdict === 'deny').map((l) => l.rules)).toContainEqual(['rule:no-forbidden-tool']);
    expect(upstreamCalls(upstream).some((q) => q.body.includes('"tool_result"'))).toBe(false);
    expectGuarded(r, 'anthropic');
  });
});
