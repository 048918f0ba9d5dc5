// End-to-end: spend you can trust. Each case is a traffic shape that used to pass a budget or record $0,
// run through the built CLI against the fake upstream (CI mode: an ask is a deny).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, agentResult, guardrun, readLines, tempDir } from './harness.js';

let upstream: FakeUpstream;
let dir: string;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY, anthropicKey: FAKE_ANTHROPIC_KEY });
  dir = tempDir();
});
afterAll(async () => upstream?.close());

const SPEND = join(AGENTS, 'spend.mjs');
// $2 in, $8 out per million tokens: one request of ~1,100 input tokens (the bound) and 1,000 output ≈ $0.0103.
const PRICED = 'version: 1\ncost:\n  approve_over_usd: null\n  assume_output_tokens: 1000\n  prices:\n    "test-model": { input: 2, output: 8 }\n';

let n = 0;
function policyFile(yaml: string): string {
  const file = join(dir, `policy${++n}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

async function run(agent: string[], o: { policy?: string; flags?: string[] } = {}) {
  const sessionFile = join(dir, `session${++n}.jsonl`);
  const r = await guardrun(
    [
      '--key-env', 'OPENAI_REAL', '--key-env', 'anthropic=ANTHROPIC_REAL', '--upstream', upstream.url, '--anthropic-upstream', upstream.url,
      '--session-file', sessionFile, '--ci', ...(o.policy ? ['--policy', o.policy] : []), ...(o.flags ?? []), '--', 'node', ...agent,
    ],
    { env: { OPENAI_REAL: FAKE_OPENAI_KEY, ANTHROPIC_REAL: FAKE_ANTHROPIC_KEY } },
  );
  const lines = readLines(sessionFile);
  return {
    r,
    out: agentResult(r.stdout),
    lines,
    decisions: lines.filter((l) => l.type === 'decision' && l.phase === 'request'),
    responses: lines.filter((l) => l.type === 'response'),
    end: lines.find((l) => l.type === 'session.end')!,
  };
}

describe('a budget that holds under concurrency', () => {
  it('twelve requests sent at once against a slow upstream cannot together pass the budget', async () => {
    upstream.requests.length = 0;
    const { out, r, decisions, responses, end } = await run(
      [SPEND, 'parallel', '--count', '12', '--model', 'test-model', '--max-tokens', '1000', '--prompt', '[[slow:1500]] [[usage:20,1000]] spend'],
      { policy: policyFile(PRICED), flags: ['--budget', '0.05'] },
    );
    expect(out.ok, String(r.stderr)).toBe(true);
    // Truly in parallel: all twelve were sent, and the allowed ones reached the upstream together, each
    // answered after 1.5 s, so every decision was taken while others were in flight.
    expect(out.sentAt.every((t: number) => t < 500)).toBe(true);
    const arrivals = upstream.requests.filter((q) => q.path.endsWith('/chat/completions')).map((q) => q.time);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(1000);
    expect(out.ms).toBeLessThan(2 * 1500 + 1500);

    const allowed = out.statuses.filter((s: number) => s === 200).length;
    const admitted = decisions.filter((d) => d.verdict === 'allow').map((d) => d.estimateUsd as number);
    expect(admitted).toHaveLength(allowed);
    // Each is estimated at ~$0.0081 (its bound: the prompt at its size, 1000 output tokens; counted exactly once
    // the bound nears the limit), so six fit. Together they hold no more than the budget; the other six are refused.
    expect(allowed).toBe(6);
    expect(admitted.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(0.05);
    expect(out.codes.filter((c: string | null) => c === 'cost.budget')).toHaveLength(12 - allowed);
    expect(end.costUsd).toBeLessThanOrEqual(0.05 + Math.max(...admitted));
    expect(responses.filter((x) => x.status === 200).every((x) => x.costUsd > 0 && !x.costEstimated)).toBe(true);
    // The refused ones saw the others' reservations, not a spend of 0.
    const denied = decisions.filter((d) => d.verdict === 'deny');
    expect(denied.every((d) => d.spendUsd === 0 && d.reservedUsd + d.estimateUsd > 0.05)).toBe(true);
    expect(String(r.stderr)).toContain('guardrun: session budget $0.05 (--budget)');
    expect(String(r.stderr)).toMatch(/\(12 requests, \$0\.0\d{2,3} of \$0\.05 budget\)/);
  });
});

describe('every billed answer is charged', () => {
  it('asks a usage-less chat stream for its usage, keeps the extra from the agent, and charges it', async () => {
    upstream.requests.length = 0;
    const { out, r, responses, decisions } = await run(
      [SPEND, 'streams', '--count', '12', '--model', 'test-model', '--prompt', '[[usage:1200,1000]] [[say:Hello there.]] count me'],
      { policy: policyFile(PRICED), flags: ['--budget', '0.05'] },
    );
    expect(out.ok, String(r.stderr)).toBe(true);
    const served = out.requests.filter((q: { ok: boolean }) => q.ok);
    // $0.0104 billed each; the fifth fits only once counted exactly near the limit; the sixth would pass $0.05.
    expect(served.length).toBe(5);
    for (const q of served) expect(q).toMatchObject({ usageFields: 0, emptyChoices: 0, text: 'Hello there.' });
    expect(out.requests.slice(5).every((q: { code: string }) => q.code === 'cost.budget')).toBe(true);
    const sent = upstream.requests.filter((q) => q.path.endsWith('/chat/completions')).map((q) => JSON.parse(q.body.toString('utf8')));
    expect(sent.length).toBe(5);
    expect(sent.every((b) => b.stream_options?.include_usage === true)).toBe(true);
    const ok = responses.filter((x) => x.status === 200);
    expect(ok.every((x) => x.usage?.inputTokens === 1200 && x.usage?.outputTokens === 1000 && Math.abs(x.costUsd - 0.0104) < 1e-9)).toBe(true);
    expect(JSON.stringify(ok.flatMap((x) => x.events))).not.toContain('usage'); // recorded as the agent received it
    expect(decisions.at(-1)!.spendUsd).toBeCloseTo(0.052, 9);
  });

  it('reads on after the agent leaves a Responses stream at output_item.done (as Codex does), and charges the reported usage', async () => {
    const { out, r, responses, end } = await run(
      [SPEND, 'leave', '--path', '/responses', '--after', 'response.output_item.done', '--gap-ms', '60', '--model', 'test-model', '--prompt', '[[usage:1200,1000]] bye'],
      { policy: policyFile(PRICED) },
    );
    expect(out, String(r.stderr)).toMatchObject({ ok: true, left: true });
    expect(out.events).not.toContain('response.completed');
    expect(responses[0]).toMatchObject({ usage: { inputTokens: 1200, outputTokens: 1000 }, error: { code: 'guardrun_client_closed' } });
    expect(responses[0].costUsd).toBeCloseTo(0.0104, 9);
    expect(responses[0].costEstimated).toBeUndefined();
    expect(end.costUsd).toBeCloseTo(0.0104, 9);
  });

  it('charges an estimate, marked as such, when the upstream breaks before its usage', async () => {
    const { responses, end, r } = await run([SPEND, 'leave', '--path', '/chat/completions', '--after', 'never', '--model', 'test-model', '--prompt', '[[cut:4]] [[say:A long answer that stops.]] go'], { policy: policyFile(PRICED) });
    expect(responses[0].usage).toBeUndefined();
    expect(responses[0]).toMatchObject({ costEstimated: true, usageEstimated: { outputTokens: expect.any(Number) } });
    // Cut short: at least the request's own estimate (its bound input and the assumed 1,000 output tokens).
    expect(responses[0].costUsd).toBeGreaterThanOrEqual(0.008);
    expect(end.costEstimatedUsd).toBeCloseTo(responses[0].costUsd, 9);
    expect(String(r.stderr)).toMatch(/\(1 request, \$0\.0\d{3} of \$5\.00 budget: \$0\.00 reported, \$0\.0\d{3} estimated\)/);
  });

  const DENY_SHELL = 'version: 1\ncost:\n  prices:\n    "test-model": { input: 2, output: 8 }\n    "claude-test": { input: 3, output: 15 }\nrules:\n  - id: destructive-shell\n    on: response\n    match: { tool: "^shell$", arguments: "rm -rf" }\n    action: deny\n';
  it.each([
    ['chat', join(AGENTS, 'openai-chat.mjs'), 'test-model', (2 * 500 + 8 * 60) / 1e6],
    ['Responses', join(AGENTS, 'openai-responses.mjs'), 'test-model', (2 * 500 + 8 * 60) / 1e6],
    ['Anthropic', join(AGENTS, 'anthropic.mjs'), 'claude-test', (3 * 500 + 15 * 60) / 1e6],
  ])('charges a %s stream whose tool call a rule denied: the usage after the decision is read', async (_kind, agent, model, usd) => {
    const { out, responses, lines } = await run([agent, '--stream', '--model', model, '[[usage:500,60]] [[tool:shell {"cmd":"rm -rf /"}]]'], { policy: policyFile(DENY_SHELL) });
    expect(out.ok).toBe(false);
    expect(lines.some((l) => l.type === 'decision' && l.phase === 'response' && l.verdict === 'deny')).toBe(true);
    expect(responses[0].usage).toMatchObject({ inputTokens: 500, outputTokens: 60 });
    expect(responses[0].costUsd).toBeCloseTo(usd, 12);
    expect(responses[0].costEstimated).toBeUndefined();
  });
});

describe('prices from the bundled data, the policy, or a guess', () => {
  it("prices Claude Code's default model from the data, and guesses Codex's, both passing the default policy in CI", async () => {
    const claude = await run([join(AGENTS, 'anthropic.mjs'), '--stream', '--model', 'claude-opus-5-5', '[[usage:10000,1000]] hi']);
    expect(claude.out.ok, String(claude.r.stderr)).toBe(true);
    expect(claude.decisions[0]).toMatchObject({ verdict: 'allow' });
    expect(claude.decisions[0].priceIsGuess).toBeUndefined();
    expect(claude.responses[0].costUsd).toBeCloseTo((10000 * 4 + 1000 * 20) / 1e6, 12);

    const codex = await run([join(AGENTS, 'openai-responses.mjs'), '--stream', '--model', 'gpt-6.2-sol', '[[usage:10000,1000]] hi']);
    expect(codex.out.ok, String(codex.r.stderr)).toBe(true);
    expect(codex.decisions[0]).toMatchObject({ verdict: 'allow', priceIsGuess: true, priceEntry: 'gpt-5.6-sol' });
    expect(codex.responses[0]).toMatchObject({ priceIsGuess: true, priceEntry: 'gpt-5.6-sol' });
    expect(codex.responses[0].costUsd).toBeGreaterThan(0);
    expect(String(codex.r.stderr)).toMatch(/budget: \$0\.00 reported, \$0\.\d{2,4} estimated\)/);
  });

  it('keeps cost.unknown_model: ask for those who want it (denied in CI)', async () => {
    const { out } = await run([join(AGENTS, 'openai-chat.mjs'), '--model', 'gpt-6.2-sol', '--no-retry'], { policy: policyFile('version: 1\ncost: { unknown_model: ask }\n') });
    expect(out).toMatchObject({ status: 403, code: 'cost.unknown-price' });
  });

  it("lets the policy's own prices win, and prices a flex request at half", async () => {
    const policy = policyFile('version: 1\ncost:\n  prices:\n    "gpt-4.1": { input: 10, output: 10 }\n');
    const body = (tier?: string) => JSON.stringify({ model: 'gpt-4.1', input: '[[usage:100000,0]] hi', ...(tier ? { service_tier: tier } : {}) });
    const standard = await run([SPEND, 'once', '--path', '/responses', '--body', body()], { policy });
    const flex = await run([SPEND, 'once', '--path', '/responses', '--body', body('flex')], { policy });
    expect(standard.responses[0].costUsd).toBeCloseTo(1, 12); // 100,000 tokens at the policy's $10, not the data's $2
    expect(standard.responses[0].priceEntry).toBe('gpt-4.1');
    expect(flex.out.body.service_tier).toBe('flex');
    expect(flex.responses[0]).toMatchObject({ tier: 'flex', tierFactor: 0.5, usage: { serviceTier: 'flex' } });
    expect(flex.responses[0].costUsd).toBeCloseTo(0.5, 12);
  });

  it('`guardrun prices MODEL` shows the price in force, its source and date', async () => {
    const r = await guardrun(['prices', 'gpt-6.2-sol', '--json'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    const view = JSON.parse(String(r.stdout));
    expect(view).toMatchObject({ model: 'gpt-6.2-sol', provider: 'openai', source: 'guess', entry: 'gpt-5.6-sol' });
    expect(view.sourceText).toMatch(/@pydantic\/genai-prices \d+\.\d+\.\d+ \(data of \d{4}-\d{2}-\d{2}\)/);
    const text = await guardrun(['prices', 'claude-opus-5-5'], { cwd: dir });
    expect(String(text.stdout)).toMatch(/price from\s+@pydantic\/genai-prices/);
    expect(String(text.stdout)).toMatch(/output\s+\$20 per 1M tokens/);
  });

  it("`guardrun prices MODEL --provider P` refuses a model P does not sell, naming the model's provider", async () => {
    const r = await guardrun(['prices', 'gpt-4.1-mini', '--provider', 'anthropic'], { cwd: dir });
    expect(r.exitCode).toBe(64);
    expect(String(r.stdout)).toBe('');
    expect(String(r.stderr)).toBe('guardrun: anthropic has no model "gpt-4.1-mini": the bundled prices list it under OpenAI [E_USAGE]\nfix: guardrun prices gpt-4.1-mini --provider openai, or leave --provider out');
    const right = await guardrun(['prices', 'gpt-4.1-mini', '--provider', 'openai'], { cwd: dir });
    expect(String(right.stdout)).toMatch(/^gpt-4\.1-mini \(openai\)\n/);
    expect(String(right.stdout)).toContain('tiers            flex x0.5');
  });
});

describe('the command line', () => {
  it('--approve-over overrides the policy for this run, and is shown at start', async () => {
    const { out, r, lines } = await run([join(AGENTS, 'openai-chat.mjs'), '--model', 'test-model', '--no-retry'], { policy: policyFile(PRICED), flags: ['--approve-over', '0.001'] });
    expect(out).toMatchObject({ status: 403, code: 'cost.threshold' });
    expect(String(r.stderr)).toContain('asks above $0.0010 a request (--approve-over)');
    expect(lines[0].policy.overrides).toEqual({ approve_over_usd: 0.001 });
  });

  it('refuses a budget that is not an amount', async () => {
    const r = await guardrun(['--budget', 'lots', '--', 'node', '-e', '0']);
    expect(r.exitCode).toBe(64);
    expect(String(r.stderr)).toContain('--budget expects an amount in USD, got "lots" [E_USAGE]');
  });
});

describe('replay shows reported and estimated spend', () => {
  it('in the timeline and in --json', async () => {
    const policy = policyFile(PRICED);
    const { lines } = await run([SPEND, 'leave', '--path', '/chat/completions', '--after', 'never', '--model', 'test-model', '--prompt', '[[cut:3]] [[say:Cut off in the middle.]] go'], { policy });
    const file = join(dir, `session${n}.jsonl`);
    expect(lines.at(-1)!.type).toBe('session.end');
    const json = JSON.parse(String((await guardrun(['replay', file, '--json'])).stdout));
    expect(json.totals.estimatedUsd).toBeGreaterThan(0);
    expect(json.totals.reportedUsd).toBe(0);
    expect(json.exchanges[0]).toMatchObject({ costEstimated: true, usageEstimated: { inputTokens: expect.any(Number) } });
    const text = String((await guardrun(['replay', file])).stdout);
    expect(text).toMatch(/~\$0\.0\d{3}/);
    expect(text).toMatch(/spent \(\$0\.00 reported, \$0\.0\d{3} estimated\)/);
    expect(text).toContain('cost estimated: the provider reported no usage');
  });
});
