// What `guardrun replay` says about a file's integrity beyond its chain: the seal (guardrun --sign) and, with
// --expect-hash, whether the final hash is the one the user kept from the run's exit line.
import type { ChalkInstance } from 'chalk';
import type { RecordedSession } from '../recording/reader.js';
import { checkSeal, type SealReport } from '../recording/seal.js';
import type { ChainReport } from '../recording/verify-chain.js';
import { openKeystore } from '../secrets/open-keystore.js';
import { loadSigningKey } from '../secrets/signing-key.js';
import { GuardrunError } from '../errors.js';

export interface Integrity {
  seal: SealReport;
  /** With --expect-hash: the hash given and whether the file's final hash starts with it. */
  expected?: { hash: string; ok: boolean };
  /** Something here fails the run (exit 1). */
  failed: boolean;
}

/**
 * The seal report (the signing key read from `signKeyEnv` or the keychain only when the file is sealed; no key
 * reachable makes it `unchecked`, not a failure) and the --expect-hash comparison (at least 12 hex digits).
 */
export async function checkIntegrity(session: RecordedSession, chain: ChainReport, o: { signKeyEnv?: string; expectHash?: string; env: NodeJS.ProcessEnv }): Promise<Integrity> {
  let key: string | undefined;
  let keyProblem: string | undefined;
  if (session.events.some((e) => e.event.type === 'session.seal')) {
    try {
      key = (await loadSigningKey({ keyEnv: o.signKeyEnv, env: o.env, openKeystore: () => openKeystore({ env: o.env }), create: false }))?.key;
    } catch (error) {
      keyProblem = error instanceof Error ? error.message : String(error);
    }
  }
  const seal = checkSeal(session, chain, key);
  if (seal.state === 'unchecked' && keyProblem) seal.message += ` (${keyProblem})`;
  let expected: Integrity['expected'];
  if (o.expectHash !== undefined) {
    const hash = o.expectHash.trim().toLowerCase();
    if (!/^[0-9a-f]{12,64}$/.test(hash)) throw new GuardrunError('E_USAGE', '--expect-hash takes the final hash printed at the end of the run (12 to 64 hex digits)', 'copy it from the line "guardrun: final hash …"');
    expected = { hash, ok: chain.ok && chain.finalHash !== undefined && chain.finalHash.startsWith(hash) };
  }
  return { seal, expected, failed: seal.state === 'invalid' || expected?.ok === false };
}

/** The lines under the chain line: the seal (when there is one) and the --expect-hash result. */
export function integrityLines(i: Integrity, chain: ChainReport, c: ChalkInstance): string {
  const out: string[] = [];
  if (i.seal.state === 'valid') out.push(c.green(i.seal.message));
  else if (i.seal.state === 'invalid') out.push(c.red(c.bold(`seal INVALID: ${i.seal.message}`)));
  else if (i.seal.state === 'unchecked') out.push(c.yellow(i.seal.message));
  if (i.expected) {
    out.push(i.expected.ok ? c.green(`final hash matches ${i.expected.hash.slice(0, 16)}…`) : c.red(c.bold(`final hash ${chain.finalHash ?? '(none: the chain is broken)'} is not the expected ${i.expected.hash}`)));
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}
