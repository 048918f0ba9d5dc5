// The per-session key the agent gets instead of the real one, and a comparison that leaks nothing.

import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const DUMMY_KEY_PREFIX = 'sk-guardrun-';

/** `sk-guardrun-` + base64url of 32 random bytes (43 characters). Looks like an OpenAI key to SDKs. */
export function createDummyKey(): string {
  return DUMMY_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Constant-time equality; comparing sha256 digests keeps the lengths from leaking too. */
export function sameSecret(a: string, b: string): boolean {
  return secretMatcher(b)(a);
}

/** `sameSecret` against one fixed secret, its digest computed once (the proxy checks every request). */
export function secretMatcher(secret: string): (candidate: string) => boolean {
  const digest = (s: string): Buffer => hash('sha256', s, 'buffer');
  const expected = digest(secret);
  return (candidate) => timingSafeEqual(digest(candidate), expected);
}
