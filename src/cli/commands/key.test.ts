import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { sharedMemoryKeystore } from '../../secrets/memory-keystore.js';
import type { CliIO } from '../io.js';
import { runCli } from '../main.js';
import { keyShapeProblem } from './key.js';

const OPENAI = 'sk-test-fake-keycmd-0000000000000000wxyz';
const ANTHROPIC = 'sk-ant-test-fake-keycmd-00000000000abcd';

function collect(): PassThrough & { text(): string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return Object.assign(out, { text: () => text });
}

/** Runs `guardrun ...args` in-process against the process-wide memory keystore. */
async function cli(args: string[], stdin: CliIO['stdin'] = Readable.from([])) {
  const stdout = collect();
  const stderr = collect();
  const env = { GUARDRUN_KEYSTORE: 'memory', NO_COLOR: '1' };
  const code = await runCli(args, { stdin, stdout, stderr, env, cwd: process.cwd() });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

let n = 0;
const uniqueProfile = (): string => `test${++n}`;

describe('guardrun key', () => {
  it('stores a piped key, shows it masked, and deletes it', async () => {
    const profile = uniqueProfile();
    const set = await cli(['key', 'set', 'openai', '--profile', profile], Readable.from([`${OPENAI}\n`]));
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`guardrun: openai key (profile ${profile}) stored in memory (this process only) (sk-…wxyz)\n`);
    expect(await sharedMemoryKeystore().get(`openai:${profile}`)).toBe(OPENAI);

    const status = await cli(['key', 'status', '--profile', profile]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^openai \\(profile ${profile}\\)\\s+sk-…wxyz\\s+memory \\(this process only\\)\\n`));
    expect(status.stdout).toMatch(new RegExp(`anthropic \\(profile ${profile}\\)\\s+not set\\n$`));

    const del = await cli(['key', 'delete', 'openai', '--profile', profile]);
    expect(del.code).toBe(0);
    expect(del.stdout).toMatch(/openai key \(profile test\d+\) deleted from memory/);
    expect(await sharedMemoryKeystore().get(`openai:${profile}`)).toBeUndefined();

    const again = await cli(['key', 'delete', 'openai', '--profile', profile]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/no openai key \(profile test\d+\) was stored; nothing deleted/);
    for (const r of [set, status, del]) expect(r.stdout + r.stderr).not.toContain(OPENAI);
  });

  it('takes --profile before the key command too', async () => {
    const profile = uniqueProfile();
    await sharedMemoryKeystore().set(`anthropic:${profile}`, ANTHROPIC);
    const status = await cli(['--profile', profile, 'key', 'status', 'anthropic']);
    expect(status.stdout).toMatch(/^anthropic \(profile test\d+\)\s+sk-…abcd/);
    expect(status.stdout).not.toContain('openai');
  });

  it('warns, but stores, a value that does not look like the provider\'s key', async () => {
    const profile = uniqueProfile();
    const set = await cli(['key', 'set', 'anthropic', '--profile', profile], Readable.from([OPENAI]));
    expect(set.code).toBe(0);
    expect(set.stderr).toMatch(/warning: Anthropic keys start with "sk-ant-"/);
    expect(await sharedMemoryKeystore().get(`anthropic:${profile}`)).toBe(OPENAI);
  });

  it('rejects empty input with E_KEY_INPUT and stores nothing', async () => {
    const profile = uniqueProfile();
    const set = await cli(['key', 'set', 'openai', '--profile', profile], Readable.from(['\n']));
    expect(set.code).toBe(64);
    expect(set.stderr).toMatch(/\[E_KEY_INPUT\]/);
    expect(await sharedMemoryKeystore().get(`openai:${profile}`)).toBeUndefined();
  });

  it('exits 130 and stores nothing on Ctrl-C at the prompt', async () => {
    const profile = uniqueProfile();
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: vi.fn<(mode: boolean) => unknown>() });
    const pending = cli(['key', 'set', 'openai', '--profile', profile], stdin);
    await vi.waitFor(() => expect(stdin.setRawMode).toHaveBeenCalledWith(true));
    stdin.write('sk-test-fake\u0003');
    const set = await pending;
    expect(set.code).toBe(130);
    expect(set.stderr).toMatch(/input hidden\): \nguardrun: aborted; nothing was stored/);
    expect(await sharedMemoryKeystore().get(`openai:${profile}`)).toBeUndefined();
  });

  it('never takes the key from an argument', async () => {
    const r = await cli(['key', 'set', 'openai', OPENAI]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^guardrun: a key is never taken as an argument .* nothing was stored \[E_KEY_INPUT\]\nfix: .*printf %s "\$KEY" \| guardrun key set openai/);
    expect(r.stderr).not.toContain(OPENAI);
    expect(await sharedMemoryKeystore().get('openai')).toBeUndefined();
  });

  it.each([
    [['key', 'set', 'mistral']],
    [['key', 'status', 'mistral']],
    [['key', 'delete', 'mistral']],
  ])('rejects an unknown provider: %j', async (args) => {
    const r = await cli(args);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/unknown provider "mistral" \[E_USAGE\]\nfix: use one of: openai, anthropic/);
  });

  it('rejects a bad profile name', async () => {
    const r = await cli(['key', 'status', '--profile', 'a:b']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/E_USAGE/);
  });
});

describe('keyShapeProblem', () => {
  it.each([
    ['openai', OPENAI, undefined],
    ['anthropic', ANTHROPIC, undefined],
    ['openai', ANTHROPIC, /Anthropic key/],
    ['openai', 'test-fake', /start with "sk-"/],
    ['anthropic', OPENAI, /start with "sk-ant-"/],
  ] as const)('%s %s', (provider, value, problem) => {
    const result = keyShapeProblem(provider, value);
    if (problem) expect(result).toMatch(problem);
    else expect(result).toBeUndefined();
  });

  it('key status --json: each provider with its masked key and store, never the key', async () => {
    const profile = uniqueProfile();
    await cli(['key', 'set', 'openai', '--profile', profile], Readable.from([`${OPENAI}\n`]));
    const r = await cli(['key', 'status', '--profile', profile, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.keys).toEqual([
      { provider: 'openai', profile, state: 'set', masked: 'sk-…wxyz', store: 'memory (this process only)', persistent: false },
      { provider: 'anthropic', profile, state: 'not set' },
    ]);
    expect(r.stdout).not.toContain(OPENAI);
  });
});

