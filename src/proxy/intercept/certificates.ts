// X.509 for the session CA and its leaf certificates, through PKI.js (pkijs) over WebCrypto: ECDSA P-256 keys,
// SHA-256 signatures. The CA's private key is a non-extractable CryptoKey: it exists in this process's memory
// only and cannot be exported, let alone written. Loaded on demand (a separate chunk): `--no-intercept` never
// loads it. Profile per RFC 5280 §4.2 and the CA/Browser Forum baseline (leaf: serverAuth, SAN, no CA).
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const engine = new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: webcrypto as unknown as Crypto });

// RFC 5280 object identifiers.
const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  nameConstraints: '2.5.29.30',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

// KeyUsage bits (RFC 5280 §4.2.1.3), first octet, most significant bit first: digitalSignature(0) … cRLSign(6).
const KU_DIGITAL_SIGNATURE = 0x80;
const KU_KEY_CERT_SIGN = 0x04;
const KU_CRL_SIGN = 0x02;

export interface CaMaterial {
  /** The CA certificate, PEM. Public: this is what the child is told to trust. */
  certPem: string;
  /** Non-extractable: signs leaf certificates, never leaves this process. */
  privateKey: CryptoKey;
  /** Subject key identifier, for the leaves' authority key identifier. */
  keyId: ArrayBuffer;
  subject: pkijs.RelativeDistinguishedNames;
}

export interface LeafKey {
  publicKey: CryptoKey;
  /** PKCS#8 PEM, for `tls.createSecureContext`; held in memory only. */
  privateKeyPem: string;
}

/**
 * A self-signed CA valid from an hour ago for `validDays`, constrained (RFC 5280 §4.2.1.10) to the given DNS
 * names, each with its subdomains (`openai.azure.com` covers `res.openai.azure.com`), and to the loopback
 * addresses 127.0.0.1 and ::1 only (guardrun's own port, for clients that insist on TLS to the base URL): a
 * client that checks name constraints (OpenSSL, rustls/webpki, Go) accepts its leaves for those hosts only.
 * `label` goes into the subject (e.g. the session id).
 */
export async function createCa(label: string, permittedDns: string[], validDays: number): Promise<CaMaterial> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = new pkijs.Certificate();
  const subject = names(`guardrun session ${label}`);
  cert.version = 2;
  cert.serialNumber = serial();
  cert.subject = subject;
  cert.issuer = subject;
  setValidity(cert, validDays * 24);
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, engine);
  const keyId = await keyIdOf(cert);
  const subtrees = [
    ...permittedDns.map((name) => new pkijs.GeneralSubtree({ base: new pkijs.GeneralName({ type: 2, value: name }) })),
    // iPAddress subtrees (address then mask) that admit the loopback addresses alone: 127.0.0.1/32 and ::1/128.
    ...LOOPBACK_ADDRESSES.map((address) => {
      const subtree = new Uint8Array(address.length * 2);
      subtree.set(address);
      subtree.fill(0xff, address.length);
      return new pkijs.GeneralSubtree({ base: new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: subtree.buffer }) }) });
    }),
  ];
  cert.extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()),
    extension(OID.keyUsage, true, new asn1js.BitString({ valueHex: new Uint8Array([KU_KEY_CERT_SIGN | KU_CRL_SIGN]).buffer, unusedBits: 1 })),
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId })),
    extension(OID.nameConstraints, true, new pkijs.NameConstraints({ permittedSubtrees: subtrees }).toSchema()),
  ];
  await cert.sign(keys.privateKey, 'SHA-256', engine);
  return { certPem: pem('CERTIFICATE', cert.toSchema(true).toBER(false)), privateKey: keys.privateKey, keyId, subject };
}

/** The one key pair every leaf of a session uses (minting a key per host would only cost time). */
export async function createLeafKey(): Promise<LeafKey> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { publicKey: keys.publicKey, privateKeyPem: pem('PRIVATE KEY', pkcs8) };
}

/** 127.0.0.1 and ::1, the only addresses the CA's leaves may name. */
const LOOPBACK_ADDRESSES = [new Uint8Array([127, 0, 0, 1]), new Uint8Array([...new Array<number>(15).fill(0), 1])];

/** A server certificate for `host` (a DNS name, or 127.0.0.1 / ::1) signed by the CA, valid for `validHours`. */
export async function createLeaf(ca: CaMaterial, key: LeafKey, host: string, validHours: number): Promise<string> {
  const address = isIP(host) === 0 ? undefined : loopbackBytes(host);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = serial();
  // An address in the common name would be read as a DNS name against the name constraints (OpenSSL does): the
  // SAN names the address, the subject only says what the certificate is.
  cert.subject = names(address ? `guardrun loopback ${host}` : host);
  cert.issuer = ca.subject;
  setValidity(cert, validHours);
  await cert.subjectPublicKeyInfo.importKey(key.publicKey, engine);
  const altName = address ? new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: address.buffer as ArrayBuffer }) }) : new pkijs.GeneralName({ type: 2, value: host });
  cert.extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
    extension(OID.keyUsage, true, new asn1js.BitString({ valueHex: new Uint8Array([KU_DIGITAL_SIGNATURE]).buffer, unusedBits: 7 })),
    extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.serverAuth] }).toSchema()),
    extension(OID.subjectAltName, false, new pkijs.AltName({ altNames: [altName] }).toSchema()),
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: await keyIdOf(cert) })),
    extension(OID.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: ca.keyId }) }).toSchema()),
  ];
  await cert.sign(ca.privateKey, 'SHA-256', engine);
  return pem('CERTIFICATE', cert.toSchema(true).toBER(false));
}

/** The bytes of a loopback address; any other address is refused (the CA's name constraints would reject it anyway). */
function loopbackBytes(host: string): Uint8Array {
  const bytes = host === '127.0.0.1' ? LOOPBACK_ADDRESSES[0] : host === '::1' ? LOOPBACK_ADDRESSES[1] : undefined;
  if (!bytes) throw new Error(`guardrun mints certificates for host names and its own loopback address only, not ${host}`);
  return bytes.slice();
}

function names(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: OID.organization, value: new asn1js.Utf8String({ value: 'guardrun' }) }),
      new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.Utf8String({ value: commonName.slice(0, 64) }) }),
    ],
  });
}

function extension(extnID: string, critical: boolean, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** 16 random bytes, positive (RFC 5280 §4.1.2.2: at most 20 octets, non-negative). */
function serial(): asn1js.Integer {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return new asn1js.Integer({ valueHex: bytes.buffer });
}

/** Valid from an hour ago (clocks drift) for `hours`. */
function setValidity(cert: pkijs.Certificate, hours: number): void {
  const now = Date.now();
  cert.notBefore.value = new Date(now - 3600_000);
  cert.notAfter.value = new Date(now + hours * 3600_000);
}

/** SHA-1 of the subject public key, the key identifier method of RFC 5280 §4.2.1.2 (1). */
async function keyIdOf(cert: pkijs.Certificate): Promise<ArrayBuffer> {
  return webcrypto.subtle.digest('SHA-1', cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
