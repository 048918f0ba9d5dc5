// End-to-end: the policy through the real CLI, the fake upstream and real SDK clients (no terminal: CI mode).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, agentResult, guardrun, readLines, tempDir } from './harness.js';

let upstream: FakeUpstream;
let dir: string;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  dir = tempDir();
});
afterAll(async () => upstream?.close());

// Obviously fake, but shaped like an OpenAI project key so the built-in detector finds it.
const PLANTED = 'sk-proj-test-fake-0123456789abcdefghijklmnopqrstuv';

let n = 0;
function policyFile(yaml: string): string {
  const file = join(dir, `policy${++n}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

async function run(policy: string | undefined, agent: string[], extra: { flags?: string[]; env?: Record<string, string> } = {}) {
  const sessionFile = join(dir, `session${++n}.jsonl`);
  const r = await guardrun(
    ['--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--session-file', sessionFile, ...(policy ? ['--policy', policy] : []), ...(extra.flags ?? []), '--', 'node', ...agent],
    { env: { OPENAI_REAL: FAKE_OPENAI_KEY, ...extra.env } },
  );
  return { r, sessionFile, lines: () => readLines(sessionFile), out: agentResult(r.stdout) };
}

describe('request checks', () => {
  it('denies a model outside the allow list with a 403 the SDK reports cleanly, and the decision is recorded', async () => {
    const policy = policyFile('version: 1\nmodels:\n  allow: ["gpt-4.1*"]\n');
    const { r, out, lines } = await run(policy, [join(AGENTS, 'openai-chat.mjs'), '--model', 'gpt-5-nano']);
    expect(r.exitCode).toBe(1);
    expect(out.status).toBe(403);
    expect(out.code).toBe('model');
    expect(out.error).toContain('gpt-5-nano');
    const decision = lines().find((l) => l.type === 'decision')!;
    expect(decision).toMatchObject({ verdict: 'deny', decidedBy: 'policy', rules: ['model'] });
    expect(String(r.stderr)).toMatch(/denied 1 time:\n\s+#1 POST \/v1\/chat\/completions\s+model \(policy\)/);
  });

  it('denies an endpoint that is not allowed', async () => {
    const policy = policyFile('version: 1\nendpoints:\n  allow: ["POST /v1/chat/completions"]\n');
    const { out } = await run(policy, [join(AGENTS, 'openai-embeddings.mjs')]);
    expect(out.status).toBe(403);
    expect(out.code).toBe('endpoint');
  });

  it('applies request rules: deny with the rule message, allow when nothing matches', async () => {
    const policy = policyFile(
      'version: 1\nrules:\n  - id: no-prod\n    on: request\n    match: { text: "(?i)production database password" }\n    action: deny\n    message: "Do not send production credentials to the model."\n',
    );
    const denied = await run(policy, [join(AGENTS, 'openai-responses.mjs'), 'What is the Production Database Password?']);
    expect(denied.out.status).toBe(403);
    expect(denied.out.code).toBe('rule:no-prod');
    expect(denied.out.error).toContain('Do not send production credentials to the model.');
    const allowed = await run(policy, [join(AGENTS, 'openai-responses.mjs'), 'What is the weather?']);
    expect(allowed.out.ok).toBe(true);
  });

  it('denies an ask in CI mode with a reason saying approval was needed and --ci was given', async () => {
    const policy = policyFile('version: 1\nrules:\n  - id: codenames\n    on: request\n    match: { words: [bluebird] }\n    action: ask\n');
    const { r, out, lines } = await run(policy, [join(AGENTS, 'openai-chat.mjs'), 'tell me about bluebird'], { flags: ['--ci', '--fail-on-deny'] });
    expect(out.status).toBe(403);
    expect(out.error).toMatch(/approval/i);
    expect(out.error).toContain('--ci');
    expect(lines().find((l) => l.type === 'decision')).toMatchObject({ verdict: 'deny', decidedBy: 'ci' });
    expect(r.exitCode).toBe(1); // the agent's own failure wins over --fail-on-deny
  });

  it('--fail-on-deny turns a successful child into exit 65 when something was denied', async () => {
    const policy = policyFile('version: 1\nmodels:\n  deny: ["gpt-5-nano"]\n');
    const script = join(dir, 'tolerant.sh');
    writeFileSync(script, `node ${join(AGENTS, 'openai-chat.mjs')} --model gpt-5-nano --no-retry; exit 0\n`);
    const sessionFile = join(dir, 'tolerant.jsonl');
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--session-file', sessionFile, '--policy', policy, '--fail-on-deny', '--', 'sh', script], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(r.exitCode).toBe(65);
  });

  it('asks (and so in CI denies) above the cost threshold and beyond the budget', async () => {
    const threshold = policyFile('version: 1\ncost:\n  approve_over_usd: 0.000001\n');
    const a = await run(threshold, [join(AGENTS, 'openai-chat.mjs'), '--model', 'gpt-4.1'], { env: { CI: 'true' } });
    expect(a.out.status).toBe(403);
    expect(a.out.code).toBe('cost.threshold');
    expect(a.out.error).toContain('the CI variable is set');
    const budget = policyFile('version: 1\ncost:\n  approve_over_usd: null\n  session_budget_usd: 0.000001\n');
    const b = await run(budget, [join(AGENTS, 'openai-chat.mjs'), '--model', 'gpt-4.1'], { env: { CI: 'true' } });
    expect(b.out.code).toBe('cost.budget');
    const decision = b.lines().find((l) => l.type === 'decision')!;
    expect(decision.estimateUsd).toBeGreaterThan(0);
    expect(decision.estimateIsBound).toBeUndefined(); // near a limit, tokens were counted for real
    const exact = a.lines().find((l) => l.type === 'decision')!;
    expect(exact.estimateIsBound).toBeUndefined();
    // 4,096 assumed output tokens of gpt-4.1 ($8/M) plus a few input tokens ($2/M): the bound would add 1,024+ tokens.
    expect(exact.estimateUsd).toBeGreaterThan(0.0327);
    expect(exact.estimateUsd).toBeLessThan(0.0327 + 0.0005);
  });
});

describe('secrets', () => {
  it('denies a request carrying a secret (outbound: deny) and never records it', async () => {
    const policy = policyFile('version: 1\nsecrets:\n  outbound: deny\n');
    upstream.requests.length = 0;
    const { out, sessionFile, r } = await run(policy, [join(AGENTS, 'openai-chat.mjs'), `my key is ${PLANTED}`]);
    expect(out.status).toBe(403);
    expect(out.code).toBe('secrets');
    expect(upstream.requests).toHaveLength(0);
    const file = readFileSync(sessionFile, 'utf8');
    expect(file).not.toContain(PLANTED);
    expect(file).toContain('[REDACTED:openai-key]');
    expect(String(r.stderr) + String(r.stdout)).not.toContain(PLANTED);
  });

  it('finds a secret that JSON escaping would hide from a scan of the raw body', async () => {
    const policy = policyFile('version: 1\nsecrets:\n  outbound: deny\n');
    // In the request body this is password=\"…\": only the decoded string shows the assignment.
    const { out, sessionFile } = await run(policy, [join(AGENTS, 'openai-chat.mjs'), 'use password="fake-test-hunter22" please']);
    expect(out.status).toBe(403);
    expect(out.code).toBe('secrets');
    expect(readFileSync(sessionFile, 'utf8')).not.toContain('fake-test-hunter22');
  });

  it('redacts a secret before it leaves (outbound: redact)', async () => {
    const policy = policyFile('version: 1\nsecrets:\n  outbound: redact\n  patterns:\n    - { id: acme-token, regex: "ACME-[0-9]{8}" }\n');
    upstream.requests.length = 0;
    const { out } = await run(policy, [join(AGENTS, 'openai-chat.mjs'), `[[echo]] keys ${PLANTED} and ACME-12345678`]);
    expect(out.ok).toBe(true);
    const sent = upstream.requests[0].body.toString('utf8');
    expect(sent).not.toContain(PLANTED);
    expect(sent).not.toContain('ACME-12345678');
    expect(sent).toContain('[REDACTED:openai-key]');
    expect(sent).toContain('[REDACTED:acme-token]');
    expect(() => JSON.parse(sent)).not.toThrow();
  });

  it('masks a secret split across stream events before the agent sees it', async () => {
    for (const agent of ['openai-chat.mjs', 'openai-responses.mjs']) {
      const { out, sessionFile } = await run(undefined, [join(AGENTS, agent), '--stream', `[[say:here it is ${PLANTED} done]] [[chunk:3]]`]);
      expect(out.ok, agent).toBe(true);
      expect(out.text).toBe('here it is [REDACTED:openai-key] done');
      expect(readFileSync(sessionFile, 'utf8')).not.toContain(PLANTED);
    }
  });
});

describe('tool calls the model returns', () => {
  const rules = 'version: 1\nrules:\n  - id: destructive-shell\n    on: response\n    match: { tool: "^(shell|bash)$", arguments: "rm\\\\s+-rf" }\n    action: deny\n';

  it('holds a streamed dangerous tool call and ends the stream with the rule in the error', async () => {
    const policy = policyFile(rules);
    for (const agent of ['openai-chat.mjs', 'openai-responses.mjs']) {
      const { out, lines } = await run(policy, [join(AGENTS, agent), '--stream', '[[tool:shell {"cmd":"rm -rf /"}]]']);
      expect(out.ok, agent).toBe(false);
      expect(out.error, agent).toContain('destructive-shell');
      expect(JSON.stringify(out)).not.toContain('rm -rf /"'); // the call never reached the agent
      expect(lines().some((l) => l.type === 'decision' && l.phase === 'response' && l.verdict === 'deny')).toBe(true);
    }
  });

  it('releases a harmless tool call and denies a dangerous one in a plain response', async () => {
    const policy = policyFile(rules);
    const ok = await run(policy, [join(AGENTS, 'openai-chat.mjs'), '[[tool:shell {"cmd":"ls"}]]']);
    expect(ok.out.ok).toBe(true);
    const bad = await run(policy, [join(AGENTS, 'openai-chat.mjs'), '[[tool:shell {"cmd":"rm -rf /"}]]']);
    expect(bad.out.status).toBe(403);
    expect(bad.out.code).toBe('rule:destructive-shell');
    // The record says what the agent received (403, guardrun's error), and keeps the withheld answer with its own status.
    const response = bad.lines().find((l) => l.type === 'response') as { status: number; upstreamStatus?: number; error?: { code: string }; source: string };
    expect(response).toMatchObject({ status: 403, upstreamStatus: 200, error: { code: 'rule:destructive-shell' }, source: 'guardrun' });
  });

  it("`guardrun init`'s destructive-shell example, uncommented, holds Claude Code's Bash and Codex's shell calls", async () => {
    const cwd = tempDir();
    expect((await guardrun(['init'], { cwd })).exitCode).toBe(0);
    const file = join(cwd, 'guardrun.yaml');
    // What a user does with the template: uncomment the example rules.
    writeFileSync(file, readFileSync(file, 'utf8').replace('rules: []', 'rules:').replace(/^  # (- id|  on|  match|  action|  message)/gm, '  $1'));
    const calls: Array<[string, string]> = [['anthropic.mjs', '[[tool:Bash {"command":"rm -rf /tmp/x","description":"clean up"}]]'], ['openai-chat.mjs', '[[tool:shell {"command":["bash","-lc","rm -rf /tmp/x"]}]]']];
    for (const [agent, prompt] of calls) {
      const sessionFile = join(dir, `session${++n}.jsonl`);
      const r = await guardrun(
        ['--ci', '--key-env', 'OPENAI_REAL', '--key-env', 'anthropic=ANTHROPIC_REAL', '--upstream', upstream.url, '--anthropic-upstream', upstream.url, '--session-file', sessionFile, '--', 'node', join(AGENTS, agent), prompt],
        { cwd, env: { OPENAI_REAL: FAKE_OPENAI_KEY, ANTHROPIC_REAL: FAKE_ANTHROPIC_KEY } },
      );
      const out = agentResult(r.stdout);
      expect(out.status, `${agent}: ${String(r.stderr)}`).toBe(403);
      expect(out.error, agent).toContain('rule:destructive-shell');
      expect(readLines(sessionFile).filter((l) => l.type === 'decision' && l.phase === 'response').map((l) => [l.verdict, l.rules])).toEqual([['deny', ['rule:destructive-shell']]]);
    }
  });

  it('lets an @openai/agents tool loop through under the default policy', async () => {
    const { out, r } = await run(undefined, [join(AGENTS, 'agents-sdk.mjs'), '--stream']);
    expect(out.ok, String(r.stderr)).toBe(true);
  });
});
