// End-to-end: `guardrun demo` shows what guardrun is for (an allowed call, a secret redacted, a denial by a
// rule) and ends with next steps whose replay command works as printed.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, guardrun, readLines, tempDir } from './harness.js';

describe('guardrun demo', () => {
  it('allowed, redacted, denied; the record holds all of it; the printed replay command works', async () => {
    const cwd = tempDir();
    const r = await guardrun(['demo'], { cwd });
    const out = String(r.stdout);
    const err = String(r.stderr);
    expect(r.exitCode, err).toBe(0);
    expect(out).toContain('got:     "Hello from the fake upstream."');
    expect(out).toContain('the provider received: "Check my config: OPENAI_API_KEY=[REDACTED:openai-key]"');
    expect(out).toMatch(/refused: HTTP 403: .*rule:no-production-deploys/);
    expect(out + err).not.toContain('sk-proj-demo-fake-0000aaaa1111bbbb2222cccc3333dddd');
    expect(err).toContain('4 requests, 1 denied');
    // Run from a clone, guardrun is not on PATH: the next steps say `node <path>`, and that command works.
    const replay = /read this session back:\s+(.+)$/m.exec(err)?.[1];
    expect(replay).toMatch(/^node \S+guardrun\.js replay \.guardrun\/sessions\/\S+\.jsonl$/);
    const [, script, , file] = replay!.split(' ');
    const shown = await execa(process.execPath, [script, 'replay', file], { cwd, env: baseEnv(), extendEnv: false, reject: false });
    expect(shown.exitCode, String(shown.stderr)).toBe(0);
    expect(String(shown.stdout)).toMatch(/4 requests · 1 denied/);
    const lines = readLines(join(cwd, file));
    expect(lines.filter((l) => l.type === 'request')).toHaveLength(4);
    expect(readFileSync(join(cwd, file), 'utf8')).not.toContain('sk-proj-demo-fake-0000aaaa');
  });
});
