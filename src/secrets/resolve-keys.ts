// Which real key guardrun holds for each provider: `--key-env` first, else the keychain. Each provider on its own.
import { GuardrunError, isGuardrunError } from '../errors.js';
import { PROVIDERS, accountName, isProvider, type Provider } from '../providers.js';
import type { HeldKey, Keystore } from './keystore.js';

/** `--key-env [PROVIDER=]VAR`: take PROVIDER's key from guardrun's own env variable VAR. */
export interface KeyEnvSpec {
  provider: Provider;
  variable: string;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses `[PROVIDER=]VAR`; the provider defaults to openai. Throws E_USAGE on anything else. */
export function parseKeyEnv(spec: string): KeyEnvSpec {
  const at = spec.indexOf('=');
  const providerPart = at === -1 ? 'openai' : spec.slice(0, at).trim().toLowerCase();
  const variable = (at === -1 ? spec : spec.slice(at + 1)).trim();
  const example = 'e.g. --key-env OPENAI_API_KEY or --key-env anthropic=ANTHROPIC_API_KEY';
  if (!isProvider(providerPart)) {
    throw new GuardrunError('E_USAGE', `--key-env ${spec}: unknown provider "${providerPart}" (valid: ${PROVIDERS.join(', ')})`, example);
  }
  if (!VARIABLE.test(variable)) {
    throw new GuardrunError('E_USAGE', `--key-env ${spec}: "${variable}" is not an environment variable name`, example);
  }
  // `--key-env anthropic` reads as the provider, not as a variable called "anthropic".
  if (at === -1 && isProvider(variable)) {
    throw new GuardrunError('E_USAGE', `--key-env ${spec}: give the variable that holds the key`, `e.g. --key-env ${variable}=${variable.toUpperCase()}_API_KEY`);
  }
  return { provider: providerPart, variable };
}

export interface ResolveKeysOptions {
  keyEnv: KeyEnvSpec[];
  profile?: string;
  env: NodeJS.ProcessEnv;
  /** Called at most once, and only when some provider has no `--key-env`. */
  openKeystore: () => Promise<Keystore>;
}

export interface ResolvedKeys {
  /** In PROVIDERS order; providers with no key are left out. */
  keys: HeldKey[];
  /** The `--key-env` variables: the child must not see them. */
  childEnvRemove: string[];
  /** Why the keychain gave nothing for some provider (could not be opened or read), when it matters less than a found key. */
  keystoreError?: string;
}

export async function resolveKeys(options: ResolveKeysOptions): Promise<ResolvedKeys> {
  const fromEnv = new Map<Provider, string>();
  for (const { provider, variable } of options.keyEnv) {
    if (fromEnv.has(provider)) {
      throw new GuardrunError('E_USAGE', `--key-env is given twice for ${provider} (${fromEnv.get(provider)} and ${variable})`, `keep one --key-env per provider`);
    }
    fromEnv.set(provider, variable);
  }

  const keys: HeldKey[] = [];
  const lookups = PROVIDERS.filter((p) => !fromEnv.has(p));
  for (const provider of PROVIDERS) {
    const variable = fromEnv.get(provider);
    if (variable === undefined) continue;
    const value = options.env[variable];
    if (value === undefined || value === '') {
      throw new GuardrunError(
        'E_NO_KEY',
        `--key-env ${provider}=${variable}: the environment variable ${variable} is ${value === undefined ? 'not set' : 'empty'}`,
        `set ${variable} in guardrun's environment, or drop --key-env to use the key stored with: guardrun key set ${provider}`,
      );
    }
    keys.push({ provider, value, source: `env ${variable}` });
  }

  const errors: GuardrunError[] = [];
  let keystore: Keystore | undefined;
  if (lookups.length > 0) {
    try {
      keystore = await options.openKeystore();
    } catch (error) {
      errors.push(asKeystoreError(error));
    }
  }
  if (keystore) {
    for (const provider of lookups) {
      try {
        const found = await keystore.find(accountName(provider, options.profile));
        if (found) keys.push({ provider, value: found.value, source: `keychain (${found.store.description})` });
      } catch (error) {
        errors.push(asKeystoreError(error));
      }
    }
  }
  keys.sort((a, b) => PROVIDERS.indexOf(a.provider) - PROVIDERS.indexOf(b.provider));
  const keystoreError = errors.length > 0 ? errors.map((e) => e.message).join('; ') : undefined;
  if (keys.length === 0) throw noKeyError(options.profile, keystore, errors, keystoreError);
  return { keys, childEnvRemove: [...fromEnv.values()], ...(keystoreError ? { keystoreError } : {}) };
}

function asKeystoreError(error: unknown): GuardrunError {
  if (isGuardrunError(error)) return error;
  return new GuardrunError('E_KEYSTORE', error instanceof Error ? error.message : String(error), undefined, { cause: error });
}

function keystoreAdvice(error: GuardrunError): string | undefined {
  if (error.fix && !error.fix.includes('--key-env')) return error.fix;
  return isGuardrunError(error.cause) ? keystoreAdvice(error.cause) : undefined;
}

function noKeyError(profile: string | undefined, keystore: Keystore | undefined, errors: GuardrunError[], keystoreError: string | undefined): GuardrunError {
  const inProfile = profile && profile !== 'default' ? ` (profile ${profile})` : '';
  const profileFlag = inProfile ? ` --profile ${profile}` : '';
  const what = keystoreError
    ? `no API key${inProfile}: ${keystoreError}`
    : `no key stored for ${PROVIDERS.join(' or ')}${inProfile} in ${keystore?.description ?? 'the keychain'}`;
  // The keystore's own advice (unlock it, start a daemon) first, unless it already is the --key-env advice.
  const keystoreFix = errors.map(keystoreAdvice).find(Boolean);
  const fix =
    `${keystoreFix ? `${keystoreFix}; ` : ''}store a key with: guardrun key set openai${profileFlag}` +
    ` (or anthropic), or pass one from an env variable: guardrun --key-env OPENAI_API_KEY -- <command>`;
  return new GuardrunError('E_NO_KEY', what, fix, { cause: errors[0] });
}
