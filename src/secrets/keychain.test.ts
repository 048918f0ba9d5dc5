import { describe, expect, it } from 'vitest';
import { GuardrunError } from '../errors.js';
import { classifyKeychainError, createKeychainBackend, defaultKeychainBackends, KEYCHAIN_SERVICE } from './keychain.js';

// Messages @napi-rs/keyring 2.1.2 printed on Debian 12 (all with code GenericFailure).
const SEEN = {
  noDbus: 'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
  noDaemon: 'Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files',
  noCollection: "Couldn't access platform storage: Secret Service: no result found",
  locked: "Couldn't access platform storage: Secret Service: unlock prompt was dismissed",
  accessDenied: "Couldn't access platform storage: AccessDenied",
};

describe('classifyKeychainError', () => {
  it.each([
    ['secret-service', SEEN.noDbus, /no D-Bus session bus \(DBUS_SESSION_BUS_ADDRESS is not set\)/],
    ['secret-service', SEEN.noDaemon, /no Secret Service daemon is running/],
    ['secret-service', SEEN.noCollection, /no default keyring/],
    ['secret-service', SEEN.locked, /locked/],
    ['secret-service', SEEN.accessDenied, /access denied \(the keyring may be locked\)/],
    ['kernel-keyring', SEEN.accessDenied, /session keyring was denied/],
    ['macos-keychain', 'Platform secure storage failure: something new', /^Platform secure storage failure: something new$/],
  ] as const)('%s: %s', (backend, message, reason) => {
    const error = Object.assign(new Error(message), { code: 'GenericFailure' });
    const result = classifyKeychainError(backend, error);
    expect(result.reason).toMatch(reason);
    expect(result.fix.length).toBeGreaterThan(10);
  });
});

describe('createKeychainBackend', () => {
  class FakeEntry {
    static items = new Map<string, string>();
    static constructed: unknown[][] = [];
    constructor(private service: string, private account: string, options?: unknown) {
      FakeEntry.constructed.push([service, account, options]);
    }
    private get id(): string {
      return `${this.service}/${this.account}`;
    }
    async getPassword(): Promise<string | null> {
      return FakeEntry.items.get(this.id) ?? null;
    }
    async setPassword(password: string): Promise<void> {
      FakeEntry.items.set(this.id, password);
    }
    async deleteCredential(): Promise<boolean> {
      return FakeEntry.items.delete(this.id);
    }
  }
  const loadModule = async () => ({ AsyncEntry: FakeEntry as never });

  it('files items under the guardrun service, pinned to the store', async () => {
    const backend = createKeychainBackend('secret-service', { loadModule });
    const stored = await backend.set('openai:work', 'sk-test-fake-000');
    expect(stored).toEqual({ name: 'secret-service', description: 'Secret Service (GNOME Keyring, KWallet)', persistent: true });
    expect(FakeEntry.items.get(`${KEYCHAIN_SERVICE}/openai:work`)).toBe('sk-test-fake-000');
    expect(FakeEntry.constructed.at(-1)).toEqual(['guardrun', 'openai:work', { linux: { store: 'secret-service' } }]);
    expect(await backend.find('openai:work')).toEqual({ value: 'sk-test-fake-000', store: stored });
    expect(await backend.get('nothing')).toBeUndefined();
    expect(await backend.delete('openai:work')).toBe(true);
    expect(await backend.delete('openai:work')).toBe(false);
  });

  it('marks the kernel keyring as not persistent and pins keyutils', async () => {
    const backend = createKeychainBackend('kernel-keyring', { loadModule });
    expect(backend.persistent).toBe(false);
    await backend.probe();
    expect(FakeEntry.constructed.at(-1)?.[2]).toEqual({ linux: { store: 'keyutils' } });
  });

  it('turns a failing constructor into E_KEYSTORE with a plain reason', async () => {
    const failing = async () => ({
      AsyncEntry: class {
        constructor() {
          throw Object.assign(new Error(SEEN.noDbus), { code: 'GenericFailure' });
        }
      } as never,
    });
    const backend = createKeychainBackend('secret-service', { loadModule: failing });
    const error = await backend.probe().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GuardrunError);
    expect((error as GuardrunError).code).toBe('E_KEYSTORE');
    expect((error as GuardrunError).message).toBe('Secret Service: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)');
  });

  it('gives up on a store that does not answer', async () => {
    const hanging = async () => ({
      AsyncEntry: class {
        getPassword(): Promise<never> {
          return new Promise(() => undefined);
        }
      } as never,
    });
    const backend = createKeychainBackend('secret-service', { loadModule: hanging, probeTimeoutMs: 20 });
    await expect(backend.probe()).rejects.toThrow('Secret Service: did not answer within 0 s');
  });

  it('lists the stores per platform, best first', () => {
    expect(defaultKeychainBackends('linux')).toEqual(['secret-service', 'kernel-keyring']);
    expect(defaultKeychainBackends('darwin')).toEqual(['macos-keychain']);
    expect(defaultKeychainBackends('win32')).toEqual(['windows-credential']);
  });
});
