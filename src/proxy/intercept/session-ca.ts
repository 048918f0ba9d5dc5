// The session's certificate authority: made once per run, in memory (its private key cannot be exported, so it
// never reaches a disk), trusted by the child only. Leaf certificates are minted per host on the first
// intercepted CONNECT to it and kept (re-minted when half their life is gone).
import { createSecureContext, type SecureContext } from 'node:tls';
import type { CaMaterial, LeafKey } from './certificates.js';

/** The CA is valid this long: a session longer than this sees its intercepted connections fail (closed, never open). */
export const CA_VALID_DAYS = 10;
/** Leaves are valid a day and re-minted after half of it. */
export const LEAF_VALID_HOURS = 24;

export interface SessionCa {
  /** The CA certificate (PEM) the child is given to trust. */
  readonly certPem: string;
  /** A TLS server context presenting a leaf for `host` (cached per host); rejects when it cannot be made. */
  contextFor(host: string): Promise<SecureContext>;
}

type Certificates = typeof import('./certificates.js');

/**
 * Makes the CA. `permittedDns` are the DNS names (with subdomains) its leaves may name; `label` goes into its
 * subject. Loads the certificate library (PKI.js) on first use. Rejects when WebCrypto fails.
 */
export async function createSessionCa(label: string, permittedDns: string[]): Promise<SessionCa> {
  const lib: Certificates = await import('./certificates.js');
  const ca: CaMaterial = await lib.createCa(label, permittedDns, CA_VALID_DAYS);
  let leafKey: Promise<LeafKey> | undefined;
  const contexts = new Map<string, { context: Promise<SecureContext>; renewAt: number }>();
  return {
    certPem: ca.certPem,
    contextFor(host) {
      const key = host.toLowerCase();
      const cached = contexts.get(key);
      if (cached && Date.now() < cached.renewAt) return cached.context;
      leafKey ??= lib.createLeafKey();
      const context = (async () => {
        const keyPair = await leafKey;
        const cert = await lib.createLeaf(ca, keyPair, key, LEAF_VALID_HOURS);
        // The chain the client checks: the leaf, then the CA (so clients that want the chain sent get it).
        return createSecureContext({ key: keyPair.privateKeyPem, cert: cert + ca.certPem, minVersion: 'TLSv1.2' });
      })();
      contexts.set(key, { context, renewAt: Date.now() + (LEAF_VALID_HOURS / 2) * 3600_000 });
      // A failure is not cached: the next CONNECT tries again.
      context.catch(() => contexts.delete(key));
      return context;
    },
  };
}
