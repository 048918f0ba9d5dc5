// `guardrun replay` in-process: show, --json, --only, --full, --verify-only, --verify/--policy, errors.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FORMAT_VERSION } from '../../recording/format.js';
import { chatRequest, chatResponse, fixtureText, sealEvents, startEvent } from '../../replay/test-session.js';
import { runCli } from '../main.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ANSI = /\u001b\[/;

function collect(isTTY = false): PassThrough & { text(): string; isTTY: boolean } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return Object.assign(out, { text: () => text, isTTY });
}

async function cli(args: string[], options: { env?: Record<string, string>; cwd?: string; tty?: boolean } = {}) {
  const stdout = collect(options.tty);
  const stderr = collect(options.tty);
  const env = options.env ?? { NO_COLOR: '1' };
  const code = await runCli(args, { stdin: Readable.from([]), stdout, stderr, env, cwd: options.cwd ?? ROOT });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const fixture = (name: string): string => `fixtures/sessions/${name}`;

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'guardrun-replay-cli-'));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

describe('guardrun replay FILE (show)', () => {
  it('prints one timeline row per exchange, the totals and the chain check', async () => {
    const r = await cli(['replay', fixture('plain.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    const requests = fixtureText('plain.jsonl').split('\n').filter((l) => l.includes('"type":"request"')).map((l) => JSON.parse(l));
    for (const req of requests) {
      const row = r.stdout.split('\n').find((l) => l.trimStart().startsWith(`#${req.id} `));
      expect(row, `row #${req.id}`).toBeDefined();
      expect(row).toContain(`${req.method} ${req.path}`);
      expect(row).toContain(req.model);
      expect(row).toMatch(/allowed\s+200\s+\d+→\d+ tok\s+\$0\.\d{6}\s+\d+ ms/);
    }
    expect(r.stdout).toMatch(new RegExp(`totals\\s+${requests.length} requests · 0 denied · 0 approved · \\$0\\.\\d+ spent · \\d+ ms · child exited 0`));
    expect(r.stdout).toMatch(/chain intact: 9 lines, final hash [0-9a-f]{16}…/);
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stderr).toBe('');
  });

  it('colours only on a terminal, honouring NO_COLOR and FORCE_COLOR', async () => {
    expect((await cli(['replay', fixture('denied.jsonl')], { env: {} })).stdout).not.toMatch(ANSI);
    expect((await cli(['replay', fixture('denied.jsonl')], { env: {}, tty: true })).stdout).toMatch(ANSI);
    expect((await cli(['replay', fixture('denied.jsonl')], { env: { NO_COLOR: '1' }, tty: true })).stdout).not.toMatch(ANSI);
    expect((await cli(['replay', fixture('denied.jsonl')], { env: { FORCE_COLOR: '1' } })).stdout).toMatch(ANSI);
  });

  it('names the deciding rule and the reason of a denial; a human approval as such', async () => {
    const denied = await cli(['replay', fixture('denied.jsonl')]);
    const first = JSON.parse(fixtureText('denied.jsonl').split('\n')[2]).rules[0];
    expect(denied.stdout).toMatch(new RegExp(`#1 .* denied by ${first}\\s+403`));
    expect(denied.stdout).toContain('Do not send production credentials to the model.');
    expect(denied.stdout).toContain('1 denied');
    expect(denied.stdout).toContain('child exited 1');
    const approved = await cli(['replay', fixture('approved.jsonl')]);
    expect(approved.stdout).toMatch(/approved by a human\s+200/);
    expect(approved.stdout).toContain('1 approved');
  });

  it('--only keeps the matching exchanges; --full adds the masked bodies', async () => {
    expect((await cli(['replay', fixture('denied.jsonl'), '--only', 'approved'])).stdout).toContain('(no exchanges)');
    expect((await cli(['replay', fixture('denied.jsonl'), '--only', 'denied'])).stdout).toMatch(/#1 /);
    const bad = await cli(['replay', fixture('denied.jsonl'), '--only', 'everything']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--only takes denied, approved, errors, not "everything" \[E_USAGE\]/);
    const full = await cli(['replay', fixture('streamed.jsonl'), '--full']);
    expect(full.stdout).toContain('"content": "Clean the build directory.');
    expect(full.stdout).toMatch(/response \(stream, assembled\) tool \w+: /);
    expect(full.stdout).not.toContain('data: [DONE]');
    const events = await cli(['replay', fixture('streamed.jsonl'), '--events']);
    expect(events.stdout).toMatch(/response \(stream, \d+ events\)/);
    expect(events.stdout).toContain('data: [DONE]');
    const denied = await cli(['replay', fixture('denied.jsonl'), '--full']);
    expect(denied.stdout).toContain('[REDACTED:openai-key]');
  });

  it('--json prints one document with the exchanges, totals and chain', async () => {
    const r = await cli(['replay', fixture('plain.jsonl'), '--json']);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ guardrunReplay: 1, mode: 'show', complete: true, truncated: false, chain: { ok: true }, totals: { requests: 2 } });
    expect(doc.exchanges.map((e: { id: number }) => e.id)).toEqual([1, 2]);
    expect(doc.file).toBe(join(ROOT, 'fixtures/sessions/plain.jsonl'));
  });

  it('shows a cut-off session to its last complete line, with a warning on stderr', async () => {
    const r = await cli(['replay', fixture('truncated.jsonl')]);
    expect(r.code).toBe(0);
    const lines = fixtureText('truncated.jsonl').split('\n');
    expect(r.stderr).toContain(`shown up to line ${lines.length - 1}, its last complete line`);
    expect(r.stderr).toMatch(new RegExp(`line ${lines.length}: cut off after \\d+ characters`));
    expect(r.stdout).toMatch(/#2 .*no response recorded/);
  });

  it('reports a corrupt line by number and shows the rest', async () => {
    const lines = sealEvents([startEvent(), chatRequest(1, 'a'), chatResponse(1, 'A'), chatRequest(2, 'b'), chatResponse(2, 'B')]).split('\n');
    lines[2] = '{"seq":3,"type":"respo';
    const r = await cli(['replay', tempFile('corrupt.jsonl', lines.join('\n'))]);
    expect(r.code).toBe(1); // the chain cannot hold across a line that is not what guardrun wrote
    expect(r.stdout).toContain('chain BROKEN');
    expect(r.stderr).toMatch(/warning: line 3: not valid JSON/);
    expect(r.stdout).toMatch(/#1 .*no response recorded/);
    expect(r.stdout).toMatch(/#2 .*allowed\s+200/);
  });

  it('refuses a file of a newer format: upgrade guardrun', async () => {
    const r = await cli(['replay', tempFile('new.jsonl', sealEvents([startEvent({ version: FORMAT_VERSION + 1 })]))]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/written by a newer guardrun \(format version \d+.*\[E_SESSION_VERSION\]\nfix: upgrade guardrun/);
  });

  it('refuses run-only flags without a command', async () => {
    const r = await cli(['replay', fixture('plain.jsonl'), '--realtime']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('apply to a re-run only');
  });
});

describe('guardrun replay FILE --verify-only', () => {
  it('exits 0 on an intact chain, 1 on a broken one, naming the line', async () => {
    const ok = await cli(['replay', fixture('plain.jsonl'), '--verify-only']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^chain intact: 9 lines/);
    const bad = await cli(['replay', fixture('tampered.jsonl'), '--verify-only']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/chain BROKEN \(1 place\):\n\s+edited\s+line 3 \(seq 3\) does not match its hash/);
    const json = JSON.parse((await cli(['replay', fixture('tampered.jsonl'), '--verify-only', '--json'])).stdout);
    expect(json).toMatchObject({ mode: 'verify-only', ok: false, chain: { breaks: [{ kind: 'edited', line: 3 }] } });
  });

  it('a cut-off file is not a broken chain, but says lines cut from the end would not show', async () => {
    const r = await cli(['replay', fixture('truncated.jsonl'), '--verify-only']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no closing line');
  });

  it('a removed line, found in a copy of a golden file', async () => {
    const lines = fixtureText('plain.jsonl').split('\n');
    lines.splice(3, 1);
    const r = await cli(['replay', tempFile('removed.jsonl', lines.join('\n')), '--verify-only']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/removed\s+the line with seq 4 was removed \(the chain resumes at line 4, seq 5\)/);
  });
});

describe('guardrun replay FILE --policy P / --verify', () => {
  it('exits 1 with a table of the decisions that differ under a stricter policy', async () => {
    const r = await cli(['replay', fixture('plain.jsonl'), '--policy', 'fixtures/policies/strict.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/2 decisions re-checked\n2 decisions differ:/);
    expect(r.stdout).toMatch(/#1\s+request\s+POST \/v1\/responses\s+allow\s+deny: model\s+model "gpt-4o-mini" is not in models\.allow/);
  });

  it('exits 0 when nothing differs, and takes ./guardrun.yaml with --verify', async () => {
    const loose = await cli(['replay', fixture('plain.jsonl'), '--policy', 'fixtures/policies/loose.yaml']);
    expect(loose.code).toBe(0);
    expect(loose.stdout).toContain('no decision differs');
    const dir = mkdtempSync(join(tmpdir(), 'guardrun-replay-verify-'));
    copyFileSync(join(ROOT, 'fixtures/policies/strict.yaml'), join(dir, 'guardrun.yaml'));
    const file = join(ROOT, fixture('streamed.jsonl'));
    const r = await cli(['replay', file, '--verify'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(join(dir, 'guardrun.yaml'));
  });

  it('shows a recorded human answer kept, and a denial a looser policy would let through', async () => {
    expect((await cli(['replay', fixture('approved.jsonl'), '--policy', 'fixtures/sessions/ask-every-request.yaml'])).code).toBe(0);
    const r = await cli(['replay', fixture('denied.jsonl'), '--policy', 'fixtures/policies/loose.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/deny: rule:no-prod-credentials, secrets\s+allow\s+was: /);
  });

  it('--json gives the differences for machines', async () => {
    const r = await cli(['replay', fixture('streamed.jsonl'), '--policy', 'fixtures/policies/strict.yaml', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ guardrunReplay: 1, mode: 'verify', chain: { ok: true } });
    expect(doc.differences).toEqual([expect.objectContaining({ id: 1, phase: 'request', now: expect.objectContaining({ verdict: 'deny' }) })]);
  });
});

describe('guardrun replay: which session, and what makes it exit 1', () => {
  /** A project directory holding `.guardrun/sessions` with copies of golden files under sortable names. */
  function project(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'guardrun-replay-project-'));
    const sessions = join(dir, '.guardrun', 'sessions');
    mkdirSync(sessions, { recursive: true });
    for (const [name, golden] of Object.entries(files)) copyFileSync(join(ROOT, fixture(golden)), join(sessions, name));
    return dir;
  }

  it('with no file, and with --last, shows the newest session of the project (also from a subdirectory)', async () => {
    const dir = project({ '2026-01-01T00-00-00Z-aaaaaaaaaaaa.jsonl': 'plain.jsonl', '2026-02-01T00-00-00Z-bbbbbbbbbbbb.jsonl': 'denied.jsonl' });
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, 'sub'));
    for (const args of [['replay', '--json'], ['replay', '--last', '--json']]) {
      const r = await cli(args, { cwd: join(dir, 'sub') });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).file).toBe(join(dir, '.guardrun', 'sessions', '2026-02-01T00-00-00Z-bbbbbbbbbbbb.jsonl'));
    }
  });

  it('with no session anywhere: a clear error, and as JSON on stdout with --json', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'guardrun-replay-empty-'));
    const r = await cli(['replay', '--json'], { cwd: empty });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/no session files found .*\[E_SESSION_FILE\]/);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'E_SESSION_FILE', exitCode: 78, message: expect.stringContaining('no session files') } });
  });

  it('a directory lists its sessions: time, requests, spend, denials, exit, command', async () => {
    const dir = project({ '2026-01-01T00-00-00Z-aaaaaaaaaaaa.jsonl': 'plain.jsonl', '2026-02-01T00-00-00Z-bbbbbbbbbbbb.jsonl': 'denied.jsonl', '2026-03-01T00-00-00Z-cccccccccccc.jsonl': 'truncated.jsonl' });
    const r = await cli(['replay', join(dir, '.guardrun', 'sessions')]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/open .*2026-03-01T00-00-00Z-cccccccccccc\.jsonl$/); // newest first; cut off
    expect(rows[1]).toMatch(/\d+ req\s+\$[\d.]+\s+1 denied\s+exit \d+/);
    const json = JSON.parse((await cli(['replay', join(dir, '.guardrun', 'sessions'), '--json'])).stdout);
    expect(json.mode).toBe('list');
    expect(json.sessions.map((x: { complete: boolean }) => x.complete)).toEqual([false, true, true]);
  });

  it('show exits 1 on a broken chain; --strict also on a missing closing line', async () => {
    expect((await cli(['replay', fixture('tampered.jsonl')])).code).toBe(1);
    expect((await cli(['replay', fixture('truncated.jsonl')])).code).toBe(0);
    expect((await cli(['replay', fixture('truncated.jsonl'), '--strict'])).code).toBe(1);
    expect((await cli(['replay', fixture('truncated.jsonl'), '--verify-only', '--strict'])).code).toBe(1);
    expect((await cli(['replay', fixture('plain.jsonl'), '--strict'])).code).toBe(0);
  });

  it('--verify-only with --policy checks both the chain and the decisions', async () => {
    const strict = tempFile('strict.yaml', 'version: 1\nmodels:\n  allow: ["none-*"]\n');
    const r = await cli(['replay', fixture('plain.jsonl'), '--verify-only', '--policy', strict, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.mode).toBe('verify');
    expect(doc.differences.length).toBeGreaterThan(0);
    expect(doc.chain.ok).toBe(true);
    expect((await cli(['replay', fixture('tampered.jsonl'), '--verify-only', '--policy', tempFile('loose.yaml', 'version: 1\n')])).code).toBe(1);
  });

  it('every --json mode describes the session the same way', async () => {
    const show = JSON.parse((await cli(['replay', fixture('plain.jsonl'), '--json'])).stdout).session;
    const verifyOnly = JSON.parse((await cli(['replay', fixture('plain.jsonl'), '--verify-only', '--json'])).stdout).session;
    const verify = JSON.parse((await cli(['replay', fixture('plain.jsonl'), '--policy', tempFile('p.yaml', 'version: 1\n'), '--json'])).stdout).session;
    expect(show).toMatchObject({ id: expect.any(String), command: expect.any(Array) });
    expect(verifyOnly).toEqual(show);
    expect(verify).toEqual(show);
  });

  it('recorded text with terminal escapes is shown as visible escapes, never interpreted', async () => {
    const file = tempFile('evil.jsonl', sealEvents([startEvent(), chatRequest(1, 'a', { model: 'gpt\u001b]52;c;ZXZpbA==\u0007\u001b[2J' }), chatResponse(1, 'A')]));
    const r = await cli(['replay', file]);
    expect(r.stdout).not.toContain('\u001b]52');
    expect(r.stdout).not.toContain('\u001b[2J');
    expect(r.stdout).toContain('\\x1b]52;c;');
  });
});

