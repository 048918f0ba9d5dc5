// The approval prompt through the real CLI in a real terminal (tmux): guardrun asks on /dev/tty while the
// agent and a chatty sibling share the terminal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, BIN, FAKE_OPENAI_KEY, readLines, tempDir } from './harness.js';
import { createTmux, hasTmux, sleep, type Tmux } from './tmux.js';

let upstream: FakeUpstream;
let dir = '';
let tmux: Tmux;

const PROMPT = 'Let this request through?';
const count = (text: string, needle: string): number => text.split(needle).length - 1;
const ticks = (text: string): number[] => [...text.matchAll(/^tick (\d+)$/gm)].map((m) => Number(m[1]));

function policy(timeoutS: number): string {
  const file = join(dir, `ask-${timeoutS}.yaml`);
  writeFileSync(file, `version: 1\napproval:\n  timeout_s: ${timeoutS}\nrules:\n  - id: codenames\n    on: request\n    match: { words: [bluebird] }\n    action: ask\n`);
  return file;
}

/** Starts `guardrun ... -- sh -c SCRIPT` in a tmux session, with CI unset so a terminal is used. */
function start(session: string, script: string, timeoutS = 60): string {
  const sessionFile = join(dir, `${session}.jsonl`);
  tmux.start(session, [
    'env', '-u', 'CI', `OPENAI_REAL=${FAKE_OPENAI_KEY}`, 'NO_COLOR=1',
    process.execPath, BIN, '--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--policy', policy(timeoutS), '--session-file', sessionFile,
    '--', 'sh', '-c', script,
  ]);
  return sessionFile;
}

const agent = (prompt: string, out: string): string => `node ${join(AGENTS, 'openai-chat.mjs')} --no-retry '${prompt}' >> ${out}`;
const results = (file: string): Array<Record<string, any>> => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const decisions = (sessionFile: string) => readLines(sessionFile).filter((l) => l.type === 'decision');

describe.skipIf(!hasTmux)('guardrun asks on the terminal', () => {
  beforeAll(async () => {
    upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
    dir = tempDir('guardrun-prompt-cli-');
    tmux = createTmux(dir);
  });
  afterAll(async () => {
    tmux?.close();
    await upstream?.close();
  });

  it('allow once, then allow for the session (no third prompt), while a chatty child is paused', async () => {
    const out = join(dir, 'a-agent.jsonl');
    const script = `node ${join(AGENTS, 'chatty.mjs')} 3000 & ${agent('bluebird one', out)}; ${agent('bluebird two', out)}; ${agent('bluebird three', out)}; wait`;
    const sessionFile = start('a', script);

    let screen = await tmux.waitForScreen('a', new RegExp(PROMPT.replace('?', '\\?')));
    expect(screen).toContain('POST /v1/chat/completions');
    expect(screen).toContain('codenames');
    expect(screen).toContain('bluebird one');
    // The chatty sibling is stopped while the prompt is open: its ticks do not move.
    const before = Math.max(0, ...ticks(tmux.screen('a', true)));
    await sleep(400);
    expect(Math.max(0, ...ticks(tmux.screen('a', true)))).toBe(before);
    tmux.keys('a', 'Enter'); // "Allow once" is the first choice

    screen = await tmux.waitForScreen('a', /✔ request #1 allowed once[\s\S]*Let this request through\?/, true);
    expect(screen).toContain('bluebird two');
    tmux.keys('a', '2'); // a digit answers at once

    const end = await tmux.waitForScreen('a', /session saved to/, true, 30_000);
    expect(count(end, 'approval needed for request #')).toBe(2); // the session grant answered the third request
    expect(end).toContain('✔ request #2 allowed for the rest of this session');
    expect(end).not.toContain('stdin:'); // the chatty child never got the keystrokes
    expect(results(out).map((r) => r.ok)).toEqual([true, true, true]);
    const asked = decisions(sessionFile).map((d) => [d.decidedBy, d.scope]);
    expect(asked).toEqual([['human', 'once'], ['human', 'session'], ['session-grant', 'session']]);
  });

  it('deny with a reason: the agent sees the reason', async () => {
    const out = join(dir, 'b-agent.jsonl');
    const sessionFile = start('b', agent('bluebird please', out));
    await tmux.waitForScreen('b', /Let this request through\?/);
    tmux.keys('b', '5');
    await tmux.waitForScreen('b', /Reason/);
    tmux.keys('b', '-l', 'use the staging project instead');
    tmux.keys('b', 'Enter');
    await tmux.waitForScreen('b', /session saved to/, true, 30_000);
    const [result] = results(out);
    expect(result).toMatchObject({ ok: false, status: 403 });
    expect(result.error).toContain('use the staging project instead');
    expect(decisions(sessionFile)[0]).toMatchObject({ verdict: 'deny', decidedBy: 'human', reason: 'use the staging project instead' });
  });

  it('Ctrl-C on the terminal reaches the child once, not twice', async () => {
    const sessionFile = join(dir, 'int.jsonl');
    tmux.start('int', ['env', '-u', 'CI', `OPENAI_REAL=${FAKE_OPENAI_KEY}`, 'NO_COLOR=1', process.execPath, BIN, '--key-env', 'OPENAI_REAL',
      '--upstream', upstream.url, '--session-file', sessionFile, '--', process.execPath, join(AGENTS, 'count-sigint.mjs')]);
    await tmux.waitForScreen('int', /^ready$/m);
    tmux.keys('int', 'C-c');
    const screen = await tmux.waitForScreen('int', /session saved to/, true);
    expect(screen).toMatch(/sigints 1$/m); // the terminal echoes ^C on the same line
    expect(readLines(sessionFile).at(-1)).toMatchObject({ type: 'session.end', exitCode: 0 });
  });

  it('denies when nobody answers within approval.timeout_s', async () => {
    const out = join(dir, 'c-agent.jsonl');
    const sessionFile = start('c', agent('bluebird waits', out), 1);
    await tmux.waitForScreen('c', /Let this request through\?/);
    await tmux.waitForScreen('c', /session saved to/, true, 30_000);
    const [result] = results(out);
    expect(result).toMatchObject({ ok: false, status: 403 });
    expect(result.error).toMatch(/no answer|timed out|timeout/i);
    expect(decisions(sessionFile)[0]).toMatchObject({ verdict: 'deny', decidedBy: 'timeout' });
  });

  it('Ctrl-C at a prompt denies; a second Ctrl-C within 3 s stops even an agent that ignores SIGINT', async () => {
    const out = join(dir, 'd-agent.jsonl');
    // The shell and every agent it starts ignore SIGINT (an ignored signal stays ignored across exec).
    const sessionFile = start('d', `trap '' INT; while true; do ${agent('bluebird again', out)}; done`);
    await tmux.waitForScreen('d', /Let this request through\?/);
    tmux.keys('d', 'C-c');
    await tmux.waitForScreen('d', /✖ request #1 denied: cancelled at the prompt \(Ctrl-C\)[\s\S]*Let this request through\?/, true);
    tmux.keys('d', 'C-c');
    const end = await tmux.waitForScreen('d', /session saved to/, true, 30_000);
    expect(end).toContain('Ctrl-C twice: guardrun is stopping the run');
    expect(readLines(sessionFile).at(-1)).toMatchObject({ type: 'session.end', reason: 'signal', exitCode: 143 });
    expect(results(out).every((r) => r.ok === false)).toBe(true);
  });
});
