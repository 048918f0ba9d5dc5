// The child's environment: the dummy key and local base URLs in, every real credential out.
import type { Provider } from '../providers.js';

/** Variables that could let the child reach a provider around the proxy. Removed whether or not guardrun holds that provider's key. */
export const REMOVED_VARIABLES = [
  'OPENAI_API_KEY', 'OPENAI_KEY', 'OPENAI_ADMIN_KEY', 'OPENAI_CUSTOM_HEADERS', 'OPENAI_API_HOST',
  'AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_AD_TOKEN', 'AZURE_API_KEY',
  'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_CUSTOM_HEADERS', 'CLAUDE_CODE_OAUTH_TOKEN',
  'CODEX_API_KEY', 'CODEX_ACCESS_TOKEN',
] as const;

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

export interface ChildEnvOptions {
  parent: NodeJS.ProcessEnv;
  origin: string;
  dummyKey: string;
  sessionId: string;
  providers: Provider[];
  /** Real key values: any variable holding one is removed too, whatever its name. */
  realKeys: string[];
  /** Extra variables to remove (the --key-env sources). */
  remove: string[];
  /** Providers the run lets go around guardrun (--allow-unguarded): neither base URL nor dummy key is set for them. */
  unguarded?: Provider[];
}

export function childEnv(o: ChildEnvOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const drop = new Set<string>([...REMOVED_VARIABLES, ...o.remove]);
  for (const [name, value] of Object.entries(o.parent)) {
    if (value === undefined || drop.has(name)) continue;
    if (o.realKeys.some((key) => key.length > 0 && value.includes(key))) continue;
    env[name] = value;
  }
  const unguarded = o.unguarded ?? [];
  if (!unguarded.includes('openai')) {
    env.OPENAI_API_KEY = o.dummyKey;
    env.CODEX_API_KEY = o.dummyKey;
    env.OPENAI_BASE_URL = `${o.origin}/v1`;
    env.OPENAI_API_BASE = `${o.origin}/v1`;
  }
  env.OPENAI_AGENTS_DISABLE_TRACING = '1';
  // Anthropic calls are pointed at guardrun even without an Anthropic key: an agent with a stored login then
  // gets guardrun's refusal (401, naming the fix) instead of reaching the provider around it. The dummy key is
  // given only with a key, so SDKs that pick a provider by the keys present do not pick one that cannot work.
  if (!unguarded.includes('anthropic')) {
    env.ANTHROPIC_BASE_URL = `${o.origin}/anthropic`;
    if (o.providers.includes('anthropic')) env.ANTHROPIC_API_KEY = o.dummyKey;
  }
  env.NO_PROXY = withLoopback(o.parent.NO_PROXY);
  env.no_proxy = withLoopback(o.parent.no_proxy);
  env.GUARDRUN_SESSION = o.sessionId;
  return env;
}

function withLoopback(existing: string | undefined): string {
  const entries = (existing ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const host of LOOPBACK_HOSTS) if (!entries.includes(host)) entries.push(host);
  return entries.join(',');
}
