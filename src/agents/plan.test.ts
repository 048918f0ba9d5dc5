// The argv/env plans and the configuration checks, on real files in temp dirs.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { inspectCommand, planChild, refusal, type InspectOptions } from './plan.js';
import type { Finding } from './types.js';

const ORIGIN = 'http://127.0.0.1:4321';
const DUMMY = 'sk-guardrun-test-dummy-key-000000000000000000000000000';

let root: string;
let home: string;
let etc: { codex: string; claudeManaged: string };
let cwd: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'guardrun-agents-'));
  home = join(root, 'home');
  cwd = join(root, 'project');
  mkdirSync(home);
  mkdirSync(cwd);
  etc = { codex: join(root, 'etc-codex'), claudeManaged: join(root, 'etc-claude', 'managed-settings.json') };
});

function write(file: string, text: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
}

function options(extra: Partial<InspectOptions> = {}): InspectOptions {
  return { env: { HOME: home }, cwd, held: ['openai', 'anthropic'], home, etc, ...extra };
}

function plan(command: string[], o = options()) {
  const report = inspectCommand(command, o);
  if (!report.context) throw new Error('no agent detected');
  return planChild(command, report.context, { origin: ORIGIN, dummyKey: DUMMY, sessionId: 'abc123', env: { ...o.env }, cwd });
}

const levels = (findings: Finding[]): string[] => findings.map((f) => f.level);

describe('the Codex plan', () => {
  it('puts -c options before the subcommand and gives Codex a private home with the session key', () => {
    write(join(home, '.codex', 'config.toml'), 'model = "o3"\n');
    write(join(home, '.codex', 'auth.json'), '{"tokens":{"access_token":"user-chatgpt-token"}}');
    mkdirSync(join(home, '.codex', 'sessions'));
    const p = plan(['codex', 'exec', 'fix it']);
    expect(p.command).toEqual(['codex', '-c', `openai_base_url="${ORIGIN}/v1"`, '-c', 'cli_auth_credentials_store="file"', 'exec', 'fix it']);
    expect(p.env).toMatchObject({ CODEX_API_KEY: DUMMY, OPENAI_API_KEY: DUMMY });
    const priv = p.env.CODEX_HOME!;
    expect(priv).toBe(join(home, '.local', 'state', 'guardrun', 'codex-homes', 'abc123'));
    expect(lstatSync(priv).mode & 0o777).toBe(0o700);
    expect(readlinkSync(join(priv, 'config.toml'))).toBe(join(home, '.codex', 'config.toml'));
    expect(readlinkSync(join(priv, 'sessions'))).toBe(join(home, '.codex', 'sessions'));
    expect(lstatSync(join(priv, 'auth.json')).isSymbolicLink()).toBe(false);
    expect(lstatSync(join(priv, 'auth.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(priv, 'auth.json'), 'utf8'))).toEqual({ auth_mode: 'apikey', OPENAI_API_KEY: DUMMY });
    p.cleanup();
    // Codex recorded paths under the private home: they keep resolving, now into the user's home.
    expect(readlinkSync(priv)).toBe(join(home, '.codex'));
    expect(readFileSync(join(priv, 'auth.json'), 'utf8')).toContain('user-chatgpt-token');
    expect(readFileSync(join(home, '.codex', 'auth.json'), 'utf8')).toContain('user-chatgpt-token');
  });

  it('moves what Codex created in the private home to the user\'s, never guardrun\'s auth.json', () => {
    mkdirSync(join(home, '.codex'));
    write(join(home, '.codex', 'history.jsonl'), 'old\n');
    const p = plan(['codex']);
    const priv = p.env.CODEX_HOME!;
    writeFileSync(join(priv, 'installation_id'), 'new-id');
    mkdirSync(join(priv, 'log'));
    writeFileSync(join(priv, 'log', 'codex.log'), 'x');
    writeFileSync(join(priv, 'history.jsonl'), 'replaced by rename\n', { flag: 'w' }); // written through the link
    p.cleanup();
    expect(readFileSync(join(home, '.codex', 'installation_id'), 'utf8')).toBe('new-id');
    expect(readFileSync(join(home, '.codex', 'log', 'codex.log'), 'utf8')).toBe('x');
    expect(readFileSync(join(home, '.codex', 'history.jsonl'), 'utf8')).toBe('replaced by rename\n');
    expect(existsSync(join(home, '.codex', 'auth.json'))).toBe(false);
    expect(lstatSync(priv).isSymbolicLink()).toBe(true);
  });

  it('uses CODEX_HOME and XDG_STATE_HOME when set, also from an env wrapper', () => {
    const userHome = join(root, 'elsewhere');
    mkdirSync(userHome);
    write(join(userHome, 'config.toml'), '');
    const p = plan(['env', `CODEX_HOME=${userHome}`, 'codex', 'exec'], options({ env: { HOME: home, XDG_STATE_HOME: join(root, 'state') } }));
    expect(p.command.slice(0, 3)).toEqual(['env', `CODEX_HOME=${userHome}`, 'codex']);
    expect(p.env.CODEX_HOME).toBe(join(root, 'state', 'guardrun', 'codex-homes', 'abc123'));
    expect(readlinkSync(join(p.env.CODEX_HOME!, 'config.toml'))).toBe(join(userHome, 'config.toml'));
    p.cleanup();
  });

  it('says where it could not create the private home (E_CONFIG, exit 78)', () => {
    writeFileSync(join(root, 'not-a-dir'), '');
    expect(() => plan(['codex'], options({ env: { HOME: home, XDG_STATE_HOME: join(root, 'not-a-dir') } })))
      .toThrow(expect.objectContaining({ code: 'E_CONFIG', exitCode: 78, message: expect.stringContaining(`cannot create Codex's private home under ${join(root, 'not-a-dir', 'guardrun')}`) }));
  });

  it('rewrites a sh -c script so the shell passes the options through', () => {
    const p = plan(['sh', '-c', 'exec codex exec "say hi"']);
    expect(p.command).toEqual(['sh', '-c', `exec codex -c 'openai_base_url="${ORIGIN}/v1"' -c 'cli_auth_credentials_store="file"' exec 'say hi'`]);
    p.cleanup();
  });

  it.each<[string, string, string[], string]>([
    ['a provider in config.toml', 'model_provider = "ollama"\n', ['codex'], 'bypass'],
    ['a profile that selects one', 'profile = "local"\n[profiles.local]\nmodel_provider = "lmstudio"\n', ['codex'], 'bypass'],
    ['--profile on the command line', '[profiles.az]\nmodel_provider = "azure"\n', ['codex', '--profile', 'az'], 'bypass'],
    ['-c model_provider on the command line', '', ['codex', '-c', 'model_provider="oss"'], 'bypass'],
    ['--oss', '', ['codex', '--oss', 'exec'], 'bypass'],
    ['-c openai_base_url on the command line', '', ['codex', '-c', 'openai_base_url="https://gw.example/v1"'], 'bypass'],
    ['openai_base_url in config.toml', 'openai_base_url = "https://gw.example/v1"\n', ['codex'], 'note'],
    ['forced ChatGPT login', 'forced_login_method = "chatgpt"\n', ['codex'], 'blocked'],
    ['the openai provider named explicitly', 'model_provider = "openai"\n', ['codex'], 'none'],
    ['-c model_provider=openai over a config provider', 'model_provider = "ollama"\n', ['codex', '-c', 'model_provider="openai"'], 'none'],
    ['an unparsable config.toml', 'model_provider = \n', ['codex'], 'unseen'],
  ])('Codex config: %s', (_what, toml, command, level) => {
    write(join(home, '.codex', 'config.toml'), toml);
    const findings = inspectCommand(command, options()).findings.filter((f) => f.level !== 'note' || level === 'note');
    if (level === 'none') expect(levels(findings)).toEqual([]);
    else expect(levels(findings)).toContain(level);
  });

  it('reads the managed config and project config files', () => {
    write(join(etc.codex, 'managed_config.toml'), 'model_provider = "corp"\n');
    expect(inspectCommand(['codex', '-c', 'model_provider="openai"'], options()).findings[0]).toMatchObject({ level: 'bypass', message: expect.stringContaining('"corp"') });
    write(join(etc.codex, 'managed_config.toml'), '');
    write(join(cwd, '.codex', 'config.toml'), 'model_provider = "proj"\n');
    expect(inspectCommand(['codex'], options()).findings[0].message).toContain(join(cwd, '.codex', 'config.toml'));
  });

  it('notes a stored ChatGPT login without using it', () => {
    write(join(home, '.codex', 'auth.json'), '{"tokens":{"access_token":"t"}}');
    expect(inspectCommand(['codex'], options()).findings).toEqual([expect.objectContaining({ level: 'note', message: expect.stringContaining('a ChatGPT login') })]);
  });
});

describe('the Claude Code plan', () => {
  it('adds a private --settings file with the base URL and session key, and the same in the environment', () => {
    const p = plan(['claude', '-p', 'hi']);
    const file = join(home, '.cache', 'guardrun', 'claude-settings-abc123.json');
    expect(p.command).toEqual(['claude', '--settings', file, '-p', 'hi']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ env: { ANTHROPIC_BASE_URL: `${ORIGIN}/anthropic`, ANTHROPIC_AUTH_TOKEN: DUMMY } });
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(p.env).toEqual({
      ANTHROPIC_BASE_URL: `${ORIGIN}/anthropic`, ANTHROPIC_AUTH_TOKEN: DUMMY, ANTHROPIC_API_KEY: undefined, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    });
    p.cleanup();
    expect(existsSync(file)).toBe(false);
  });

  it('leaves CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC to a user who set it', () => {
    const p = plan(['claude'], options({ env: { HOME: home, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '0' } }));
    expect('CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC' in p.env).toBe(false);
    p.cleanup();
  });

  it('merges the user\'s own --settings (inline JSON or a file), guardrun\'s env winning', () => {
    const inline = plan(['claude', '--settings', '{"model":"opus","env":{"FOO":"1","ANTHROPIC_BASE_URL":"https://gw"}}', '-p', 'x']);
    const file = inline.command[2];
    expect(inline.command).toEqual(['claude', '--settings', file, '-p', 'x']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ model: 'opus', env: { FOO: '1', ANTHROPIC_BASE_URL: `${ORIGIN}/anthropic`, ANTHROPIC_AUTH_TOKEN: DUMMY } });
    inline.cleanup();
    write(join(cwd, 'mine.json'), '{"permissions":{"allow":["Bash"]}}');
    const fromFile = plan(['claude', '--settings=mine.json']);
    expect(fromFile.command[1]).toMatch(/^--settings=.*claude-settings-abc123\.json$/);
    expect(JSON.parse(readFileSync(fromFile.command[1].slice('--settings='.length), 'utf8')).permissions).toEqual({ allow: ['Bash'] });
    fromFile.cleanup();
  });

  it.each<[string, () => Partial<InspectOptions> | void, string]>([
    ['CLAUDE_CODE_USE_BEDROCK in the environment', () => ({ env: { HOME: home, CLAUDE_CODE_USE_BEDROCK: '1' } }), 'bypass'],
    ['CLAUDE_CODE_USE_VERTEX in user settings', () => write(join(home, '.claude', 'settings.json'), '{"env":{"CLAUDE_CODE_USE_VERTEX":"true"}}'), 'bypass'],
    ['a base URL in managed settings', () => write(etc.claudeManaged, '{"env":{"ANTHROPIC_BASE_URL":"https://corp"}}'), 'bypass'],
    ['a token in managed settings', () => write(etc.claudeManaged, '{"env":{"ANTHROPIC_AUTH_TOKEN":"t"}}'), 'blocked'],
    ['a base URL in project settings', () => write(join(cwd, '.claude', 'settings.local.json'), '{"env":{"ANTHROPIC_BASE_URL":"https://x"}}'), 'note'],
    ['a subscription login', () => write(join(home, '.claude', '.credentials.json'), '{}'), 'note'],
    ['CLAUDE_CONFIG_DIR', () => {
      write(join(root, 'cfg', 'settings.json'), '{"env":{"CLAUDE_CODE_USE_BEDROCK":"1"}}');
      return { env: { HOME: home, CLAUDE_CONFIG_DIR: join(root, 'cfg') } };
    }, 'bypass'],
    ['a broken settings file', () => write(join(home, '.claude', 'settings.json'), '{'), 'unseen'],
  ])('Claude Code config: %s', (_what, setup, level) => {
    const extra = setup() ?? {};
    expect(levels(inspectCommand(['claude'], options(extra)).findings)).toContain(level);
  });

  it('finds nothing to say about a plain setup', () => {
    expect(inspectCommand(['claude', '-p', 'x'], options()).findings.filter((f) => f.level !== 'unseen')).toEqual([]);
  });
});

describe('refusal', () => {
  it('refuses an agent whose provider has no key, with exit 77 and the fix', () => {
    const report = inspectCommand(['claude', '-p', 'hi'], options({ held: ['openai'] }));
    expect(report.missing).toEqual(['anthropic']);
    const error = refusal(report, false)!;
    expect(error).toMatchObject({ code: 'E_NO_KEY', exitCode: 77 });
    expect(error.message).toContain('Claude Code needs an anthropic key');
    expect(error.fix).toContain('guardrun key set anthropic');
    expect(error.fix).toContain('--key-env anthropic=');
    expect(refusal(report, true)).toBeUndefined();
  });

  it('refuses a configured bypass with exit 78, not a note', () => {
    write(join(home, '.codex', 'config.toml'), 'model_provider = "ollama"\n');
    expect(refusal(inspectCommand(['codex'], options()), false)).toMatchObject({ code: 'E_UNGUARDED', exitCode: 78 });
    write(join(home, '.codex', 'config.toml'), 'openai_base_url = "https://gw/v1"\n');
    expect(refusal(inspectCommand(['codex'], options()), false)).toBeUndefined();
  });

  it('refuses Codex inside a script it cannot rewrite, and passes the generic case', () => {
    expect(refusal(inspectCommand(['sh', '-c', 'cd x && codex exec'], options()), false)?.code).toBe('E_UNGUARDED');
    expect(refusal(inspectCommand(['sh', '-c', 'cd x && claude -p y'], options()), false)).toBeUndefined();
    expect(refusal(inspectCommand(['sh', '-c', 'cd x && claude -p y'], options({ held: ['openai'] })), false)?.code).toBe('E_NO_KEY');
    expect(inspectCommand(['node', 'agent.js'], options({ held: [] }))).toEqual({ result: { kind: 'generic' }, findings: [], missing: [] });
  });
});
