// What the user's Codex configuration says about where Codex sends model calls. Read, never written.
// Layers, lowest first, as Codex merges them (codex-rs config loader; measured with 0.171.0):
// /etc/codex/config.toml, $CODEX_HOME/config.toml, `.codex/config.toml` of the project and its parents,
// `-c key=value` and `--profile`/`--oss` on the command line, /etc/codex/managed_config.toml (wins).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';

export interface CodexLayer {
  /** Where the values came from: a file path or "the command line". */
  source: string;
  values: Record<string, unknown>;
  /** `--oss` / `--local-provider P`: a provider chosen over any profile. */
  provider?: string;
}

export interface CodexSettings {
  /** The effective `model_provider` and where it was set (`openai` by default). */
  provider: { value: string; source: string };
  /** The effective `openai_base_url`, when something other than guardrun sets it. */
  baseUrl?: { value: string; source: string };
  forcedLogin?: { value: string; source: string };
  /** Files that exist but could not be read or parsed. */
  unreadable: Array<{ file: string; error: string }>;
}

/** `$CODEX_HOME`, else `~/.codex`. */
export function codexHome(env: NodeJS.ProcessEnv, home: string): string {
  return env.CODEX_HOME ? resolve(env.CODEX_HOME) : join(home, '.codex');
}

/** The `-c key=value` overrides, `--profile NAME`, `--oss` and `--local-provider P` given to Codex itself. */
export function commandLineLayer(args: string[]): CodexLayer {
  const values: Record<string, unknown> = {};
  let provider: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    const next = (): string | undefined => args[++i];
    if (a === '-c' || a === '--config') setOverride(values, next());
    else if (a.startsWith('--config=')) setOverride(values, a.slice('--config='.length));
    else if (a === '-p' || a === '--profile') values.profile = next();
    else if (a.startsWith('--profile=')) values.profile = a.slice('--profile='.length);
    else if (a === '--oss') provider ??= 'oss';
    else if (a === '--local-provider') provider = next();
    else if (a.startsWith('--local-provider=')) provider = a.slice('--local-provider='.length);
  }
  return { source: 'the command line', values, ...(provider ? { provider } : {}) };
}

/** `key=value` as Codex reads it: the value as TOML, else the raw string; dotted keys nest. */
function setOverride(values: Record<string, unknown>, spec: string | undefined): void {
  if (!spec) return;
  const eq = spec.indexOf('=');
  if (eq <= 0) return;
  const key = spec.slice(0, eq).trim();
  const raw = spec.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = (parseToml(`v = ${raw}`) as { v: unknown }).v;
  } catch {
    // Codex uses the raw string when the value is not TOML.
  }
  const path = key.split('.');
  let table = values;
  for (const part of path.slice(0, -1)) {
    if (typeof table[part] !== 'object' || table[part] === null) table[part] = {};
    table = table[part] as Record<string, unknown>;
  }
  table[path[path.length - 1]] = value;
}

function readLayer(file: string, unreadable: CodexSettings['unreadable']): CodexLayer | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return { source: file, values: parseToml(readFileSync(file, 'utf8')) as Record<string, unknown> };
  } catch (error) {
    unreadable.push({ file, error: (error as Error).message.split('\n')[0] });
    return undefined;
  }
}

/** Project layers: `.codex/config.toml` in cwd and each parent, nearest last; the Codex home itself is skipped. */
function projectFiles(cwd: string, home: string): string[] {
  const files: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, '.codex', 'config.toml');
    if (resolve(dirname(file)) !== resolve(home)) files.unshift(file);
    if (dirname(dir) === dir) break;
  }
  return files;
}

/**
 * The effective provider, base URL and forced login method of a Codex run.
 * `args` are Codex's own arguments; `etc` is the system config directory (`/etc/codex`, a parameter for tests).
 */
export function readCodexSettings(o: { args: string[]; env: NodeJS.ProcessEnv; cwd: string; home: string; etc?: string }): CodexSettings {
  const unreadable: CodexSettings['unreadable'] = [];
  const etc = o.etc ?? '/etc/codex';
  const codexDir = codexHome(o.env, o.home);
  const files = [join(etc, 'config.toml'), join(codexDir, 'config.toml'), ...projectFiles(o.cwd, codexDir)];
  const layers = files.map((f) => readLayer(f, unreadable)).filter((l): l is CodexLayer => l !== undefined);
  const cli = commandLineLayer(o.args);
  layers.push(cli);
  const managed = readLayer(join(etc, 'managed_config.toml'), unreadable);
  if (managed) layers.push(managed);

  const last = (get: (v: Record<string, unknown>) => unknown): { value: string; source: string } | undefined => {
    for (let i = layers.length - 1; i >= 0; i--) {
      const value = get(layers[i].values);
      if (typeof value === 'string') return { value, source: layers[i].source };
    }
    return undefined;
  };
  const profile = last((v) => v.profile)?.value;
  const fromProfile = profile ? last((v) => (v.profiles as Record<string, Record<string, unknown>> | undefined)?.[profile]?.model_provider) : undefined;
  const topLevel = last((v) => v.model_provider);
  // Codex resolves: managed config, then --oss/--local-provider, then the profile's, then the merged top-level value.
  const managedProvider = typeof managed?.values.model_provider === 'string' ? { value: managed.values.model_provider, source: managed.source } : undefined;
  const cliProvider = cli.provider ? { value: cli.provider, source: 'the command line (--oss/--local-provider)' } : undefined;
  const provider = managedProvider ?? cliProvider ?? fromProfile ?? topLevel ?? { value: 'openai', source: 'the default' };
  const baseUrl = last((v) => v.openai_base_url);
  const forcedLogin = last((v) => v.forced_login_method);
  return { provider, ...(baseUrl ? { baseUrl } : {}), ...(forcedLogin ? { forcedLogin } : {}), unreadable };
}
