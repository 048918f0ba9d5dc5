// `npm run test:agents`, interactive: `guardrun -- codex` and `guardrun -- claude` in a real terminal (tmux),
// the default policy, a stored login of the user's in place (fake tokens) that must be neither used nor changed.
// When guardrun asks for approval (a model without a known price), the test answers "allow for the session".
import { execFileSync } from 'node:child_process';
import { clearUpstream, upstreamCalls } from './upstream-calls.js';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { createTmux, hasTmux, sleep, type Tmux } from '../e2e/tmux.js';
import { ROOT, RUNS_DIR, cliBin } from './paths.js';

const OPENAI_KEY = 'sk-test-fake-openai-real-key-for-agents-000000000000';
const ANTHROPIC_KEY = 'sk-ant-test-fake-anthropic-real-key-for-agents-0000';
const TASK = 'Run [[shell:echo interactive-tool-ok]] please';

let upstream: FakeUpstream;
let tmux: Tmux;
let dir: string;

beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: OPENAI_KEY, anthropicKey: ANTHROPIC_KEY });
  dir = join(RUNS_DIR, `${new Date().toISOString().replace(/[:.]/g, '-')}-interactive`);
  mkdirSync(dir, { recursive: true });
  if (hasTmux) tmux = createTmux(dir);
});
afterAll(async () => {
  tmux?.close();
  await upstream?.close();
});

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts `guardrun … -- <agent>` in a tmux session, in `work`, with a clean environment and `home`. */
function start(name: string, agent: string, home: string, work: string, sessionFile: string): void {
  const env = {
    PATH: `${dirname(cliBin('codex'))}:${process.env.PATH}`, HOME: home, LANG: 'C.UTF-8', TERM: 'xterm-256color',
    OPENAI_REAL: OPENAI_KEY, ANTHROPIC_REAL: ANTHROPIC_KEY, GUARDRUN_OPENAI_UPSTREAM: upstream.url, GUARDRUN_ANTHROPIC_UPSTREAM: upstream.url,
  };
  const argv = ['env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, join(ROOT, 'bin', 'guardrun.js'),
    '--key-env', 'OPENAI_REAL', '--key-env', 'anthropic=ANTHROPIC_REAL', '--session-file', sessionFile, '--', agent];
  tmux.start(name, ['sh', '-c', `cd ${shellQuote(work)} && exec ${argv.map(shellQuote).join(' ')}`]);
}

/** Waits for `done`, answering guardrun's approval questions with "allow for the rest of this session". */
async function untilDone(name: string, done: RegExp, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < deadline) {
    screen = tmux.screen(name, true);
    if (done.test(screen)) return screen;
    if (/Let this request through\?/.test(tmux.screen(name))) {
      tmux.keys(name, 'Down');
      await sleep(200);
      tmux.keys(name, 'Enter');
      await sleep(500);
    }
    await sleep(200);
  }
  throw new Error(`the terminal never showed ${done}; it showed:\n${screen}`);
}

function project(name: string): { home: string; work: string; sessionFile: string } {
  const home = join(dir, name, 'home');
  const work = join(dir, name, 'work');
  mkdirSync(home, { recursive: true });
  mkdirSync(work, { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: work });
  return { home, work, sessionFile: join(dir, name, 'session.jsonl') };
}

/** The requests the session file shows guardrun let through to the upstream. */
function forwarded(sessionFile: string): Array<Record<string, any>> {
  const lines = readFileSync(sessionFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return lines.filter((l) => l.type === 'decision' && l.phase === 'request' && l.verdict === 'allow');
}

describe.skipIf(!hasTmux)('interactive agents under guardrun', () => {
  it('`guardrun -- codex`: the TUI starts without a sign-in screen, runs a tool, every call recorded', async () => {
    const { home, work, sessionFile } = project('codex');
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex', 'config.toml'), `[projects.${JSON.stringify(work)}]\ntrust_level = "trusted"\n`);
    writeFileSync(join(home, '.codex', 'auth.json'), JSON.stringify({ tokens: { id_token: 'e30.e30.c2ln', access_token: 'chatgpt-access-fake', refresh_token: 'r', account_id: 'a' }, last_refresh: new Date().toISOString() }));
    const authBefore = sha(join(home, '.codex', 'auth.json'));
    clearUpstream(upstream);
    start('codex', 'codex', home, work, sessionFile);
    await tmux.waitForScreen('codex', /Ask Codex to do anything/, false, 30_000);
    tmux.keys('codex', '-l', TASK);
    await sleep(300);
    tmux.keys('codex', 'Enter');
    await untilDone('codex', /Tool said:[\s\S]*interactive-tool-ok/);
    tmux.keys('codex', 'C-c');
    await sleep(300);
    tmux.keys('codex', 'C-c');
    await untilDone('codex', /guardrun: session saved to/, 30_000);
    expect(sha(join(home, '.codex', 'auth.json'))).toBe(authBefore);
    expect(upstreamCalls(upstream).every((q) => q.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);
    expect(upstreamCalls(upstream).some((q) => q.body.includes('interactive-tool-ok') && q.body.includes('_output"'))).toBe(true);
    expect(forwarded(sessionFile).length).toBe(upstreamCalls(upstream).length);
  });

  it('`guardrun -- claude`: no "use this API key?" question, the subscription login unused, a tool run recorded', async () => {
    const { home, work, sessionFile } = project('claude');
    writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, theme: 'dark', projects: { [work]: { hasTrustDialogAccepted: true } } }));
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude', '.credentials.json'), JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-test-fake-subscription', refreshToken: 'sk-ant-ort01-test-fake', expiresAt: Date.now() + 86_400_000, scopes: ['user:inference'] } }));
    const credentialsBefore = sha(join(home, '.claude', '.credentials.json'));
    clearUpstream(upstream);
    start('claude', 'claude', home, work, sessionFile);
    const first = await tmux.waitForScreen('claude', /auto mode|for shortcuts|❯/, false, 30_000);
    expect(first).not.toMatch(/Detected a custom API key/);
    tmux.keys('claude', '-l', TASK);
    await sleep(300);
    tmux.keys('claude', 'Enter');
    await untilDone('claude', /Tool said: interactive-tool-ok/);
    tmux.keys('claude', '-l', '/exit');
    await sleep(300);
    tmux.keys('claude', 'Enter');
    await untilDone('claude', /guardrun: session saved to/, 30_000);
    expect(sha(join(home, '.claude', '.credentials.json'))).toBe(credentialsBefore);
    expect(upstreamCalls(upstream).every((q) => q.authorization === `Bearer ${ANTHROPIC_KEY}`)).toBe(true);
    expect(upstreamCalls(upstream).some((q) => q.body.includes('"tool_result"'))).toBe(true);
    expect(forwarded(sessionFile).length).toBe(upstreamCalls(upstream).length);
    expect(readdirSync(join(home, '.cache', 'guardrun'))).toEqual([]); // the private settings layer is gone
  });
});
