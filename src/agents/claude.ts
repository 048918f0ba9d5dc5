// Claude Code: the base URL and the session key in a private `--settings` file (a settings layer above
// the user's and the project's own `env` blocks, which would otherwise win over the process environment),
// and the same values in the environment for the processes it starts. Measured with 2.1.332.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GuardrunError } from '../errors.js';
import type { AgentHooks, Finding, InspectContext } from './types.js';

/** Variables that send Claude Code to a cloud provider instead of the Anthropic API (code.claude.com/docs/en/settings). */
const CLOUD_SWITCHES = ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY'];

interface SettingsFile {
  file: string;
  settings: Record<string, unknown>;
}

/** The managed settings file of this platform (administrators' settings, above every other layer). */
export function managedSettingsFile(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return '/Library/Application Support/ClaudeCode/managed-settings.json';
  if (platform === 'win32') return 'C:\\Program Files\\ClaudeCode\\managed-settings.json';
  return '/etc/claude-code/managed-settings.json';
}

function configDir(ctx: InspectContext): string {
  return ctx.env.CLAUDE_CONFIG_DIR ? resolve(ctx.env.CLAUDE_CONFIG_DIR) : join(ctx.home, '.claude');
}

function readJson(file: string, findings: Finding[]): SettingsFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const settings = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return settings && typeof settings === 'object' && !Array.isArray(settings) ? { file, settings: settings as Record<string, unknown> } : undefined;
  } catch (error) {
    findings.push({ level: 'unseen', message: `${file} could not be read (${(error as Error).message.split('\n')[0]})` });
    return undefined;
  }
}

function envOf(s: SettingsFile | undefined): Record<string, unknown> {
  const env = s?.settings.env;
  return env && typeof env === 'object' ? (env as Record<string, unknown>) : {};
}

const truthy = (v: unknown): boolean => typeof v === 'string' && /^(1|true|yes|on)$/i.test(v.trim());

/** Index of the user's own `--settings` value in Claude's arguments (`--settings X` or `--settings=X`). */
function userSettingsAt(args: string[]): { index: number; inline: boolean } | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') return undefined;
    if (args[i] === '--settings' && i + 1 < args.length) return { index: i + 1, inline: false };
    if (args[i].startsWith('--settings=')) return { index: i, inline: true };
  }
  return undefined;
}

/** The user's `--settings` value (a JSON text or a file), parsed. */
function userSettings(args: string[], cwd: string): Record<string, unknown> | undefined {
  const at = userSettingsAt(args);
  if (!at) return undefined;
  const value = at.inline ? args[at.index].slice('--settings='.length) : args[at.index];
  const text = value.trim().startsWith('{') ? value : readFileSync(resolve(cwd, value), 'utf8');
  const parsed = JSON.parse(text) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
  return parsed as Record<string, unknown>;
}

/** Claude's arguments with `--settings FILE`: in place of the user's own, else in front. */
function withSettingsFile(agentArgs: string[], file: string): string[] {
  const args = [...agentArgs];
  const at = userSettingsAt(args);
  if (at?.inline) args[at.index] = `--settings=${file}`;
  else if (at) args[at.index] = file;
  else args.unshift('--settings', file);
  return args;
}

function inspect(ctx: InspectContext): Finding[] {
  const findings: Finding[] = [];
  const dir = configDir(ctx);
  const managed = readJson(ctx.etc?.claudeManaged ?? managedSettingsFile(), findings);
  const layers = [join(dir, 'settings.json'), join(ctx.cwd, '.claude', 'settings.json'), join(ctx.cwd, '.claude', 'settings.local.json')]
    .map((f) => readJson(f, findings))
    .filter((s): s is SettingsFile => s !== undefined);
  const sources: Array<{ where: string; env: Record<string, unknown> }> = [
    { where: 'the environment', env: ctx.env },
    ...layers.map((s) => ({ where: s.file, env: envOf(s) })),
    ...(managed ? [{ where: managed.file, env: envOf(managed) }] : []),
  ];
  for (const { where, env } of sources) {
    for (const name of CLOUD_SWITCHES) {
      if (truthy(env[name])) findings.push({ level: 'bypass', message: `${name} (in ${where}) sends Claude Code to a cloud provider, which guardrun does not front`, fix: `unset ${name} for runs under guardrun` });
    }
  }
  const managedEnv = envOf(managed);
  if (typeof managedEnv.ANTHROPIC_BASE_URL === 'string') {
    findings.push({ level: 'bypass', message: `the managed settings (${managed!.file}) set ANTHROPIC_BASE_URL, which wins over guardrun's settings`, fix: 'ask your administrator; guardrun cannot override managed settings' });
  }
  for (const name of ['ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY']) {
    if (typeof managedEnv[name] === 'string') findings.push({ level: 'blocked', message: `the managed settings (${managed!.file}) set ${name}, which Claude Code would send instead of guardrun's session key` });
  }
  for (const s of layers) {
    if (typeof envOf(s).ANTHROPIC_BASE_URL === 'string') findings.push({ level: 'note', message: `${s.file} sets ANTHROPIC_BASE_URL; guardrun's settings replace it for this run` });
    if (typeof s.settings.apiKeyHelper === 'string') findings.push({ level: 'note', message: `${s.file} sets apiKeyHelper: Claude Code sends that key as x-api-key next to guardrun's token; guardrun drops it, it is neither forwarded nor recorded` });
  }
  try {
    if (userSettings(ctx.detection.args, ctx.cwd)) findings.push({ level: 'note', message: 'your --settings are merged into guardrun\'s (its env values for ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN win)' });
  } catch (error) {
    findings.push({ level: 'blocked', message: `your --settings could not be read (${(error as Error).message.split('\n')[0]}), so guardrun cannot merge its own into them` });
  }
  if (existsSync(join(dir, '.credentials.json'))) {
    findings.push({ level: 'note', message: `${join(dir, '.credentials.json')} holds a subscription login: Claude Code does not use it while guardrun's ANTHROPIC_AUTH_TOKEN is set; the file is not touched` });
  }
  if (process.platform === 'darwin') findings.push({ level: 'unseen', message: 'a subscription login kept in the macOS Keychain (it is not used while guardrun\'s token is set)' });
  return findings;
}

function cacheDir(ctx: InspectContext): string {
  return join(ctx.env.XDG_CACHE_HOME || join(ctx.home, '.cache'), 'guardrun');
}

export const claudeHooks: AgentHooks = {
  inspect,
  prepare(ctx, plan) {
    let base: Record<string, unknown>;
    try {
      base = userSettings(ctx.detection.args, ctx.cwd) ?? {};
    } catch (error) {
      throw new GuardrunError('E_CONFIG', `the --settings given to Claude Code could not be read: ${(error as Error).message.split('\n')[0]}`, 'pass --settings a JSON object or a readable JSON file');
    }
    const env = { ...(base.env as Record<string, unknown> | undefined), ANTHROPIC_BASE_URL: `${plan.origin}/anthropic`, ANTHROPIC_AUTH_TOKEN: plan.dummyKey };
    const dir = cacheDir(ctx);
    const file = join(dir, `claude-settings-${plan.sessionId}.json`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(file, JSON.stringify({ ...base, env }) + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      throw new GuardrunError('E_CONFIG', `cannot write Claude Code's settings layer in ${dir}: ${(error as Error).message}`, 'make that directory writable, or set XDG_CACHE_HOME to a writable directory');
    }
    return { args: withSettingsFile(ctx.detection.args, file), env: {}, cleanup: () => rmSync(file, { force: true }) };
  },
  describe(ctx) {
    const file = join(cacheDir(ctx), 'claude-settings-<session>.json');
    return {
      args: withSettingsFile(ctx.detection.args, file),
      lines: [`${file}: your --settings (if any) with env ANTHROPIC_BASE_URL=http://127.0.0.1:PORT/anthropic and ANTHROPIC_AUTH_TOKEN=<session key>; removed after the run`],
    };
  },
};
