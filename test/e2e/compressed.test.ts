// End-to-end: compressed request bodies (Content-Encoding zstd, gzip, deflate, br) through the built CLI,
// sent by the real openai client the way Codex CLI sends them, checked and recorded decoded.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamRequest } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_OPENAI_KEY, agentResult, guardrun, readLines, tempDir } from './harness.js';

const AGENT = join(AGENTS, 'compressed.mjs');
// Obviously fake, but shaped like an OpenAI project key so the built-in detector finds it.
const PLANTED = 'sk-proj-test-fake-0123456789abcdefghijklmnopqrstuv';
const nodeCompressesZstd = typeof (zlib as unknown as { zstdCompress?: unknown }).zstdCompress === 'function';

let upstream: FakeUpstream;
let dir: string;
let n = 0;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  dir = tempDir('guardrun-compressed-');
});
afterAll(async () => upstream?.close());

interface Run {
  out: Record<string, any>;
  lines: Array<Record<string, any>>;
  file: string;
  /** Base64 of every body the agent sent, in order. */
  sent: string[];
  stderr: string;
}

async function run(encoding: string, args: string[], o: { policy?: string; body?: 'bomb' | 'corrupt' } = {}): Promise<Run> {
  const file = join(dir, `session${++n}.jsonl`);
  const sentFile = join(dir, `sent${n}.txt`);
  const flags = ['--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--session-file', file];
  if (o.policy) {
    const policy = join(dir, `policy${n}.yaml`);
    writeFileSync(policy, o.policy);
    flags.push('--policy', policy);
  }
  const r = await guardrun([...flags, '--', 'node', AGENT, '--no-retry', ...args], {
    env: { OPENAI_REAL: FAKE_OPENAI_KEY, AGENT_CONTENT_ENCODING: encoding, AGENT_BODY: o.body, AGENT_SENT_FILE: sentFile },
  });
  const sent = existsSync(sentFile) ? readFileSync(sentFile, 'utf8').trim().split('\n') : [];
  return { out: agentResult(r.stdout), lines: readLines(file), file, sent, stderr: String(r.stderr) };
}

/** What the fake upstream received for the request whose decoded body contains `marker`. */
function received(marker: string): FakeUpstreamRequest | undefined {
  return upstream.requests.find((r) => r.decoded?.toString('utf8').includes(marker));
}

/** The session file holds neither the secret nor the agent's compressed bytes in any form. */
function expectNothingRecoverable(r: Run): void {
  const text = readFileSync(r.file, 'utf8');
  expect(text).not.toContain(PLANTED);
  for (const sent of r.sent) expect(text).not.toContain(sent.slice(0, 24));
  for (const line of r.lines.filter((l) => l.type === 'request')) expect(line.body ?? {}).not.toHaveProperty('base64');
}

describe('compressed request bodies are decoded, checked, masked and recorded like plain ones', () => {
  // zstd through zstd-wasm (level 3), codex-zstd in Codex's own frame shape (no content size, 2 MiB window).
  for (const encoding of ['zstd', 'codex-zstd', 'gzip', 'deflate', 'br', 'gzip, br']) {
    it(`${encoding}: a secret is redacted under the default policy; upstream and session file never see it`, async () => {
      const marker = `marker-${encoding}-${n}`;
      const r = await run(encoding, ['--stream', `[[echo]] ${marker} my key is ${PLANTED}`]);
      expect(r.out, r.stderr).toMatchObject({ ok: true });
      expect(r.out.text).toContain('[REDACTED:openai-key]');

      const got = received(marker)!;
      expect(got).toBeDefined();
      const json = JSON.parse(got.decoded!.toString('utf8'));
      expect(json.input[0].content[0].text).toBe(`[[echo]] ${marker} my key is [REDACTED:openai-key]`);
      expect(got.body.toString('latin1')).not.toContain(PLANTED);
      // Re-encoded like the agent's body, except zstd where this Node has no compressor: then identity.
      const sentAs = encoding === 'codex-zstd' ? 'zstd' : encoding;
      const expected = sentAs.includes('zstd') && !nodeCompressesZstd ? undefined : sentAs;
      expect(got.headers['content-encoding']).toBe(expected);
      expect(Number(got.headers['content-length'])).toBe(got.body.length);

      const request = r.lines.find((l) => l.type === 'request')!;
      expect(request.contentEncoding).toBe(sentAs);
      expect(request.encodedBytes).toBe(Buffer.from(r.sent[0], 'base64').length);
      expect(request.body.json.input[0].content[0].text).toBe(`[[echo]] ${marker} my key is [REDACTED:openai-key]`);
      expect(request.model).toBe('gpt-4.1-mini');
      expectNothingRecoverable(r);
    });
  }

  it('forwards the agent\'s own bytes and Content-Encoding when nothing was redacted', async () => {
    for (const encoding of ['codex-zstd', 'gzip']) {
      const marker = `clean-${encoding}-${n}`;
      const r = await run(encoding, ['--stream', `[[echo]] ${marker}`]);
      expect(r.out, r.stderr).toMatchObject({ ok: true, text: `[[echo]] ${marker}` });
      const got = received(marker)!;
      expect(got.body.toString('base64')).toBe(r.sent[0]);
      expect(got.headers['content-encoding']).toBe(encoding === 'codex-zstd' ? 'zstd' : encoding);
    }
  });

  it('denies a secret in a compressed body under secrets.outbound: deny, and a deny-rule phrase', async () => {
    const before = upstream.requests.length;
    const secret = await run('zstd', [`my key is ${PLANTED}`], { policy: 'version: 1\nsecrets:\n  outbound: deny\n' });
    expect(secret.out).toMatchObject({ ok: false, status: 403, code: 'secrets' });
    expectNothingRecoverable(secret);
    expect(readFileSync(secret.file, 'utf8')).toContain('[REDACTED:openai-key]');

    const policy = 'version: 1\nrules:\n  - id: no-prod\n    on: request\n    match: { text: "(?i)production database password" }\n    action: deny\n';
    for (const encoding of ['zstd', 'br']) {
      const rule = await run(encoding, ['here is the Production Database Password'], { policy });
      expect(rule.out, encoding).toMatchObject({ ok: false, status: 403, code: 'rule:no-prod' });
      expect(rule.lines.find((l) => l.type === 'decision')).toMatchObject({ verdict: 'deny', rules: ['rule:no-prod'] });
    }
    expect(upstream.requests.length).toBe(before);
  });
});

describe('bodies guardrun cannot read are refused in the provider\'s error shape and never recorded', () => {
  const cases: Array<{ name: string; encoding: string; body?: 'bomb' | 'corrupt'; status: number; code: string; message: string }> = [
    { name: 'a zstd bomb', encoding: 'zstd', body: 'bomb', status: 413, code: 'guardrun_body_too_large', message: 'decodes to more than 64 MiB' },
    { name: 'a gzip bomb', encoding: 'gzip', body: 'bomb', status: 413, code: 'guardrun_body_too_large', message: 'decodes to more than 64 MiB' },
    { name: 'an unknown coding', encoding: 'compress', status: 415, code: 'guardrun_body_encoding_unsupported', message: 'content-encoding "compress"' },
    { name: 'corrupt zstd', encoding: 'zstd', body: 'corrupt', status: 400, code: 'guardrun_body_corrupt', message: 'content-encoding zstd' },
    { name: 'corrupt gzip', encoding: 'gzip', body: 'corrupt', status: 400, code: 'guardrun_body_corrupt', message: 'content-encoding gzip' },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}`, async () => {
      const before = upstream.requests.length;
      const r = await run(c.encoding, [`hello ${PLANTED}`], { body: c.body });
      // The SDK reads guardrun's answer as an API error: status, code and message.
      expect(r.out).toMatchObject({ ok: false, status: c.status, code: c.code });
      expect(r.out.error).toContain(c.message);
      expect(upstream.requests.length).toBe(before);
      const request = r.lines.find((l) => l.type === 'request')!;
      expect(request.contentEncoding).toBe(c.encoding);
      expect(request.body).toEqual({ omitted: `not decoded (${c.code})`, bytes: Buffer.from(r.sent[0], 'base64').length });
      expect(r.lines.find((l) => l.type === 'response')).toMatchObject({ status: c.status, source: 'guardrun', error: { code: c.code } });
      expectNothingRecoverable(r);
    });
  }
});

describe('guardrun replay FILE -- command with compressed requests', () => {
  it('re-runs offline: the recorded decoded bodies match the compressed requests of the re-run', async () => {
    for (const [encoding, prompt] of [['codex-zstd', 'Say hello.'], ['zstd', `[[echo]] key ${PLANTED}`], ['gzip', 'Say hi.']]) {
      const recorded = await run(encoding, ['--stream', prompt]);
      expect(recorded.out, recorded.stderr).toMatchObject({ ok: true });
      const again = join(dir, `rerun${++n}.jsonl`);
      const trap = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
      try {
        const r = await guardrun(['replay', recorded.file, '--session-file', again, '--', 'node', AGENT, '--no-retry', '--stream', prompt], {
          env: { GUARDRUN_OPENAI_UPSTREAM: trap.url, AGENT_CONTENT_ENCODING: encoding },
        });
        expect(r.exitCode, String(r.stderr) + String(r.stdout)).toBe(0);
        expect(agentResult(r.stdout)).toEqual(recorded.out);
        expect(String(r.stderr)).toMatch(/matched the recording; 1 of 1 request answered/);
        expect(trap.requests).toHaveLength(0);
        expect(readLines(again).find((l) => l.type === 'response')?.source).toBe('replay');
      } finally {
        await trap.close();
      }
    }
  });
});
