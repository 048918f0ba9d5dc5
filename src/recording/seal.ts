// Sealing a session: an HMAC over the chain head, written as the file's last line (`session.seal`).
// The hash chain shows edits, but a process that can write the file can also recompute every hash (the
// guarded agent runs as the same user). A seal can only be made with the signing key, which the agent never
// gets; see docs/security.md ("What the record proves").
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ChainReport } from './verify-chain.js';
import type { RecordedSession } from './reader.js';

/** The keychain account the signing key lives under (service "guardrun"). */
export const SIGNING_KEY_ACCOUNT = 'session-signing-key';

/** A new signing key: 32 random bytes, hex. */
export function newSigningKey(): string {
  return randomBytes(32).toString('hex');
}

/** Names a key without revealing it: the first 16 hex digits of its sha256. */
export function keyIdOf(key: string): string {
  return createHash('sha256').update(`guardrun-signing-key\n${key}`).digest('hex').slice(0, 16);
}

/** HMAC-SHA256 (RFC 2104) of the session id and the hash of the line it seals, hex. */
export function sealMac(key: string, sessionId: string, sealedHash: string): string {
  return createHmac('sha256', key).update(`guardrun-session-seal/1\n${sessionId}\n${sealedHash}`).digest('hex');
}

export type SealState =
  /** No seal line: the file was written without --sign. */
  | 'none'
  /** The MAC matches and seals the hash of the closing line before it. */
  | 'valid'
  /** A seal that does not verify: the file was changed after it was sealed, or sealed with another key. */
  | 'invalid'
  /** A seal is there but no key was given to check it. */
  | 'unchecked';

export interface SealReport {
  state: SealState;
  keyId?: string;
  message: string;
}

/**
 * Checks the `session.seal` line of a session whose chain was verified (`chain`). `key` is the signing key, when
 * available. The seal must be the last line, follow the closing `session.end`, name that line's hash, and carry
 * the MAC of it under `key`; anything else is `invalid`.
 */
export function checkSeal(session: Pick<RecordedSession, 'events' | 'header'>, chain: ChainReport, key: string | undefined): SealReport {
  const at = session.events.findIndex((e) => e.event.type === 'session.seal');
  if (at === -1) return { state: 'none', message: 'not sealed (the run had no --sign)' };
  const seal = session.events[at].event as unknown as { keyId?: string; sealed?: string; mac?: string };
  const before = session.events[at - 1]?.event as { type?: string; hash?: string } | undefined;
  const keyId = typeof seal.keyId === 'string' ? seal.keyId : undefined;
  if (at !== session.events.length - 1 || before?.type !== 'session.end') return { state: 'invalid', keyId, message: 'the seal is not the line right after the closing line' };
  if (!chain.ok) return { state: 'invalid', keyId, message: 'the hash chain is broken, so the seal covers a different file' };
  if (seal.sealed !== before.hash) return { state: 'invalid', keyId, message: 'the seal names another closing line than this file has' };
  if (key === undefined) return { state: 'unchecked', keyId, message: `sealed with key ${keyId ?? '?'}; no signing key here to check it` };
  if (keyId !== keyIdOf(key)) return { state: 'invalid', keyId, message: `sealed with key ${keyId ?? '?'}, not the key given (${keyIdOf(key)})` };
  const expected = Buffer.from(sealMac(key, session.header.session, before.hash ?? ''), 'hex');
  const given = Buffer.from(typeof seal.mac === 'string' ? seal.mac : '', 'hex');
  const ok = given.length === expected.length && timingSafeEqual(given, expected);
  return ok ? { state: 'valid', keyId, message: `seal valid (key ${keyId})` } : { state: 'invalid', keyId, message: 'the seal does not match: the file was changed after it was sealed' };
}
