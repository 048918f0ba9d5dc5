// The leak sweep (issue 10's adversarial suite): plant the real keys, one secret per built-in detector and
// the session's dummy key, run every SDK fixture plain and streamed, every error path and every command that
// prints or writes, and search every byte guardrun wrote — session files, its stdout and stderr (where the
// agent's output lands too), replay's output in every mode — for any of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, guardrun, tempDir } from '../e2e/harness.js';

// One obviously fake secret per built-in detector (the same shapes as src/secrets/detectors.test.ts).
const SECRETS: Record<string, string> = {
  'openai-key': 'sk-proj-fake-sweep-0000000000000000000000000',
  'anthropic-key': 'sk-ant-api03-fake-sweep-00000000000000000000',
  'aws-access-key-id': 'AKIAFAKESWEEP0000000',
  'aws-secret-access-key': 'FAKEsweepFAKEsweepFAKEsweepFAKEsweep0000',
  'github-token': 'ghp_FAKEsweep000000000000000000000000000',
  'gitlab-token': 'glpat-fake-sweep-00000000000',
  'slack-token': 'xoxb-0000-fake-sweep-token',
  'stripe-key': 'sk_test_fakesweep00000000000',
  'google-api-key': 'AIzaFakeSweepKey00000000000000000000000',
  jwt: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlLXN3ZWVwIn0.fakeSweepSignature0',
  'password-assignment': 'fake-sweep-password-0',
};
// As an agent would carry them: the AWS secret and the password need their labels to be recognised.
const PROMPT = [
  SECRETS['openai-key'], SECRETS['anthropic-key'], SECRETS['aws-access-key-id'], `aws_secret_access_key = ${SECRETS['aws-secret-access-key']}`,
  SECRETS['github-token'], SECRETS['gitlab-token'], SECRETS['slack-token'], SECRETS['stripe-key'], SECRETS['google-api-key'], SECRETS.jwt,
  `password=${SECRETS['password-assignment']}`,
].join(' ; ');
// The upstream repeats the prompt ([[echo]]) and the key it received ([[reveal-key]]): secrets and keys come
// back in the answers, so the response side is swept too.
const ECHO = `[[echo]] [[reveal-key]] check these: ${PROMPT}`;
const PLANTED = [FAKE_OPENAI_KEY, FAKE_ANTHROPIC_KEY, ...Object.values(SECRETS)];
// The session's dummy key: its shape, whatever its value this time.
const DUMMY = /sk-guardrun-[A-Za-z0-9_-]{16,}/;

let upstream: FakeUpstream;
let dir: string;
const written: Array<{ what: string; text: string }> = [];
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY, anthropicKey: FAKE_ANTHROPIC_KEY });
  dir = tempDir('guardrun-leak-sweep-');
});
afterAll(async () => upstream?.close());

const env = { OPENAI_REAL: FAKE_OPENAI_KEY, ANTHROPIC_REAL: FAKE_ANTHROPIC_KEY, GUARDRUN_KEYSTORE: 'memory' };
let n = 0;

/** Runs guardrun with both keys from the environment; keeps everything it printed for the sweep. */
async function run(what: string, command: string[], extra: string[] = []): Promise<void> {
  const r = await guardrun(['--key-env', 'OPENAI_REAL', '--key-env', 'anthropic=ANTHROPIC_REAL', '--upstream', upstream.url, '--anthropic-upstream', upstream.url,
    '--session-file', join(dir, `s${++n}.jsonl`), ...extra, '--', ...command], { env });
  written.push({ what: `${what}: stdout`, text: String(r.stdout) }, { what: `${what}: stderr`, text: String(r.stderr) });
}

async function cli(what: string, args: string[]): Promise<void> {
  const r = await guardrun(args, { env });
  written.push({ what: `${what}: stdout`, text: String(r.stdout) }, { what: `${what}: stderr`, text: String(r.stderr) });
}

function sweep(): Array<{ what: string; found: string }> {
  const files = readdirSync(dir).map((f) => ({ what: `file ${f}`, text: readFileSync(join(dir, f), 'utf8') }));
  const leaks: Array<{ what: string; found: string }> = [];
  for (const { what, text } of [...written, ...files]) {
    for (const value of PLANTED) if (text.includes(value)) leaks.push({ what, found: value });
    const dummy = DUMMY.exec(text);
    if (dummy) leaks.push({ what, found: dummy[0] });
  }
  return leaks;
}

describe('leak sweep: nothing planted ever reaches what guardrun writes', () => {
  it('every SDK fixture, plain and streamed; every error path; every printing command', async () => {
    const node = (agent: string, ...args: string[]) => ['node', join(AGENTS, agent), ...args];
    for (const agent of ['openai-chat.mjs', 'openai-responses.mjs', 'anthropic.mjs', 'ai-sdk.mjs']) {
      await run(`${agent} plain`, node(agent, ECHO, '--no-retry'));
      await run(`${agent} stream`, node(agent, ECHO, '--stream', '--no-retry'));
    }
    await run('agents-sdk', node('agents-sdk.mjs', '--no-retry'));
    await run('agents-sdk stream', node('agents-sdk.mjs', '--stream', '--no-retry'));
    await run('responses over WebSocket', node('openai-responses-ws.mjs', ECHO));
    await run('curl', ['sh', join(AGENTS, 'curl.sh'), ECHO]);
    await run('curl stream', ['sh', join(AGENTS, 'curl.sh'), ECHO, '--stream']);

    // Error paths: the upstream unreachable, a deny rule, an ask denied in CI, outbound secrets denied, a refused body.
    const policy = join(dir, 'deny.yaml');
    writeFileSync(policy, 'version: 1\nsecrets:\n  outbound: deny\nrules:\n  - id: no-echo\n    on: request\n    match: { words: [checkme] }\n    action: ask\n');
    await run('outbound deny', node('openai-chat.mjs', ECHO, '--no-retry'), ['--policy', policy]);
    await run('ask in CI', node('openai-chat.mjs', `checkme ${ECHO}`, '--no-retry'), ['--policy', policy, '--ci']);
    const unreachable = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', 'http://127.0.0.1:9', '--session-file', join(dir, `s${++n}.jsonl`), '--', ...node('openai-chat.mjs', ECHO, '--no-retry')], { env });
    written.push({ what: 'unreachable: stderr', text: String(unreachable.stderr) }, { what: 'unreachable: stdout', text: String(unreachable.stdout) });
    await run('proxy probe (wrong keys, unknown paths, no anthropic key)', node('proxy-probe.mjs'));
    // Misconfigurations that name a key-like value.
    await cli('--key-env with a key', ['--key-env', FAKE_OPENAI_KEY, '--', 'true']);
    await cli('--upstream with a key', ['--key-env', 'OPENAI_REAL', '--upstream', FAKE_OPENAI_KEY, '--', 'true']);
    await cli('the key as the command', ['--key-env', 'OPENAI_REAL', '--', FAKE_OPENAI_KEY]);
    await cli('key set with an argument', ['key', 'set', 'openai', FAKE_OPENAI_KEY]);

    // Every way of reading the records back.
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.jsonl'))) {
      for (const mode of [[], ['--full'], ['--events'], ['--json', '--full', '--events'], ['--verify-only']]) await cli(`replay ${f} ${mode.join(' ')}`, ['replay', join(dir, f), ...mode]);
    }
    await cli('replay list', ['replay', dir]);
    await cli('policy show', ['policy', 'show', '--policy', policy]);
    await cli('doctor', ['doctor', '--key-env', 'OPENAI_REAL', '--', 'node', 'agent.js']);

    expect(n).toBeGreaterThan(15);
    expect(sweep()).toEqual([]);
    // The sweep can fail: what it looks for really went through. The upstream got the real key, and each
    // secret went into the runs and came out masked under its detector's name.
    expect(upstream.requests.some((q) => q.headers.authorization === `Bearer ${FAKE_OPENAI_KEY}`)).toBe(true);
    const records = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    for (const id of Object.keys(SECRETS)) expect(records, id).toContain(`[REDACTED:${id}]`);
    expect(records).toContain('[REDACTED:openai-real-key]'); // [[reveal-key]]: the upstream echoed the real key back
  }, 240_000);
});
