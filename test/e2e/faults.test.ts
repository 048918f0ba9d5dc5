// End-to-end: faults of the disk, of guardrun itself and of the agent's process tree. Nothing is forwarded that
// could not be recorded; a stopped or crashed run leaves no process of the agent behind; a guardrun killed with
// SIGKILL takes its agent with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { parseSession } from '../../src/recording/reader.js';
import { AGENTS, BIN, FAKE_OPENAI_KEY, baseEnv, guardrun, keyArgs, readLines, tempDir } from './harness.js';

let upstream: FakeUpstream;
let dir: string;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  dir = tempDir();
});
afterAll(async () => upstream?.close());

const env = { OPENAI_REAL: FAKE_OPENAI_KEY };
let n = 0;

async function until(predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A shell loop of `count` agent calls, each result line appended to `out`. */
function loop(out: string, count: number): string[] {
  const prompt = 'x'.repeat(1500);
  return ['sh', '-c', `for i in $(seq ${count}); do node ${join(AGENTS, 'openai-chat.mjs')} --no-retry "${prompt} $i" >> ${out}; done; exit 0`];
}

describe('a session file that cannot be written', () => {
  it('past a file-size limit: later requests are refused, not sent; the record stays readable; exit 78', async () => {
    const sessionFile = join(dir, `fsize${++n}.jsonl`);
    const out = join(dir, `fsize${n}.out`);
    upstream.requests.length = 0;
    // util-linux prlimit: the session file may not grow past 9000 bytes (writes then fail with EFBIG).
    const r = await execa('prlimit', ['--fsize=9000', process.execPath, BIN, ...keyArgs(upstream.url, sessionFile), '--', ...loop(out, 6)], {
      env: baseEnv(env), extendEnv: false, reject: false, timeout: 60_000,
    });
    const results = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const sent = results.filter((x) => x.ok);
    const refused = results.filter((x) => !x.ok);
    expect(sent.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((x) => x.status === 503 && x.code === 'guardrun_record_failed')).toBe(true);
    // Only what was recorded reached the upstream.
    expect(upstream.requests).toHaveLength(sent.length);
    const session = parseSession(readFileSync(sessionFile, 'utf8'), sessionFile);
    expect(session.problems.filter((p) => p.kind !== 'truncated')).toEqual([]);
    expect(session.events.filter((e) => e.event.type === 'request').length).toBeGreaterThanOrEqual(sent.length);
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).toMatch(/the session file could not be written to the end \(EFBIG.*\[E_SESSION_FILE\]/);
    expect(String(r.stderr)).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.skipIf(process.getuid?.() !== 0)('on a full disk (a 24 KiB tmpfs in a private mount namespace): the same', async () => {
    const mnt = tempDir();
    const out = join(dir, `enospc${++n}.out`);
    upstream.requests.length = 0;
    const script = `mount -t tmpfs -o size=24k tmpfs ${mnt} && exec ${process.execPath} ${BIN} ${keyArgs(upstream.url, join(mnt, 's.jsonl')).join(' ')} -- ${loop(out, 10).slice(0, 2).join(' ')} '${loop(out, 10)[2]}'; `;
    const r = await execa('unshare', ['-m', 'sh', '-c', `${script} cp ${join(mnt, 's.jsonl')} ${join(dir, 'enospc.jsonl')}`], { env: baseEnv(env), extendEnv: false, reject: false, timeout: 60_000 });
    const results = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(results.some((x) => x.ok)).toBe(true);
    expect(results.filter((x) => !x.ok).every((x) => x.code === 'guardrun_record_failed')).toBe(true);
    expect(upstream.requests).toHaveLength(results.filter((x) => x.ok).length);
    expect(String(r.stderr)).toMatch(/ENOSPC.*\[E_SESSION_FILE\]/);
  });
});

describe("the agent's processes", () => {
  it('a stopped run ends the grandchildren too (re-parented ones included)', async () => {
    const sessionFile = join(dir, `tree${++n}.jsonl`);
    const pidfile = join(dir, `tree${n}.pid`);
    const child = guardrun([...keyArgs(upstream.url, sessionFile), '--kill-timeout', '2', '--', 'sh', '-c', `node ${join(AGENTS, 'tree.mjs')} ${pidfile} --exit; sleep 600`], { env });
    await until(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8') !== '');
    const grandchild = Number(readFileSync(pidfile, 'utf8'));
    expect(running(grandchild)).toBe(true);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(143);
    await until(() => !running(grandchild), 5_000);
    expect(readFileSync(`${pidfile}.term`, 'utf8')).toBe('term');
    expect(readLines(sessionFile).at(-1)).toMatchObject({ type: 'session.end', reason: 'signal' });
  });

  it('guardrun killed with SIGKILL: the agent gets SIGTERM from the kernel (PR_SET_PDEATHSIG)', async () => {
    const note = join(dir, `pdeath${++n}.txt`);
    const child = guardrun([...keyArgs(upstream.url, join(dir, `pdeath${n}.jsonl`)), '--', 'node', join(AGENTS, 'note-term.mjs'), note], { env });
    await new Promise<void>((resolve) => child.stdout?.on('data', (c: Buffer) => c.toString().includes('ready') && resolve()));
    child.kill('SIGKILL');
    await child;
    await until(() => existsSync(note), 5_000);
    expect(readFileSync(note, 'utf8')).toBe('term');
  });
});
