// The OS keychains, through @napi-rs/keyring: one Keystore per store, each pinned so failures say which store failed.
import type { AsyncEntry, EntryOptions } from '@napi-rs/keyring';
import { randomFill } from 'node:crypto';
import { GuardrunError } from '../errors.js';
import type { FoundKey, Keystore, KeystoreInfo } from './keystore.js';

/** The keychain service name every guardrun item is filed under (the account is `accountName(provider, profile)`). */
export const KEYCHAIN_SERVICE = 'guardrun';

export const KEYCHAIN_BACKENDS = ['secret-service', 'kernel-keyring', 'macos-keychain', 'windows-credential'] as const;
export type KeychainBackendName = (typeof KEYCHAIN_BACKENDS)[number];

/** A keychain store, plus a cheap read that says whether it answers at all. */
export interface KeychainBackend extends Keystore {
  /** Short name for messages, e.g. "Secret Service". */
  readonly label: string;
  /** Resolves when the store answers a read; rejects with E_KEYSTORE and a plain reason otherwise. */
  probe(): Promise<void>;
}

interface BackendSpec extends KeystoreInfo {
  label: string;
  platforms: readonly NodeJS.Platform[];
  options?: EntryOptions;
}

const SPECS: Record<KeychainBackendName, BackendSpec> = {
  'secret-service': {
    name: 'secret-service',
    label: 'Secret Service',
    description: 'Secret Service (GNOME Keyring, KWallet)',
    persistent: true,
    platforms: ['linux', 'freebsd', 'openbsd'],
    options: { linux: { store: 'secret-service' } },
  },
  'kernel-keyring': {
    name: 'kernel-keyring',
    label: 'kernel keyring',
    description: 'Linux kernel keyring (keyutils)',
    // Kernel keys live in memory for the login session: gone at reboot.
    persistent: false,
    platforms: ['linux'],
    options: { linux: { store: 'keyutils' } },
  },
  'macos-keychain': { name: 'macos-keychain', label: 'macOS Keychain', description: 'macOS Keychain', persistent: true, platforms: ['darwin'] },
  'windows-credential': {
    name: 'windows-credential',
    label: 'Windows Credential Manager',
    description: 'Windows Credential Manager',
    persistent: true,
    platforms: ['win32'],
  },
};

/** The stores to try on this platform, best first: on Linux the Secret Service, then the kernel keyring. */
export function defaultKeychainBackends(platform: NodeJS.Platform = process.platform): KeychainBackendName[] {
  return KEYCHAIN_BACKENDS.filter((name) => SPECS[name].platforms.includes(platform));
}

export function isKeychainBackendName(value: string): value is KeychainBackendName {
  return (KEYCHAIN_BACKENDS as readonly string[]).includes(value);
}

export function keychainBackendAvailableOn(name: KeychainBackendName, platform: NodeJS.Platform): boolean {
  return SPECS[name].platforms.includes(platform);
}

type KeyringModule = { AsyncEntry: typeof AsyncEntry };

let loaded: Promise<KeyringModule> | undefined;
// Loaded on first use: `--key-env` alone must work even where the native module is missing.
function loadKeyring(): Promise<KeyringModule> {
  loaded ??= import('@napi-rs/keyring');
  return loaded;
}

export interface KeychainBackendOptions {
  /** Replaces the native module (tests). */
  loadModule?: () => Promise<KeyringModule>;
  /** How long the availability probe may take. */
  probeTimeoutMs?: number;
  /** How long one read/write may take; long enough for a person to answer an unlock prompt. */
  operationTimeoutMs?: number;
}

const PROBE_ACCOUNT = 'guardrun-probe';

export function createKeychainBackend(name: KeychainBackendName, options: KeychainBackendOptions = {}): KeychainBackend {
  const spec = SPECS[name];
  const load = options.loadModule ?? loadKeyring;
  const probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
  const operationTimeoutMs = options.operationTimeoutMs ?? 120_000;
  const info: KeystoreInfo = { name: spec.name, description: spec.description, persistent: spec.persistent };

  async function withEntry<T>(account: string, timeoutMs: number, op: (entry: AsyncEntry) => Promise<T>): Promise<T> {
    try {
      if (name === 'kernel-keyring') await startThreadPool();
      const { AsyncEntry: Entry } = await load();
      // The constructor itself throws when a pinned store is unavailable (e.g. no D-Bus).
      const entry = new Entry(KEYCHAIN_SERVICE, account, spec.options);
      return await withTimeout(op(entry), timeoutMs);
    } catch (error) {
      const { reason, fix } = classifyKeychainError(name, error);
      throw new GuardrunError('E_KEYSTORE', `${spec.label}: ${reason}`, fix, { cause: error });
    }
  }

  const get = async (account: string): Promise<string | undefined> =>
    (await withEntry(account, operationTimeoutMs, (e) => e.getPassword())) ?? undefined;

  return {
    ...info,
    label: spec.label,
    get,
    async find(account): Promise<FoundKey | undefined> {
      const value = await get(account);
      return value === undefined ? undefined : { value, store: info };
    },
    async set(account, secret) {
      await withEntry(account, operationTimeoutMs, (e) => e.setPassword(secret));
      return info;
    },
    delete: (account) => withEntry(account, operationTimeoutMs, (e) => e.deleteCredential()),
    async probe() {
      // Without a session keyring of its own the process gets one on its first kernel keyring call, and every later
      // call fails with AccessDenied (seen in containers and non-login shells; see startThreadPool): only a second
      // read tells.
      const reads = name === 'kernel-keyring' ? 2 : 1;
      for (let i = 0; i < reads; i++) await withEntry(PROBE_ACCOUNT, probeTimeoutMs, (e) => e.getPassword());
    },
  };
}

let threadPool: Promise<void> | undefined;

/**
 * Starts libuv's thread pool, where AsyncEntry's calls run, before the first kernel keyring call of the process
 * (resolves once a pool job has run; never rejects). Linux keeps the session keyring in each thread's
 * credentials (keyrings(7), "thread keyrings" and session keyrings: a new thread copies its creator's). A
 * process without a session keyring of its own joins a new anonymous one at its first keyring call, on the main
 * thread (the Entry constructor links the persistent keyring into it). Pool threads made before that do not
 * possess it, so the next read is denied, which is how `probe` tells such a process (a container, a shell with
 * no login session) and refuses; pool threads made after it possess it and every call succeeds. Node 20 has
 * the pool running by then (loading ES modules reads files through it); Node 24 does not, so there `guardrun key
 * set` stored a key in a keyring that ended with the process (left only in the persistent keyring, which a run
 * unlinks) and `key status` listed it, while `guardrun -- cmd`, whose pool was running, was refused.
 */
function startThreadPool(): Promise<void> {
  threadPool ??= new Promise((resolve) => randomFill(Buffer.alloc(1), () => resolve()));
  return threadPool;
}

class TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`did not answer within ${Math.round(ms / 1000)} s`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * @napi-rs/keyring reports every failure as GenericFailure; the message is all there is to tell them apart.
 * Messages seen on Linux are quoted in the tests.
 */
export function classifyKeychainError(backend: KeychainBackendName, error: unknown): { reason: string; fix: string } {
  const raw = error instanceof Error ? error.message : String(error);
  const m = raw.toLowerCase();
  const unlockFix = 'unlock your login keyring (log in to the desktop, or `gnome-keyring-daemon --unlock`), then try again';
  if (error instanceof TimeoutError) return { reason: raw, fix: 'check that the keyring daemon is responsive, then try again' };
  if (/cannot find (module|package)|failed to load native binding|err_module_not_found|err_dlopen_failed/.test(m)) {
    return { reason: `the native keyring module could not be loaded (${raw})`, fix: 'reinstall guardrun (npm installs @napi-rs/keyring for your platform)' };
  }
  if (m.includes('dbus_session_bus_address') || m.includes('autolaunch')) {
    return {
      reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)',
      fix: 'run guardrun inside a desktop login session, where the Secret Service is reachable',
    };
  }
  if (m.includes('org.freedesktop.secrets') || m.includes('serviceunknown') || m.includes('has no owner')) {
    return {
      reason: 'no Secret Service daemon is running (org.freedesktop.secrets is not provided)',
      fix: 'install and start GNOME Keyring or KWallet (e.g. `gnome-keyring-daemon --start --components=secrets`)',
    };
  }
  if (m.includes('prompt was dismissed') || m.includes('locked')) {
    return { reason: 'the keyring is locked and could not be unlocked (the unlock prompt was dismissed or could not be shown)', fix: unlockFix };
  }
  if (backend === 'secret-service' && m.includes('no result found')) {
    return {
      reason: 'the Secret Service has no default keyring to store keys in',
      fix: 'create a default ("login") keyring, e.g. with Seahorse, or `gnome-keyring-daemon --unlock` on a fresh keyring',
    };
  }
  if (backend === 'kernel-keyring' && (m.includes('accessdenied') || m.includes('access denied'))) {
    return {
      reason: 'access to the session keyring was denied (usual in containers and shells without a login session)',
      fix: 'run guardrun from a login session, or inside `keyctl session - <command>`',
    };
  }
  if (m.includes('accessdenied') || m.includes('access denied')) return { reason: 'access denied (the keyring may be locked)', fix: unlockFix };
  if (m.includes('ambiguous')) {
    return {
      reason: 'more than one matching item exists',
      fix: `remove the duplicates in your keychain app (service "${KEYCHAIN_SERVICE}")`,
    };
  }
  return { reason: raw, fix: 'check that your keychain is installed and unlocked' };
}
