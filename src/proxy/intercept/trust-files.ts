// The files that make the child trust the session CA: public certificates only, in a private directory
// (0700) removed when the session ends. The CA's private key is never among them (it cannot be exported).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';

/** Where common system bundles live (Debian/Ubuntu/Alpine, Fedora/RHEL, openSUSE, macOS Homebrew OpenSSL). */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

export interface TrustFiles {
  dir: string;
  /** The session CA, plus the certificates the user already added (NODE_EXTRA_CA_CERTS, CODEX_CA_CERTIFICATE). */
  caFile: string;
  /** The roots the child would otherwise use, plus the user's additions, plus the session CA. */
  bundleFile: string;
  /** The child's variables that point at them. */
  env: Record<string, string>;
  /** Removes the directory. Idempotent, synchronous (it also runs on the crash path). */
  remove(): void;
}

/**
 * Writes the trust files for `caPem` under a new private directory in `parentDir` (default: the OS temp dir),
 * reading the user's own trust settings from `env` so that they are kept, not replaced: a corporate CA in
 * NODE_EXTRA_CA_CERTS or SSL_CERT_FILE still works for tunnelled traffic.
 */
export function writeTrustFiles(caPem: string, env: NodeJS.ProcessEnv, parentDir = tmpdir()): TrustFiles {
  const dir = mkdtempSync(join(parentDir, 'guardrun-ca-'));
  try {
    const extra = [env.NODE_EXTRA_CA_CERTS, env.CODEX_CA_CERTIFICATE].map(readPem).filter(Boolean).join('\n');
    const base = readPem(env.SSL_CERT_FILE) || readPem(SYSTEM_BUNDLES.find((f) => existsSync(f))) || rootCertificates.join('\n');
    const more = [env.REQUESTS_CA_BUNDLE, env.CURL_CA_BUNDLE].filter((f) => f && f !== env.SSL_CERT_FILE).map(readPem).filter(Boolean).join('\n');
    const caFile = join(dir, 'guardrun-ca.pem');
    const bundleFile = join(dir, 'ca-bundle.pem');
    writeFileSync(caFile, joinPem(extra, caPem), { mode: 0o644 });
    writeFileSync(bundleFile, joinPem(base, more, extra, caPem), { mode: 0o644 });
    let removed = false;
    return {
      dir,
      caFile,
      bundleFile,
      env: trustVariables(caFile, bundleFile),
      remove() {
        if (removed) return;
        removed = true;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The child's variables naming the CA file (the session CA and the user's additions) and the full bundle. */
export function trustVariables(caFile: string, bundleFile: string): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: caFile,
    SSL_CERT_FILE: bundleFile,
    REQUESTS_CA_BUNDLE: bundleFile,
    CURL_CA_BUNDLE: bundleFile,
    // Codex CLI: its HTTP and WebSocket clients start from the platform roots and add these (it prefers this over SSL_CERT_FILE).
    CODEX_CA_CERTIFICATE: caFile,
  };
}

function readPem(file: string | undefined): string {
  if (!file) return '';
  try {
    const text = readFileSync(file, 'utf8');
    return text.includes('-----BEGIN CERTIFICATE-----') ? text : '';
  } catch {
    return '';
  }
}

function joinPem(...parts: string[]): string {
  return parts.filter(Boolean).map((p) => p.trimEnd()).join('\n') + '\n';
}
