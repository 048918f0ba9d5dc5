// Tamper evidence: each line's hash is sha256(previous hash + "\n" + the line without its hash field).
import { createHash } from 'node:crypto';
import * as crypto from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);
const HASH_TAIL = /,"hash":"([0-9a-f]{64})"\}$/;

// crypto.hash (Node 20.12+) is a one-shot digest, cheaper per line than a Hash object.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function chainHash(previous: string, lineWithoutHash: string): string {
  const data = `${previous}\n${lineWithoutHash}`;
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

/** Appends the hash field to a serialised line (`{...}`), returning the line and its hash. */
export function sealLine(previous: string, json: string): { line: string; hash: string } {
  const hash = chainHash(previous, json);
  return { line: `${json.slice(0, -1)},"hash":"${hash}"}`, hash };
}

/** Splits a written line into the part that was hashed and the hash it claims. */
export function unsealLine(line: string): { json: string; hash: string } | undefined {
  const m = HASH_TAIL.exec(line);
  if (!m) return undefined;
  return { json: line.slice(0, m.index) + '}', hash: m[1] };
}
