// The key that seals session files (guardrun --sign): kept in the keychain beside the provider keys, made on
// first use; or, where there is no keychain (CI), taken from an environment variable.
import { GuardrunError } from '../errors.js';
import { newSigningKey, SIGNING_KEY_ACCOUNT } from '../recording/seal.js';
import type { Keystore } from './keystore.js';

export interface SigningKey {
  key: string;
  /** Where it came from, for messages: `keychain (…)` or `env VAR`. */
  source: string;
  /** True when it was made now (the first sealed run on this machine). */
  created: boolean;
}

/**
 * The signing key: from `env[keyEnv]` when `keyEnv` is given (E_NO_KEY, exit 77, when unset or empty), else
 * from the keystore, made and stored there when missing and `create` is true (undefined when missing otherwise).
 */
export async function loadSigningKey(o: { keyEnv?: string; env: NodeJS.ProcessEnv; openKeystore: () => Promise<Keystore>; create: boolean }): Promise<SigningKey | undefined> {
  if (o.keyEnv !== undefined) {
    const value = o.env[o.keyEnv];
    if (!value) throw new GuardrunError('E_NO_KEY', `--sign-key-env ${o.keyEnv}: the environment variable ${o.keyEnv} is not set`, `set ${o.keyEnv} to a long random value (e.g. openssl rand -hex 32), or drop --sign-key-env to keep the key in the keychain`);
    return { key: value, source: `env ${o.keyEnv}`, created: false };
  }
  const keystore = await o.openKeystore();
  const found = await keystore.find(SIGNING_KEY_ACCOUNT);
  if (found) return { key: found.value, source: `keychain (${found.store.description})`, created: false };
  if (!o.create) return undefined;
  const key = newSigningKey();
  const stored = await keystore.set(SIGNING_KEY_ACCOUNT, key);
  return { key, source: `keychain (${stored.description})`, created: true };
}
