// The agent adapters end to end, with stand-ins for `codex` and `claude` on PATH (fixtures/agents/fake-cli.mjs):
// the built CLI, the fake upstream, a temp HOME. The real CLIs run in `npm run test:agents` (test/agents/).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, guardrun, readLines, tempDir } from './harness.js';

let upstream: FakeUpstream;
let dir: string;
let bin: string;
let home: string;
let n = 0;

beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY, anthropicKey: FAKE_ANTHROPIC_KEY });
  dir = tempDir('guardrun-agents-e2e-');
  bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const name of ['codex', 'claude']) symlinkSync(join(AGENTS, 'fake-cli.mjs'), join(bin, name));
});
afterAll(async () => {
  await upstream?.close();
});
beforeEach(() => {
  home = join(dir, `home${++n}`);
  mkdirSync(home);
  upstream.requests.length = 0;
});

const env = (extra: Record<string, string> = {}) => ({ PATH: `${bin}:${process.env.PATH}`, HOME: home, OPENAI_REAL: FAKE_OPENAI_KEY, ANTHROPIC_REAL: FAKE_ANTHROPIC_KEY, ...extra });
const withKeys = ['--key-env', 'OPENAI_REAL', '--key-env', 'anthropic=ANTHROPIC_REAL'];
const upstreams = () => ['--upstream', upstream.url, '--anthropic-upstream', upstream.url];
const result = (stdout: unknown) => JSON.parse(String(stdout).trim().split('\n').pop()!);
const lines0 = (file: string) => readLines(file)[0];
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('guardrun -- codex', () => {
  it('gives Codex -c openai_base_url before its subcommand and a private CODEX_HOME; the user\'s files stay byte-identical', async () => {
    mkdirSync(join(home, '.codex', 'sessions'), { recursive: true });
    writeFileSync(join(home, '.codex', 'config.toml'), 'model = "gpt-5"\n');
    writeFileSync(join(home, '.codex', 'auth.json'), '{"tokens":{"access_token":"chatgpt-login-of-the-user"}}\n');
    const before = { config: sha(join(home, '.codex', 'config.toml')), auth: sha(join(home, '.codex', 'auth.json')) };
    const file = join(dir, `codex${n}.jsonl`);
    const r = await guardrun([...withKeys, ...upstreams(), '--session-file', file, '--', 'codex', 'exec', 'say hi'], { env: env() });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const seen = result(r.stdout);
    expect(seen.argv.slice(0, 4)).toEqual(['-c', expect.stringMatching(/^openai_base_url="http:\/\/127\.0\.0\.1:\d+\/v1"$/), '-c', 'cli_auth_credentials_store="file"']);
    expect(seen.argv.slice(4)).toEqual(['exec', 'say hi']);
    expect(seen).toMatchObject({ keyIsDummy: true, authFileKeyIsDummy: true, authMode: 'apikey', status: 200, answered: true });
    expect(seen.homeEntries).toEqual({ 'auth.json': 'file', 'config.toml': `-> ${join(home, '.codex', 'config.toml')}`, sessions: `-> ${join(home, '.codex', 'sessions')}` });
    expect(readlinkSync(seen.codexHome)).toBe(join(home, '.codex')); // after the run: a link to the user's home
    expect(seen.codexHome).toBe(join(home, '.local', 'state', 'guardrun', 'codex-homes', lines0(file).session));
    expect({ config: sha(join(home, '.codex', 'config.toml')), auth: sha(join(home, '.codex', 'auth.json')) }).toEqual(before);
    expect(upstream.requests.map((q) => [q.path, q.headers.authorization])).toEqual([['/v1/responses', `Bearer ${FAKE_OPENAI_KEY}`]]);
    const lines = readLines(file);
    expect(lines[0]).toMatchObject({ type: 'session.start', agent: 'codex', command: ['codex', 'exec', 'say hi'] });
    expect(lines.filter((l) => l.type === 'request')).toHaveLength(1);
  });

  it('refuses when the user\'s Codex config selects another provider (78), runs with --allow-unguarded', async () => {
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex', 'config.toml'), 'model_provider = "ollama"\n');
    const r = await guardrun([...withKeys, '--', 'codex', 'exec', 'x'], { env: env() });
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).toMatch(/guardrun: Codex CLI: Codex would use the model provider "ollama" \(set in .*config\.toml\).* \[E_UNGUARDED\]\nfix: .*model_provider/);
    expect(r.stdout).toBe('');
    const allowed = await guardrun([...withKeys, ...upstreams(), '--allow-unguarded', '--session-file', join(dir, `u${n}.jsonl`), '--', 'codex', 'exec', 'x'], { env: env({ FAKE_CLI_NO_CALL: '1' }) });
    expect(allowed.exitCode, String(allowed.stderr)).toBe(0);
    expect(String(allowed.stderr)).toContain('guardrun: warning: Codex CLI: Codex would use the model provider "ollama"');
  });

  it('points Codex inside `sh -c` at guardrun, through the rewritten script', async () => {
    const r = await guardrun([...withKeys, ...upstreams(), '--session-file', join(dir, `sh${n}.jsonl`), '--', 'sh', '-c', 'exec codex exec "two words"'], { env: env() });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(result(r.stdout)).toMatchObject({ argv: ['-c', expect.stringContaining('openai_base_url='), '-c', 'cli_auth_credentials_store="file"', 'exec', 'two words'], status: 200 });
  });

  it('points Codex at the replay proxy on `guardrun replay FILE -- codex …` (offline)', async () => {
    const file = join(dir, `rec${n}.jsonl`);
    const recorded = await guardrun([...withKeys, ...upstreams(), '--session-file', file, '--', 'codex', 'exec', 'same prompt'], { env: env() });
    expect(recorded.exitCode, String(recorded.stderr)).toBe(0);
    upstream.requests.length = 0;
    const replayed = await guardrun(['replay', file, '--session-file', join(dir, `rep${n}.jsonl`), '--', 'codex', 'exec', 'same prompt'], { env: env({ OPENAI_REAL: '' }) });
    expect(replayed.exitCode, String(replayed.stderr)).toBe(0);
    expect(result(replayed.stdout)).toMatchObject({ status: 200, answered: true, keyIsDummy: true });
    expect(upstream.requests).toHaveLength(0);
    expect(readLines(join(dir, `rep${n}.jsonl`))[0]).toMatchObject({ agent: 'codex', replayOf: { file } });
    // The timeline says which adapter the run used.
    const shown = await guardrun(['replay', file]);
    expect(String(shown.stdout)).toMatch(/^agent +codex \(adapter applied\)$/m);
  });

  it('with --no-adapter runs Codex with the generic environment only', async () => {
    const r = await guardrun([...withKeys, ...upstreams(), '--no-adapter', '--session-file', join(dir, `na${n}.jsonl`), '--', 'codex', 'exec', 'x'], { env: env() });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const seen = result(r.stdout);
    expect(seen.argv).toEqual(['exec', 'x']);
    expect(seen.codexHome).toBeUndefined();
    expect(upstream.requests).toHaveLength(0);
    expect(readLines(join(dir, `na${n}.jsonl`))[0].agent).toBeUndefined();
    expect(String(r.stderr)).toContain('guardrun: warning: --no-adapter: Codex CLI gets only the generic environment');
  });
});

describe('guardrun -- claude', () => {
  it('passes a private --settings file and ANTHROPIC_AUTH_TOKEN; the model call carries the real key upstream', async () => {
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude', 'settings.json'), '{"env":{"ANTHROPIC_BASE_URL":"https://elsewhere.example"}}\n');
    writeFileSync(join(home, '.claude', '.credentials.json'), '{"claudeAiOauth":{"accessToken":"subscription-login"}}\n');
    const before = readdirSync(join(home, '.claude')).map((f) => [f, sha(join(home, '.claude', f))]);
    const file = join(dir, `claude${n}.jsonl`);
    const r = await guardrun([...withKeys, ...upstreams(), '--session-file', file, '--', 'claude', '-p', 'hi'], { env: env({ ANTHROPIC_API_KEY: 'sk-ant-user-own-env-key' }) });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const seen = result(r.stdout);
    expect(seen).toMatchObject({ keyIsDummy: true, status: 200, answered: true, apiKeySet: false, nonessential: '1', settingsEnvNames: ['ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL'] });
    expect(seen.argv).toEqual(['--settings', seen.settingsFile, '-p', 'hi']);
    expect(seen.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/anthropic\/v1$/);
    expect(existsSync(seen.settingsFile)).toBe(false);
    expect(readdirSync(join(home, '.claude')).map((f) => [f, sha(join(home, '.claude', f))])).toEqual(before);
    expect(upstream.requests.map((q) => [q.path, q.headers.authorization])).toEqual([['/v1/messages', `Bearer ${FAKE_ANTHROPIC_KEY}`]]);
    expect(readLines(file)[0]).toMatchObject({ agent: 'claude' });
  });

  it('stops before starting Claude Code with only an OpenAI key: exit 77 and the fix', async () => {
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--', 'claude', '-p', 'hi'], { env: env() });
    expect(r.exitCode).toBe(77);
    expect(String(r.stderr)).toBe(
      'guardrun: Claude Code needs an anthropic key and guardrun holds none for this run: it would reach Anthropic with its own login, around guardrun [E_NO_KEY]\n' +
      'fix: store one with `guardrun key set anthropic`, or pass --key-env anthropic=VARIABLE; --allow-unguarded runs it anyway, unguarded',
    );
    expect(r.stdout).toBe('');
  });

  it('says which key Claude Code needs when guardrun has no key at all', async () => {
    const r = await guardrun(['--', 'npx', '@anthropic-ai/claude-code', '-p', 'hi'], { env: env({ GUARDRUN_KEYSTORE: 'memory' }) });
    expect(r.exitCode).toBe(77);
    expect(String(r.stderr)).toMatch(/^guardrun: Claude Code needs an anthropic key/);
  });

  it('with --allow-unguarded starts it untouched, says so, and records that', async () => {
    const file = join(dir, `ug${n}.jsonl`);
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--allow-unguarded', '--session-file', file, '--', 'claude', '-p', 'hi'], { env: env() });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toContain('guardrun: warning: Claude Code runs UNGUARDED for anthropic: guardrun holds no anthropic key (--allow-unguarded)');
    const seen = result(r.stdout);
    expect(seen).toMatchObject({ argv: ['-p', 'hi'], baseUrl: null });
    expect(seen.settingsFile).toBeUndefined();
    expect(readLines(file)[0]).toMatchObject({ unguarded: ['anthropic'] });
  });
});

describe('guardrun doctor', () => {
  it('shows what a run of codex would set and exits 0', async () => {
    const r = await guardrun(['doctor', '--key-env', 'OPENAI_REAL', '--', 'npx', '-y', '@openai/codex', 'exec', 'fix it'], { env: env() });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = String(r.stdout);
    expect(out).toContain('  openai     env OPENAI_REAL');
    expect(out).toContain('  agent:    Codex CLI (through npx)');
    expect(out).toContain(`  would run: npx -y @openai/codex -c 'openai_base_url="http://127.0.0.1:PORT/v1"' -c 'cli_auth_credentials_store="file"' exec 'fix it'`);
    expect(out).toContain('  set     CODEX_API_KEY=<session key>');
    expect(out).toContain('  remove  OPENAI_REAL');
    expect(out).toContain(`  file    CODEX_HOME=${join(home, '.local', 'state', 'guardrun', 'codex-homes', '<session>')}`);
    expect(out).toContain('cannot see: Codex traffic that is not a model call');
    expect(out).toMatch(/verdict: every model call Codex CLI makes would go through guardrun$/);
    expect(out).not.toContain(FAKE_OPENAI_KEY);
  });

  it('exits 1 and names the fix when the command would bypass guardrun', async () => {
    const r = await guardrun(['doctor', '--key-env', 'OPENAI_REAL', '--', 'claude', '-p', 'hi'], { env: env() });
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).toContain('verdict: a run would be refused (exit 77, E_NO_KEY): Claude Code needs an anthropic key');
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex', 'config.toml'), 'profile = "local"\n[profiles.local]\nmodel_provider = "ollama"\n');
    const codex = await guardrun(['doctor', '--key-env', 'OPENAI_REAL', '--', 'codex'], { env: env() });
    expect(codex.exitCode).toBe(1);
    expect(String(codex.stdout)).toMatch(/bypass: Codex would use the model provider "ollama"[^\n]*\n {4}fix: /);
  });

  it('lists the known agents and stored logins without a command; --json for scripts', async () => {
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex', 'auth.json'), '{"OPENAI_API_KEY":"sk-user-stored"}');
    const r = await guardrun(['doctor', ...withKeys], { env: env() });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain(`  Codex CLI (codex): ${join(bin, 'codex')}`);
    expect(String(r.stdout)).toContain('auth.json holds an API key login: Codex does not see it in this run');
    expect(String(r.stdout)).not.toContain('sk-user-stored');
    const json = await guardrun(['doctor', '--json', '--key-env', 'OPENAI_REAL', '--', 'sh', '-c', 'cd x && codex exec'], { env: env() });
    expect(json.exitCode).toBe(1);
    const doc = JSON.parse(String(json.stdout));
    expect(doc).toMatchObject({ guardrunDoctor: 1, command: { agent: 'ambiguous', refused: { code: 'E_UNGUARDED', exitCode: 78 } } });
  });

  it('lists the variables a run withholds as credentials, in text and --json, and honours --pass-env', async () => {
    const creds = { GITHUB_TOKEN: `ghp_${'c'.repeat(36)}`, DB_PASSWORD: 'hunter2hunter2', MY_OPENAI_KEY: FAKE_OPENAI_KEY, EDITOR: 'vim' };
    const text = await guardrun(['doctor', '--key-env', 'OPENAI_REAL', '--', 'node', 'x.js'], { env: env(creds) });
    expect(text.exitCode, String(text.stderr)).toBe(0);
    for (const name of ['ANTHROPIC_REAL', 'DB_PASSWORD', 'GITHUB_TOKEN', 'MY_OPENAI_KEY']) expect(String(text.stdout)).toContain(`  remove  ${name} (its value looks like a credential; --pass-env ${name} keeps it)`);
    expect(String(text.stdout)).not.toContain('remove  EDITOR');
    expect(String(text.stdout) + String(text.stderr)).not.toMatch(/hunter2|ghp_c|sk-test-fake/);
    const json = await guardrun(['doctor', '--json', '--key-env', 'OPENAI_REAL', '--pass-env', 'GITHUB_TOKEN', '--', 'node', 'x.js'], { env: env(creds) });
    const doc = JSON.parse(String(json.stdout));
    expect(doc.command.withheld).toEqual(['ANTHROPIC_REAL', 'DB_PASSWORD', 'MY_OPENAI_KEY']); // ANTHROPIC_REAL: env()'s, not a --key-env here
    expect(doc.command.removed).toEqual(expect.arrayContaining(['DB_PASSWORD', 'MY_OPENAI_KEY', 'OPENAI_REAL']));
    expect(doc.command.removed).not.toContain('GITHUB_TOKEN');
    // The same names as the run's own start note.
    const run = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--session-file', join(dir, `withheld${n}.jsonl`), '--', 'node', '-e', ''], { env: env(creds) });
    expect(String(run.stderr)).toContain("note: withheld from the agent's environment (their values look like credentials): ANTHROPIC_REAL, DB_PASSWORD, GITHUB_TOKEN, MY_OPENAI_KEY;");
  });

  it('for an unknown program shows the generic environment', async () => {
    const r = await guardrun(['doctor', ...withKeys, '--', 'node', 'agent.js'], { env: env() });
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toContain('set     ANTHROPIC_API_KEY=<session key>');
    expect(String(r.stdout)).toContain('verdict: no known bypass; guardrun does not know this program');
  });
});
