import { webcrypto, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { connect, TLSSocket, type SecureContext } from 'node:tls';
import { describe, expect, test } from 'vitest';
import { createCa, createLeaf, createLeafKey } from './certificates.js';
import { CA_VALID_DAYS, createSessionCa } from './session-ca.js';

/** A TLS server presenting `context`; the client trusts `caPem` only. Resolves with the client's verdict. */
async function handshake(context: SecureContext, caPem: string, servername: string | undefined): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  // As guardrun serves it: a TLS socket over a plain connection, with this context whatever the client names (or none).
  const server = createNetServer((raw) => {
    const socket = new TLSSocket(raw, { isServer: true, secureContext: context });
    socket.once('secure', () => socket.end());
    socket.on('error', () => raw.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    return await new Promise((resolve) => {
      const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername, ca: caPem });
      client.once('secureConnect', () => {
        client.destroy();
        resolve({ ok: true });
      });
      client.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, code: error.code ?? '', message: error.message }));
    });
  } finally {
    server.close();
  }
}

describe('the session CA', () => {
  test('a client that trusts only the CA accepts its leaf for a permitted host', async () => {
    const ca = await createSessionCa('test', ['api.openai.com', 'openai.azure.com']);
    expect(await handshake(await ca.contextFor('api.openai.com'), ca.certPem, 'api.openai.com')).toEqual({ ok: true });
    // A subdomain of a permitted name is permitted too.
    expect(await handshake(await ca.contextFor('res.openai.azure.com'), ca.certPem, 'res.openai.azure.com')).toEqual({ ok: true });
  });

  test('a leaf it mints for another host is refused by the client: the CA is name-constrained', async () => {
    const ca = await createSessionCa('test', ['api.openai.com']);
    const result = await handshake(await ca.contextFor('example.com'), ca.certPem, 'example.com');
    expect(result).toMatchObject({ ok: false, message: 'permitted subtree violation' });
  });

  test('the leaf names its host: presented for another name it fails hostname verification', async () => {
    const ca = await createSessionCa('test', ['api.openai.com', 'api.anthropic.com']);
    const result = await handshake(await ca.contextFor('api.openai.com'), ca.certPem, 'api.anthropic.com');
    expect(result.ok).toBe(false);
    expect((result as { code: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('leaves are cached per host', async () => {
    const ca = await createSessionCa('test', ['api.openai.com']);
    expect(await ca.contextFor('API.openai.com')).toBe(await ca.contextFor('api.openai.com'));
  });

  test('the CA certificate is a CA with a short validity; its private key cannot be exported', async () => {
    const material = await createCa('label', ['api.openai.com'], CA_VALID_DAYS);
    const cert = new X509Certificate(material.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=guardrun session label');
    const lifetimeDays = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(lifetimeDays).toBeGreaterThan(CA_VALID_DAYS);
    expect(lifetimeDays).toBeLessThan(CA_VALID_DAYS + 1);
    expect(material.privateKey.extractable).toBe(false);
    await expect(webcrypto.subtle.exportKey('pkcs8', material.privateKey)).rejects.toThrow();
    expect(material.certPem).not.toContain('PRIVATE KEY');
  });

  test('a leaf is not a CA, is for server authentication, and is signed by the CA', async () => {
    const material = await createCa('label', ['api.openai.com'], 1);
    const leaf = new X509Certificate(await createLeaf(material, await createLeafKey(), 'api.openai.com', 24));
    expect(leaf.ca).toBe(false);
    expect(leaf.subjectAltName).toBe('DNS:api.openai.com');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(leaf.checkIssued(new X509Certificate(material.certPem))).toBe(true);
    expect(leaf.verify(new X509Certificate(material.certPem).publicKey)).toBe(true);
    await expect(createLeaf(material, await createLeafKey(), '10.0.0.1', 24)).rejects.toThrow(/loopback address only, not 10\.0\.0\.1/);
  });

  test("a leaf for guardrun's loopback address (TLS to the base URL) is accepted for 127.0.0.1 and names no other address", async () => {
    const ca = await createSessionCa('test', ['api.openai.com']);
    expect(await handshake(await ca.contextFor('127.0.0.1'), ca.certPem, undefined)).toEqual({ ok: true });
    const material = await createCa('label', ['api.openai.com'], 1);
    const leaf = new X509Certificate(await createLeaf(material, await createLeafKey(), '127.0.0.1', 24));
    expect(leaf.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkIP('127.0.0.2')).toBeUndefined();
  });
});
