// Codex CLI: `-c openai_base_url=…` before any subcommand, and a private CODEX_HOME whose auth.json holds
// the dummy key. What its configuration can do to go around the proxy is read from its config files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codexHome, readCodexSettings } from './codex-config.js';
import { createPrivateCodexHome } from './codex-home.js';
import { GuardrunError } from '../errors.js';
import type { AgentHooks, Finding, InspectContext } from './types.js';

/** The per-run options guardrun puts before Codex's own arguments (the config keys of codex-rs `Config`). */
export function codexOptions(origin: string): string[] {
  return ['-c', `openai_base_url="${origin}/v1"`, '-c', 'cli_auth_credentials_store="file"'];
}

/** The first word of Codex's arguments that is not an option: its subcommand, if any. */
function subcommand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return undefined;
    if (['-c', '--config', '-p', '--profile', '-m', '--model', '-C', '--cd', '-s', '--sandbox', '-a', '--ask-for-approval', '-i', '--image', '--local-provider', '--enable', '--disable', '--add-dir', '--remote'].includes(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/** What kind of login the user's auth.json holds, without keeping any of it. */
function storedLogin(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const auth = JSON.parse(readFileSync(file, 'utf8')) as { auth_mode?: string; tokens?: unknown; OPENAI_API_KEY?: unknown };
    if (auth.tokens || auth.auth_mode === 'chatgpt' || auth.auth_mode === 'chatgptAuthTokens') return 'a ChatGPT login';
    if (auth.OPENAI_API_KEY || auth.auth_mode === 'apikey') return 'an API key login';
    return 'a login';
  } catch {
    return 'a login guardrun could not read';
  }
}

function inspect(ctx: InspectContext): Finding[] {
  const { args } = ctx.detection;
  const findings: Finding[] = [];
  const settings = readCodexSettings({ args, env: ctx.env, cwd: ctx.cwd, home: ctx.home, etc: ctx.etc?.codex });
  if (settings.provider.value !== 'openai') {
    findings.push({
      level: 'bypass',
      message: `Codex would use the model provider "${settings.provider.value}" (set in ${settings.provider.source}); guardrun fronts only its built-in "openai" provider, so those calls would not pass through guardrun`,
      fix: `select the openai provider for this run (guardrun -- codex -c model_provider='"openai"' …) or remove model_provider from ${settings.provider.source}`,
    });
  }
  if (settings.baseUrl?.source === 'the command line') {
    findings.push({ level: 'bypass', message: 'your -c openai_base_url=… would replace guardrun\'s, so Codex would not reach guardrun', fix: 'drop it and give that URL to guardrun instead: guardrun --upstream URL -- codex …' });
  } else if (settings.baseUrl) {
    findings.push({ level: 'note', message: `openai_base_url = "${settings.baseUrl.value}" (in ${settings.baseUrl.source}) is replaced for this run; guardrun forwards to its own upstream`, fix: `to keep that gateway: guardrun --upstream ${settings.baseUrl.value.replace(/\/v1\/?$/, '')} -- codex …` });
  }
  if (settings.forcedLogin?.value === 'chatgpt') {
    findings.push({ level: 'blocked', message: `forced_login_method = "chatgpt" (in ${settings.forcedLogin.source}) makes Codex refuse the API key guardrun gives it`, fix: 'remove forced_login_method for runs under guardrun, or ask your administrator' });
  }
  for (const u of settings.unreadable) findings.push({ level: 'unseen', message: `${u.file} could not be read (${u.error}); Codex may fail on it too` });
  const home = codexHome(ctx.env, ctx.home);
  const login = storedLogin(join(home, 'auth.json'));
  if (login) findings.push({ level: 'note', message: `${home}/auth.json holds ${login}: Codex does not see it in this run (its private CODEX_HOME holds guardrun's session key); the file is not touched` });
  const sub = subcommand(args);
  if (sub === 'cloud' || sub === 'apply' || sub === 'a') findings.push({ level: 'note', message: `codex ${sub} works with Codex Cloud through a ChatGPT login, which Codex does not have under guardrun` });
  if (sub === 'login' || sub === 'logout') findings.push({ level: 'note', message: `codex ${sub} would change only the run's private CODEX_HOME, which is discarded; your login is untouched` });
  return findings;
}

function stateDir(ctx: InspectContext): string {
  return ctx.env.XDG_STATE_HOME || join(ctx.home, '.local', 'state');
}

export const codexHooks: AgentHooks = {
  inspect,
  prepare(ctx, plan) {
    let privateHome;
    try {
      privateHome = createPrivateCodexHome({ userHome: codexHome(ctx.env, ctx.home), stateDir: stateDir(ctx), sessionId: plan.sessionId, dummyKey: plan.dummyKey });
    } catch (error) {
      throw new GuardrunError('E_CONFIG', `cannot create Codex's private home under ${join(stateDir(ctx), 'guardrun')}: ${(error as Error).message}`, 'make that directory writable, or set XDG_STATE_HOME to a writable directory outside the system temp dir');
    }
    return {
      args: [...codexOptions(plan.origin), ...ctx.detection.args],
      env: { CODEX_HOME: privateHome.dir },
      cleanup: () => privateHome.close(),
    };
  },
  describe(ctx) {
    const home = codexHome(ctx.env, ctx.home);
    return {
      args: [...codexOptions('http://127.0.0.1:PORT'), ...ctx.detection.args],
      lines: [`CODEX_HOME=${join(stateDir(ctx), 'guardrun', 'codex-homes', '<session>')}: every entry of ${home} linked in, except auth.json, which holds the session key; after the run, a symlink to ${home}`],
    };
  },
};
