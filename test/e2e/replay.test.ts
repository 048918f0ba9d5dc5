// End-to-end: record agents against the fake upstream, close it, then re-run them offline from the recording.
import { connect } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_OPENAI_KEY, ROOT, agentResult, guardrun, keyArgs, readLines, tempDir } from './harness.js';

const CHAT = join(AGENTS, 'openai-chat.mjs');
const AGENTS_SDK = join(AGENTS, 'agents-sdk.mjs');
const RESPONSES_WS = join(AGENTS, 'openai-responses-ws.mjs');
const REALTIME = join(AGENTS, 'realtime-agent.mjs');
let allowUnpriced: string[];

interface Recording {
  file: string;
  command: string[];
  result: Record<string, any>;
}

let dir: string;
let closedPort: number;
let trap: FakeUpstream;
const recordings: Record<string, Recording> = {};
let n = 0;
const sessionPath = (name: string): string => join(dir, `${name}-${++n}.jsonl`);

/** Refused connection: nothing listens on the port the recordings name as their upstream. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

beforeAll(async () => {
  dir = tempDir('guardrun-replay-e2e-');
  const upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  try {
    // The realtime model has no bundled price: allow unpriced models for it.
    const policyFile = join(dir, 'unpriced.yaml');
    writeFileSync(policyFile, 'version: 1\ncost:\n  unknown_model: allow\n');
    allowUnpriced = ['--policy', policyFile];
    const record = async (name: string, command: string[], flags: string[] = []): Promise<void> => {
      const file = sessionPath(name);
      const r = await guardrun([...keyArgs(upstream.url, file), ...flags, '--', ...command], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
      if (r.exitCode !== 0) throw new Error(`recording ${name} failed: ${String(r.stderr)}${String(r.stdout)}`);
      recordings[name] = { file, command, result: agentResult(r.stdout) };
    };
    await record('chat', ['node', CHAT, 'Say hello.']);
    await record('chat-secret', ['node', CHAT, 'Deploy with AKIAFAKETEST00000000 please.']);
    await record('chat-stream', ['node', CHAT, '--stream', 'Stream a hello. [[chunk:3]]']);
    await record('agents-sdk', ['node', AGENTS_SDK]);
    await record('agents-sdk-stream', ['node', AGENTS_SDK, '--stream']);
    await record('responses-ws', ['node', RESPONSES_WS, 'list files [[tool:shell {"cmd":"ls"}]]']);
    await record('realtime', ['node', REALTIME, 'list files [[tool:shell {"cmd":"ls"}]]'], allowUnpriced);
  } finally {
    closedPort = upstream.port;
    await upstream.close();
  }
  // Where a re-run would go if it used the network by the environment's route: it must stay empty.
  trap = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
}, 120_000);

afterAll(async () => {
  await trap?.close();
});

/** `guardrun replay FILE [...flags] -- command`, with no key anywhere and the upstream variable pointing at the trap. */
function replay(file: string, command: string[], flags: string[] = [], out = sessionPath('rerun')) {
  return { out, run: guardrun(['replay', file, '--session-file', out, ...flags, '--', ...command], { env: { GUARDRUN_OPENAI_UPSTREAM: trap.url } }) };
}

describe('guardrun replay FILE -- command (offline re-run)', () => {
  it('the recorded upstream is gone: its port refuses connections', async () => {
    expect(await refused(closedPort)).toBe(true);
    const header = readLines(recordings.chat.file)[0];
    expect(header.upstreams.openai).toBe(`http://127.0.0.1:${closedPort}`);
  });

  for (const name of ['chat', 'chat-stream', 'agents-sdk', 'agents-sdk-stream']) {
    it(`re-runs the ${name} agent offline and matches the recording exactly`, async () => {
      const rec = recordings[name];
      const { out, run } = replay(rec.file, rec.command);
      const r = await run;
      expect(r.exitCode, String(r.stderr) + String(r.stdout)).toBe(0);
      const result = agentResult(r.stdout);
      expect(result.ok).toBe(true);
      expect(result.text).toBe(rec.result.text);
      expect(result.toolCalls).toEqual(rec.result.toolCalls);
      if (rec.result.chunks !== undefined) expect(result.chunks).toBe(rec.result.chunks);
      expect(String(r.stderr)).toMatch(/guardrun replay: matched the recording; (\d+) of \1 requests? answered from /);

      const original = readLines(rec.file);
      const again = readLines(out);
      expect(again[0].replayOf).toEqual({ file: rec.file, session: original[0].session });
      const responses = (lines: Array<Record<string, any>>) => lines.filter((l) => l.type === 'response');
      expect(responses(again).map((l) => l.status)).toEqual(responses(original).map((l) => l.status));
      expect(new Set(again.filter((l) => l.type === 'response').map((l) => l.source))).toEqual(new Set(['replay']));
      // Streams come back as streams. (Event for event they pass guardrun's response filter again, whose
      // stream masker may move text between events; the text itself is the same, as the agent's result shows.)
      expect(responses(again).map((l) => l.events !== undefined)).toEqual(responses(original).map((l) => l.events !== undefined));
      expect(responses(again).map((l) => l.usage)).toEqual(responses(original).map((l) => l.usage));
      expect(readFileSync(out, 'utf8')).not.toContain(FAKE_OPENAI_KEY);
      expect(trap.requests).toHaveLength(0);
    });
  }

  it('re-runs WebSocket agents offline (Responses WebSocket mode, Realtime) from the recording', async () => {
    for (const [name, flags] of [['responses-ws', []], ['realtime', allowUnpriced]] as const) {
      const rec = recordings[name];
      const { out, run } = replay(rec.file, rec.command, [...flags]);
      const r = await run;
      expect(r.exitCode, String(r.stderr) + String(r.stdout)).toBe(0);
      const result = agentResult(r.stdout);
      expect(result).toMatchObject({ ok: true, text: rec.result.text });
      expect(result.text).toContain('Tool said');
      expect(String(r.stderr)).toMatch(/guardrun replay: matched the recording; (\d+) of \1 requests answered from /);
      // The same exchanges with the same answers. Compared as a set: the Agents SDK sends a Realtime
      // `session.update` when the server's greeting arrives, which may come before or after its first item, so the
      // exchange ids of those two can swap between runs (the agent's timing, not guardrun's).
      const responses = (lines: Array<Record<string, any>>) =>
        lines.filter((l) => l.type === 'response').map((l) => JSON.stringify([l.status, l.transport, l.usage ?? null])).sort();
      const again = readLines(out);
      expect(responses(again)).toEqual(responses(readLines(rec.file)));
      expect(new Set(again.filter((l) => l.type === 'response').map((l) => l.source))).toEqual(new Set(['replay']));
      expect(again.find((l) => l.type === 'ws.upgrade')).toMatchObject({ status: 101 });
    }
    expect(trap.requests).toHaveLength(0);
  });

  it('fails closed when a WebSocket event differs from the recording: an error event, exit 1', async () => {
    const rec = recordings['responses-ws'];
    const r = await replay(rec.file, ['node', RESPONSES_WS, 'something else']).run;
    expect(r.exitCode).toBe(1);
    expect(agentResult(r.stdout).failed).toMatchObject({ code: 'guardrun_replay_no_match', status: 400 });
    expect(String(r.stderr)).toContain('WebSocket message 1 of the re-run (connection 1, /v1/responses) has no match in the recording');
    expect(String(r.stderr)).toContain('body differs at /input');
  });

  it('keeps the recorded timing with --realtime', async () => {
    const rec = recordings['chat-stream'];
    const r = await replay(rec.file, rec.command, ['--realtime']).run;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(agentResult(r.stdout).chunks).toBe(rec.result.chunks);
  });

  it('fails closed when the prompt changed: the agent gets a 409 naming the divergence, guardrun exits 1', async () => {
    const rec = recordings.chat;
    const { out, run } = replay(rec.file, ['node', CHAT, '--no-retry', 'Say goodbye.']);
    const r = await run;
    expect(r.exitCode).toBe(1);
    const result = agentResult(r.stdout);
    expect(result).toMatchObject({ ok: false, status: 409, code: 'guardrun_replay_no_match' });
    expect(result.error).toContain('nearest is recorded #1 (POST /v1/chat/completions): the body differs at /messages/0/content: recorded "Say hello.", now "Say goodbye."');
    const stderr = String(r.stderr);
    expect(stderr).toMatch(/the run diverged from the recording \(1 request without a match/);
    expect(stderr).toContain('request 1 of the re-run (POST /v1/chat/completions) has no match in the recording');
    expect(stderr).toMatch(/1 recorded answer was never asked for: #1 POST \/v1\/chat\/completions/);
    expect(readLines(out).find((l) => l.type === 'response')?.status).toBe(409);
    expect(trap.requests).toHaveLength(0);
  });

  it('fails closed when the agent makes more requests than were recorded', async () => {
    const rec = recordings.chat;
    const r = await replay(rec.file, ['sh', '-c', `node ${CHAT} --no-retry 'Say hello.' && node ${CHAT} --no-retry 'Say hello.'`]).run;
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain('every recorded openai answer was already used');
  });

  it('still applies the policy: a stricter one denies the recorded request before the recording is asked', async () => {
    const rec = recordings.chat;
    const r = await replay(rec.file, ['node', CHAT, '--no-retry', 'Say hello.'], ['--policy', join(ROOT, 'fixtures/policies/strict.yaml')]).run;
    expect(r.exitCode).toBe(1); // the agent's own failure: nothing diverged
    expect(agentResult(r.stdout)).toMatchObject({ ok: false, status: 403, code: 'model' });
    expect(String(r.stderr)).toMatch(/denied 1 time:\n\s+#1 POST \/v1\/chat\/completions\s+model \(policy\)/);
    expect(String(r.stderr)).not.toContain('diverged');
  });

  it('takes a recorded human approval as given, even in CI, and asks (denies in CI) what nobody approved', async () => {
    const file = join(ROOT, 'fixtures/sessions/approved.jsonl');
    const command = readLines(file)[0].command.map((a: string) => (a.startsWith('fixtures/') ? join(ROOT, a) : a));
    const policy = ['--policy', join(ROOT, 'fixtures/sessions/ask-every-request.yaml'), '--ci'];
    const { out, run } = replay(file, command, policy);
    const r = await run;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const decision = readLines(out).find((l) => l.type === 'decision');
    expect(decision).toMatchObject({ verdict: 'allow', rules: ['cost.threshold'], decidedBy: 'session-grant' });
    // The same ask for a request the human never saw: denied in CI.
    const other = await replay(recordings.chat.file, recordings.chat.command, policy).run;
    expect(agentResult(other.stdout)).toMatchObject({ ok: false, status: 403, code: 'cost.threshold' });
  });

  it('needs no key: the golden streamed session re-runs with its own command', async () => {
    const file = join(ROOT, 'fixtures/sessions/streamed.jsonl');
    const command = readLines(file)[0].command.map((a: string) => (a.startsWith('fixtures/') ? join(ROOT, a) : a));
    const r = await replay(file, command).run;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(agentResult(r.stdout).toolCalls).toEqual([{ name: 'shell', arguments: '{"command":"rm -rf ./build"}' }]);
  });
});

describe('guardrun replay on the built CLI', () => {
  it('shows a session, checks its chain, and verifies it against a policy', async () => {
    const file = recordings['agents-sdk'].file;
    const show = await guardrun(['replay', file]);
    expect(show.exitCode).toBe(0);
    expect(String(show.stdout)).toMatch(/#1 .*POST \/v1\/responses .*allowed\s+200/);
    expect(String(show.stdout)).toContain('chain intact');
    expect((await guardrun(['replay', file, '--verify-only'])).exitCode).toBe(0);
    expect((await guardrun(['replay', join(ROOT, 'fixtures/sessions/tampered.jsonl'), '--verify-only'])).exitCode).toBe(1);
    expect((await guardrun(['replay', file, '--policy', join(ROOT, 'fixtures/policies/loose.yaml')])).exitCode).toBe(0);
    expect((await guardrun(['replay', file, '--policy', join(ROOT, 'fixtures/policies/strict.yaml')])).exitCode).toBe(1);
  });

  it('says in the timeline when a request went out with secrets redacted (the default secrets.outbound: redact)', async () => {
    const show = await guardrun(['replay', recordings['chat-secret'].file]);
    expect(show.exitCode).toBe(0);
    expect(String(show.stdout)).toMatch(/#1 .*allowed; redacted a secret \(aws-access-key-id\) in the body/);
    expect(String(show.stdout)).not.toContain('AKIAFAKETEST00000000');
    expect(String((await guardrun(['replay', recordings.chat.file])).stdout)).not.toContain('redacted');
  });

  it('warns before the timeline, not only after it, when the chain is broken', async () => {
    const r = await guardrun(['replay', join(ROOT, 'fixtures/sessions/tampered.jsonl')]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toMatch(/warning: this file failed its integrity check \(hash chain broken\)/);
    expect(String(r.stdout)).toContain('chain BROKEN');
  });
});
