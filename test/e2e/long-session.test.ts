// End-to-end: a 60-turn agent session that re-sends its whole conversation every turn (the real `openai` client
// against the fake upstream) is recorded in parts (format 2), reads back whole, re-runs offline identically, and
// an edit to one part it shares breaks verification at every exchange that uses it.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_OPENAI_KEY, agentResult, guardrun, keyArgs, readLines, tempDir } from './harness.js';

const AGENT = join(AGENTS, 'long-session.mjs');
const TURNS = 60;
let dir: string;
let file: string;
let recorded: Record<string, any>;
let trap: FakeUpstream;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v ?? null)).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

beforeAll(async () => {
  dir = tempDir('guardrun-long-e2e-');
  file = join(dir, 'long.jsonl');
  const upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  try {
    const r = await guardrun([...keyArgs(upstream.url, file), '--', 'node', AGENT, '--turns', String(TURNS)], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    if (r.exitCode !== 0) throw new Error(`recording failed: ${String(r.stderr)}${String(r.stdout)}`);
    recorded = agentResult(r.stdout);
  } finally {
    await upstream.close();
  }
  trap = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
}, 120_000);

afterAll(async () => {
  await trap?.close();
});

describe(`a ${TURNS}-turn session recorded in parts`, () => {
  it('grows with what is new (each turn: the previous conversation plus its new messages) and reads back whole', async () => {
    expect(recorded).toMatchObject({ ok: true, turns: TURNS });
    const lines = readLines(file);
    expect(lines[0]).toMatchObject({ type: 'session.start', version: 2 });
    const requests = lines.filter((l) => l.type === 'request');
    expect(requests).toHaveLength(TURNS);
    for (const r of requests.slice(2)) expect(r.body.lists.messages).toMatchObject({ from: r.id - 1 });
    const r = await guardrun(['replay', file, '--json', '--full']);
    const doc = JSON.parse(String(r.stdout));
    expect(doc.chain).toMatchObject({ ok: true, breaks: [] });
    const bodies = doc.exchanges.map((e: { requestBody: { json: unknown } }) => e.requestBody.json);
    // The last body is exactly what the agent sent, every earlier message included.
    expect(createHash('sha256').update(canonical(bodies.at(-1))).digest('hex')).toBe(recorded.lastRequest);
    expect((bodies.at(-1) as { messages: unknown[] }).messages).toHaveLength(2 * TURNS); // the system prompt, every question, every answer but the last
    // Distinct content: the last request (it holds every earlier message) and the answers. Whole bodies: ~30x.
    const answers = lines.filter((l) => l.type === 'response').reduce((n, l) => n + JSON.stringify(l.body).length, 0);
    expect(statSync(file).size).toBeLessThan(1.5 * (JSON.stringify(bodies.at(-1)).length + answers));
  });

  it('re-runs offline identically: every request matched, the same answers', async () => {
    const out = join(dir, 'again.jsonl');
    const r = await guardrun(['replay', file, '--session-file', out, '--', 'node', AGENT, '--turns', String(TURNS)], { env: { GUARDRUN_OPENAI_UPSTREAM: trap.url } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const again = agentResult(r.stdout);
    expect(again.answers).toEqual(recorded.answers);
    expect(again.lastRequest).toBe(recorded.lastRequest);
    expect(String(r.stderr)).toMatch(new RegExp(`guardrun replay: matched the recording; ${TURNS} of ${TURNS} requests answered from`));
    expect(new Set(readLines(out).filter((l) => l.type === 'response').map((l) => l.source))).toEqual(new Set(['replay']));
    expect(trap.requests).toHaveLength(0);
    const verified = await guardrun(['replay', out, '--verify-only']);
    expect(verified.exitCode, String(verified.stdout)).toBe(0);
  });

  it('reports an edit to the shared system prompt at every exchange, also after every hash was recomputed up to it', async () => {
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const at = lines.findIndex((l) => l.startsWith('{"seq"') && l.includes('"type":"blob"') && l.includes('You are a coding agent.'));
    expect(at).toBeGreaterThan(0);
    lines[at] = lines[at].replace('You are a coding agent.', 'You are a careless agent.');
    const edited = join(dir, 'edited.jsonl');
    writeFileSync(edited, `${lines.join('\n')}\n`);
    const r = await guardrun(['replay', edited, '--verify-only', '--json']);
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(String(r.stdout));
    expect(doc.ok).toBe(false);
    expect(doc.chain.breaks.filter((b: { kind: string }) => b.kind === 'edited').map((b: { line: number }) => b.line)).toEqual([at + 1]);
    const references = doc.chain.breaks.filter((b: { kind: string }) => b.kind === 'reference');
    expect(references).toHaveLength(TURNS);
    expect(references[0].message).toMatch(/which was changed after it was written/);
  });
});
