import { describe, expect, it } from 'vitest';
import { GuardrunError } from '../errors.js';
import type { Keystore } from './keystore.js';
import { createMemoryKeystore, sharedMemoryKeystore } from './memory-keystore.js';
import { createKeystoreChain, openKeystore, type CandidateKeystore } from './open-keystore.js';

const KEY = 'sk-test-fake-chain-0000000000000000000';

/** A backend that refuses everything with one reason, like an unreachable keychain. */
function broken(name: string, reason: string, fix = `fix ${name}`): CandidateKeystore {
  const fail = async (): Promise<never> => {
    throw new GuardrunError('E_KEYSTORE', `${name}: ${reason}`, fix);
  };
  return { name, description: `${name} store`, persistent: true, get: fail, find: fail, set: fail, delete: fail, probe: fail };
}

function memory(name: string, initial: Record<string, string> = {}, persistent = true): Keystore {
  return createMemoryKeystore({ name, description: `${name} store`, initial, persistent });
}

async function rejected(promise: Promise<unknown>): Promise<GuardrunError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof GuardrunError)) throw new Error(`expected a GuardrunError, got ${String(error)}`);
  return error;
}

describe('openKeystore', () => {
  it('returns the only backend that answers', async () => {
    const good = memory('second');
    const store = await openKeystore({ env: {}, backends: [broken('first', 'no daemon'), good] });
    expect(store).toBe(good);
  });

  it('chains every backend that answers, in order', async () => {
    const store = await openKeystore({ env: {}, backends: [memory('a'), broken('b', 'down'), memory('c')] });
    expect(store.name).toBe('a+c');
    expect(store.description).toBe('a store, then c store');
  });

  it('says what failed for each backend, with the first fix and --key-env, when none answers', async () => {
    const error = await rejected(openKeystore({ env: {}, backends: [broken('Secret Service', 'no D-Bus'), broken('kernel keyring', 'access denied')] }));
    expect(error.code).toBe('E_KEYSTORE');
    expect(error.exitCode).toBe(77);
    expect(error.message).toBe('no keychain is reachable: Secret Service: no D-Bus; kernel keyring: access denied');
    expect(error.fix).toMatch(/^fix Secret Service; or skip the keychain .*--key-env OPENAI_API_KEY/);
  });

  it('fails clearly on a platform with no keychain', async () => {
    const error = await rejected(openKeystore({ env: {}, platform: 'aix' }));
    expect(error.code).toBe('E_KEYSTORE');
    expect(error.message).toMatch(/aix/);
  });

  it('pins the memory keystore with GUARDRUN_KEYSTORE=memory', async () => {
    const store = await openKeystore({ env: { GUARDRUN_KEYSTORE: 'memory' }, platform: 'linux' });
    expect(store).toBe(sharedMemoryKeystore());
  });

  it.each(['nope', 'memory,nope', 'macos-keychain'])('rejects GUARDRUN_KEYSTORE=%s on linux with E_CONFIG', async (value) => {
    const error = await rejected(openKeystore({ env: { GUARDRUN_KEYSTORE: value }, platform: 'linux' }));
    expect(error.code).toBe('E_CONFIG');
    expect(error.message).toContain('GUARDRUN_KEYSTORE');
  });

  it('names the pinned backend when it is unreachable', async () => {
    const fakeModule = async () => ({
      AsyncEntry: class {
        constructor() {
          throw new Error('Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead');
        }
      } as never,
    });
    const error = await rejected(openKeystore({ env: { GUARDRUN_KEYSTORE: 'secret-service' }, platform: 'linux', keychain: { loadModule: fakeModule } }));
    expect(error.message).toBe('the keychain pinned by GUARDRUN_KEYSTORE=secret-service is not reachable: Secret Service: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)');
  });
});

describe('createKeystoreChain', () => {
  it('reads in order: the first hit wins', async () => {
    const chain = createKeystoreChain([memory('a', { openai: KEY }), memory('b', { openai: 'sk-test-fake-other-000000000000000', anthropic: KEY })]);
    expect(await chain.find('openai')).toEqual({ value: KEY, store: { name: 'a', description: 'a store', persistent: true } });
    expect((await chain.find('anthropic'))?.store.name).toBe('b');
    expect(await chain.get('missing')).toBeUndefined();
  });

  it('reads past a broken backend, but does not call a failed read a miss', async () => {
    const chain = createKeystoreChain([broken('a', 'locked'), memory('b', { openai: KEY })]);
    expect(await chain.get('openai')).toBe(KEY);
    const error = await rejected(chain.get('anthropic'));
    expect(error.message).toBe('could not read the key for anthropic: a: locked');
  });

  it('writes to the first backend that accepts, says why others were skipped, and leaves one copy', async () => {
    const b = memory('b', {}, false);
    const c = memory('c', { openai: 'sk-test-fake-stale-000000000000000' });
    const chain = createKeystoreChain([broken('a', 'no default keyring'), b, c]);
    const stored = await chain.set('openai', KEY);
    expect(stored).toMatchObject({ name: 'b', persistent: false, skipped: ['a: no default keyring'] });
    expect(await b.get('openai')).toBe(KEY);
    expect(await c.get('openai')).toBeUndefined();
  });

  it('fails the write when no backend accepts it', async () => {
    const error = await rejected(createKeystoreChain([broken('a', 'x'), broken('b', 'y')]).set('openai', KEY));
    expect(error.message).toBe('could not store the key for openai: a: x; b: y');
    expect(error.fix).toBe('fix a');
  });

  it('deletes from every backend and says whether anything went', async () => {
    const a = memory('a', { openai: KEY });
    const b = memory('b', { openai: KEY });
    const chain = createKeystoreChain([a, b]);
    expect(await chain.delete('openai')).toBe(true);
    expect(await a.get('openai')).toBeUndefined();
    expect(await b.get('openai')).toBeUndefined();
    expect(await chain.delete('openai')).toBe(false);
    await expect(createKeystoreChain([broken('a', 'x'), memory('b')]).delete('openai')).rejects.toThrow(/could not delete/);
  });
});
