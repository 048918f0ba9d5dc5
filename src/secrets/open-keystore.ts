// Picks where keys live: the platform's keychains in order (after 99designs/keyring), or the ones GUARDRUN_KEYSTORE pins.
import { GuardrunError, isGuardrunError } from '../errors.js';
import {
  KEYCHAIN_BACKENDS,
  createKeychainBackend,
  defaultKeychainBackends,
  isKeychainBackendName,
  keychainBackendAvailableOn,
  type KeychainBackendName,
  type KeychainBackendOptions,
} from './keychain.js';
import type { FoundKey, Keystore, StoredIn } from './keystore.js';
import { sharedMemoryKeystore } from './memory-keystore.js';

/** Pins the backends, comma-separated and in order: secret-service, kernel-keyring (or keyutils), macos-keychain, windows-credential, memory. */
export const KEYSTORE_ENV = 'GUARDRUN_KEYSTORE';

/** A backend to try; `probe` (when present) says whether it answers at all. */
export type CandidateKeystore = Keystore & { probe?(): Promise<void> };

export interface OpenKeystoreOptions {
  /** Where GUARDRUN_KEYSTORE is read from (default process.env). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Replaces the ordered list of backends (tests). */
  backends?: CandidateKeystore[];
  keychain?: KeychainBackendOptions;
}

const KEY_ENV_FIX = 'skip the keychain and pass the key from an env variable: guardrun --key-env OPENAI_API_KEY -- <command> (anthropic=VAR for Anthropic)';

/**
 * Probes the candidates and returns the ones that answer, as one Keystore: reads go through them in order
 * (first hit wins), a write goes to the first that accepts it. Throws E_KEYSTORE when none answers.
 */
export async function openKeystore(options: OpenKeystoreOptions = {}): Promise<Keystore> {
  const env = options.env ?? process.env;
  const pinned = env[KEYSTORE_ENV]?.trim();
  const candidates = options.backends ?? candidatesFor(pinned, options.platform ?? process.platform, options.keychain);
  if (candidates.length === 0) {
    throw new GuardrunError('E_KEYSTORE', `no keychain guardrun can use is known on ${options.platform ?? process.platform}`, KEY_ENV_FIX);
  }
  const probes = await Promise.allSettled(candidates.map((c) => (c.probe ? c.probe() : c.get('guardrun-probe'))));
  const available = candidates.filter((_, i) => probes[i].status === 'fulfilled');
  if (available.length > 0) return available.length === 1 ? available[0] : createKeystoreChain(available);

  const errors = probes.map((p) => (p.status === 'rejected' ? p.reason : undefined));
  const what = pinned ? `the keychain pinned by ${KEYSTORE_ENV}=${pinned} is not reachable` : 'no keychain is reachable';
  const firstFix = errors.map((e) => (isGuardrunError(e) ? e.fix : undefined)).find(Boolean);
  throw new GuardrunError('E_KEYSTORE', `${what}: ${errors.map(messageOf).join('; ')}`, firstFix ? `${firstFix}; or ${KEY_ENV_FIX}` : KEY_ENV_FIX, {
    cause: errors[0],
  });
}

function candidatesFor(pinned: string | undefined, platform: NodeJS.Platform, keychain?: KeychainBackendOptions): CandidateKeystore[] {
  if (!pinned) return defaultKeychainBackends(platform).map((name) => createKeychainBackend(name, keychain));
  return pinned.split(',').map((raw) => {
    const name = raw.trim() === 'keyutils' ? 'kernel-keyring' : raw.trim();
    if (name === 'memory') return sharedMemoryKeystore();
    if (!isKeychainBackendName(name)) {
      throw new GuardrunError('E_CONFIG', `${KEYSTORE_ENV} names an unknown keystore "${raw.trim()}"`, `use one or more of: ${[...KEYCHAIN_BACKENDS, 'memory'].join(', ')} (comma-separated), or unset it`);
    }
    if (!keychainBackendAvailableOn(name, platform)) {
      const here = defaultKeychainBackends(platform);
      throw new GuardrunError('E_CONFIG', `${KEYSTORE_ENV}=${name}: that keystore does not exist on ${platform}`, `use ${[...here, 'memory'].join(', ')}, or unset ${KEYSTORE_ENV}`);
    }
    return createKeychainBackend(name as KeychainBackendName, keychain);
  });
}

/** Several backends as one: the order is the priority. */
export function createKeystoreChain(backends: Keystore[]): Keystore {
  const first = backends[0];
  if (!first) throw new Error('createKeystoreChain needs at least one backend');

  async function find(account: string): Promise<FoundKey | undefined> {
    const errors: unknown[] = [];
    for (const backend of backends) {
      try {
        const found = await backend.find(account);
        if (found) return found;
      } catch (error) {
        errors.push(error);
      }
    }
    // A miss is only a miss when every store answered; otherwise say which could not be read.
    if (errors.length > 0) throw combined(`could not read the key for ${account}`, errors);
    return undefined;
  }

  return {
    name: backends.map((b) => b.name).join('+'),
    description: backends.map((b) => b.description).join(', then '),
    persistent: first.persistent,
    find,
    get: async (account) => (await find(account))?.value,
    async set(account, secret): Promise<StoredIn> {
      const errors: unknown[] = [];
      for (const [i, backend] of backends.entries()) {
        try {
          const stored = await backend.set(account, secret);
          // Leave one copy: an older one elsewhere could shadow this one (or outlive a later delete).
          await Promise.allSettled(backends.filter((_, j) => j !== i).map((other) => other.delete(account)));
          return errors.length > 0 ? { ...stored, skipped: errors.map(messageOf) } : stored;
        } catch (error) {
          errors.push(error);
        }
      }
      throw combined(`could not store the key for ${account}`, errors);
    },
    async delete(account) {
      const results = await Promise.allSettled(backends.map((b) => b.delete(account)));
      if (results.some((r) => r.status === 'fulfilled' && r.value)) return true;
      const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (errors.length > 0) throw combined(`could not delete the key for ${account}`, errors);
      return false;
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function combined(what: string, errors: unknown[]): GuardrunError {
  const fix = errors.map((e) => (isGuardrunError(e) ? e.fix : undefined)).find(Boolean);
  return new GuardrunError('E_KEYSTORE', `${what}: ${errors.map(messageOf).join('; ')}`, fix, { cause: errors[0] });
}
