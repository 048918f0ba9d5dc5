// `guardrun --nested` inside a session: the agent (which controls the inner run's arguments and environment)
// must not get a keychain key sent to an upstream of its choosing (issue 10: an inner run with its own
// `--upstream` received the real key). A key read from the keychain inside a session goes only to the
// provider's own API; an inner run meant to go through the outer one uses the outer's dummy key and proxy.
import { GuardrunError } from '../errors.js';
import { DEFAULT_UPSTREAMS, UPSTREAM_ENV, type Provider } from '../providers.js';
import type { HeldKey } from '../secrets/keystore.js';

/** Throws E_NESTED when, inside a session, a keychain key would go to an upstream other than its provider's own. */
export function checkNestedUpstreams(keys: readonly HeldKey[], upstreams: Partial<Record<Provider, string | undefined>>, env: NodeJS.ProcessEnv): void {
  if (!env.GUARDRUN_SESSION) return;
  for (const key of keys) {
    if (!key.source.startsWith('keychain')) continue;
    const chosen = upstreams[key.provider] ?? env[UPSTREAM_ENV[key.provider]];
    if (chosen === undefined || sameUpstream(chosen, DEFAULT_UPSTREAMS[key.provider])) continue;
    throw new GuardrunError(
      'E_NESTED',
      `inside guardrun session ${env.GUARDRUN_SESSION}, --nested sends a key from the keychain only to ${DEFAULT_UPSTREAMS[key.provider]}, not to ${chosen}`,
      `to go through the outer session, use its key and proxy: guardrun --nested --key-env ${key.provider === 'openai' ? 'OPENAI_API_KEY' : 'anthropic=ANTHROPIC_API_KEY'} ${key.provider === 'openai' ? '--upstream "$OPENAI_BASE_URL"' : '--anthropic-upstream "$ANTHROPIC_BASE_URL"'} -- …`,
    );
  }
}

function sameUpstream(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin === y.origin && x.pathname.replace(/\/+$/, '').replace(/\/v1$/, '') === y.pathname.replace(/\/+$/, '');
  } catch {
    return false;
  }
}
