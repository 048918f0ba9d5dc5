import { describe, expect, it, vi } from 'vitest';
import { GuardrunError } from '../errors.js';
import type { Keystore } from './keystore.js';
import { createMemoryKeystore } from './memory-keystore.js';
import { parseKeyEnv, resolveKeys } from './resolve-keys.js';

const OPENAI = 'sk-test-fake-openai-00000000000000000000';
const ANTHROPIC = 'sk-ant-test-fake-anthropic-000000000000';

function caught(fn: () => unknown): GuardrunError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GuardrunError) return error;
    throw error;
  }
  throw new Error('expected a GuardrunError');
}

async function rejected(promise: Promise<unknown>): Promise<GuardrunError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GuardrunError)) throw new Error(`expected a GuardrunError, got ${String(error)}`);
  return error;
}

describe('parseKeyEnv', () => {
  it('defaults the provider to openai', () => {
    expect(parseKeyEnv('OPENAI_API_KEY')).toEqual({ provider: 'openai', variable: 'OPENAI_API_KEY' });
  });

  it('takes PROVIDER=VAR', () => {
    expect(parseKeyEnv('anthropic=MY_KEY')).toEqual({ provider: 'anthropic', variable: 'MY_KEY' });
    expect(parseKeyEnv('Anthropic=MY_KEY')).toEqual({ provider: 'anthropic', variable: 'MY_KEY' });
  });

  it.each(['', 'openai=', '=VAR', 'mistral=VAR', '1VAR', 'openai=MY-KEY', 'a=b=c', 'anthropic'])('rejects %j with E_USAGE', (spec) => {
    const error = caught(() => parseKeyEnv(spec));
    expect(error.code).toBe('E_USAGE');
    expect(error.exitCode).toBe(64);
    expect(error.fix).toBeTruthy();
  });

  it('names the valid providers', () => {
    expect(caught(() => parseKeyEnv('mistral=VAR')).message).toMatch(/openai, anthropic/);
  });
});

describe('resolveKeys', () => {
  const storeWith = (initial: Record<string, string>): (() => Promise<Keystore>) => {
    const store = createMemoryKeystore({ initial, description: 'test store' });
    return vi.fn(async () => store);
  };

  it('takes --key-env from the environment and lists the variable for removal', async () => {
    const r = await resolveKeys({ keyEnv: [parseKeyEnv('REAL_KEY')], env: { REAL_KEY: OPENAI }, openKeystore: storeWith({}) });
    expect(r.keys).toEqual([{ provider: 'openai', value: OPENAI, source: 'env REAL_KEY' }]);
    expect(r.childEnvRemove).toEqual(['REAL_KEY']);
    expect(r.keystoreError).toBeUndefined();
  });

  it('still looks up the other provider in the keystore', async () => {
    const open = storeWith({ anthropic: ANTHROPIC, openai: 'sk-test-fake-shadowed-0000000000000000' });
    const r = await resolveKeys({ keyEnv: [parseKeyEnv('REAL_KEY')], env: { REAL_KEY: OPENAI }, openKeystore: open });
    expect(r.keys).toEqual([
      { provider: 'openai', value: OPENAI, source: 'env REAL_KEY' },
      { provider: 'anthropic', value: ANTHROPIC, source: 'keychain (test store)' },
    ]);
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('does not open the keystore when every provider has --key-env', async () => {
    const open = vi.fn(async (): Promise<Keystore> => {
      throw new Error('must not be called');
    });
    const r = await resolveKeys({
      keyEnv: [parseKeyEnv('A'), parseKeyEnv('anthropic=B')],
      env: { A: OPENAI, B: ANTHROPIC },
      openKeystore: open,
    });
    expect(r.keys.map((k) => k.provider)).toEqual(['openai', 'anthropic']);
    expect(r.childEnvRemove).toEqual(['A', 'B']);
    expect(open).not.toHaveBeenCalled();
  });

  it('reads the profile\'s accounts', async () => {
    const open = storeWith({ openai: 'sk-test-fake-default-000000000000000', 'openai:work': OPENAI });
    const r = await resolveKeys({ keyEnv: [], profile: 'work', env: {}, openKeystore: open });
    expect(r.keys).toEqual([{ provider: 'openai', value: OPENAI, source: 'keychain (test store)' }]);
    const d = await resolveKeys({ keyEnv: [], profile: 'default', env: {}, openKeystore: open });
    expect(d.keys[0].value).toBe('sk-test-fake-default-000000000000000');
  });

  it.each([
    ['unset', {}, /REAL_KEY is not set/],
    ['empty', { REAL_KEY: '' }, /REAL_KEY is empty/],
  ])('fails with E_NO_KEY when the --key-env variable is %s', async (_, env, message) => {
    const error = await rejected(resolveKeys({ keyEnv: [parseKeyEnv('REAL_KEY')], env, openKeystore: storeWith({ openai: OPENAI }) }));
    expect(error.code).toBe('E_NO_KEY');
    expect(error.exitCode).toBe(77);
    expect(error.message).toMatch(message);
  });

  it('rejects two --key-env for one provider', async () => {
    const error = await rejected(resolveKeys({ keyEnv: [parseKeyEnv('A'), parseKeyEnv('openai=B')], env: { A: OPENAI, B: OPENAI }, openKeystore: storeWith({}) }));
    expect(error.code).toBe('E_USAGE');
  });

  it('says nothing is stored, with both fixes, when the keystore is empty', async () => {
    const error = await rejected(resolveKeys({ keyEnv: [], env: {}, openKeystore: storeWith({}) }));
    expect(error.code).toBe('E_NO_KEY');
    expect(error.message).toBe('no key stored for openai or anthropic in test store');
    expect(error.fix).toContain('guardrun key set openai');
    expect(error.fix).toContain('guardrun --key-env OPENAI_API_KEY -- ');
  });

  it('names the profile in the message and the fix', async () => {
    const error = await rejected(resolveKeys({ keyEnv: [], profile: 'work', env: {}, openKeystore: storeWith({ openai: OPENAI }) }));
    expect(error.message).toMatch(/\(profile work\)/);
    expect(error.fix).toContain('guardrun key set openai --profile work');
  });

  it('reports why the keystore could not be opened when there is no key at all', async () => {
    const open = async (): Promise<Keystore> => {
      throw new GuardrunError('E_KEYSTORE', 'no keychain is reachable: Secret Service: no D-Bus session bus', 'start a desktop session; or skip the keychain: guardrun --key-env X -- cmd', {
        cause: new GuardrunError('E_KEYSTORE', 'Secret Service: no D-Bus session bus', 'start a desktop session'),
      });
    };
    const error = await rejected(resolveKeys({ keyEnv: [], env: {}, openKeystore: open }));
    expect(error.code).toBe('E_NO_KEY');
    expect(error.message).toContain('no D-Bus session bus');
    expect(error.fix).toMatch(/^start a desktop session; /);
    expect(error.fix).toContain('guardrun key set openai');
    expect(error.fix).toContain('--key-env OPENAI_API_KEY');
  });

  it('carries the keystore error along when another provider has a key', async () => {
    const open = async (): Promise<Keystore> => {
      throw new GuardrunError('E_KEYSTORE', 'no keychain is reachable: test reason');
    };
    const r = await resolveKeys({ keyEnv: [parseKeyEnv('A')], env: { A: OPENAI }, openKeystore: open });
    expect(r.keys).toHaveLength(1);
    expect(r.keystoreError).toBe('no keychain is reachable: test reason');
  });

  it('treats a failed read of one account as an error, not as "not stored"', async () => {
    const store = createMemoryKeystore({ initial: { anthropic: ANTHROPIC } });
    const flaky: Keystore = {
      ...store,
      find: async (account) => {
        if (account === 'openai') throw new GuardrunError('E_KEYSTORE', 'Secret Service: the keyring is locked', 'unlock it');
        return store.find(account);
      },
    };
    const r = await resolveKeys({ keyEnv: [], env: {}, openKeystore: async () => flaky });
    expect(r.keys.map((k) => k.provider)).toEqual(['anthropic']);
    expect(r.keystoreError).toMatch(/locked/);
  });
});
