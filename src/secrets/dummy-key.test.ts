import { describe, expect, it } from 'vitest';
import { createDummyKey, DUMMY_KEY_PREFIX, sameSecret } from './dummy-key.js';

describe('createDummyKey', () => {
  it('is sk-guardrun- followed by 32 random bytes in base64url', () => {
    const key = createDummyKey();
    expect(key).toMatch(/^sk-guardrun-[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(DUMMY_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
  });

  it('differs every time', () => {
    const keys = new Set(Array.from({ length: 50 }, createDummyKey));
    expect(keys.size).toBe(50);
  });
});

describe('sameSecret', () => {
  it('is true only for identical strings', () => {
    const key = createDummyKey();
    expect(sameSecret(key, `${key}`)).toBe(true);
    expect(sameSecret(key, createDummyKey())).toBe(false);
    expect(sameSecret(key, key.slice(0, -1))).toBe(false);
    expect(sameSecret(key, `${key}x`)).toBe(false);
    expect(sameSecret('', '')).toBe(true);
    expect(sameSecret('', key)).toBe(false);
  });

  it('compares unicode by content', () => {
    expect(sameSecret('sk-test-fake-é', 'sk-test-fake-é')).toBe(true);
    expect(sameSecret('sk-test-fake-é', 'sk-test-fake-e')).toBe(false);
  });
});
