import { describe, expect, it } from 'vitest';
import { checkNestedUpstreams } from './nested.js';

const keychainKey = { provider: 'openai' as const, value: 'sk-x', source: 'keychain (Linux kernel keyring (keyutils))' };
const envKey = { provider: 'openai' as const, value: 'sk-x', source: 'env OPENAI_API_KEY' };

describe('checkNestedUpstreams', () => {
  it('refuses a keychain key to another upstream inside a session', () => {
    expect(() => checkNestedUpstreams([keychainKey], { openai: 'http://127.0.0.1:4444' }, { GUARDRUN_SESSION: 'abc' })).toThrow(/--nested sends a key from the keychain only to https:\/\/api\.openai\.com/);
    expect(() => checkNestedUpstreams([keychainKey], {}, { GUARDRUN_SESSION: 'abc', GUARDRUN_OPENAI_UPSTREAM: 'https://evil.example' })).toThrow(/E_NESTED|evil/);
  });

  it('allows the provider itself, keys from the environment, and runs outside a session', () => {
    expect(() => checkNestedUpstreams([keychainKey], { openai: 'https://api.openai.com/v1' }, { GUARDRUN_SESSION: 'abc' })).not.toThrow();
    expect(() => checkNestedUpstreams([keychainKey], {}, { GUARDRUN_SESSION: 'abc' })).not.toThrow();
    expect(() => checkNestedUpstreams([envKey], { openai: 'http://127.0.0.1:4444/v1' }, { GUARDRUN_SESSION: 'abc' })).not.toThrow();
    expect(() => checkNestedUpstreams([keychainKey], { openai: 'http://127.0.0.1:4444' }, {})).not.toThrow();
  });
});
