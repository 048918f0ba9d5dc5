// The server side of a TLS connection guardrun terminates with a certificate of its session CA: an intercepted
// tunnel to a model host (interceptor.ts) or a TLS client on guardrun's own port (loopback-tls.ts). Only HTTP/1.1
// is offered by ALPN; a client that has not finished its handshake in time is dropped.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/**
 * True when a failed handshake's error is the client refusing guardrun's certificate (a TLS alert about the
 * certificate: RFC 8446 §6.2 unknown_ca, bad_certificate, certificate_unknown, …), as opposed to a reset, garbage
 * or no common protocol.
 */
export function refusedCertificate(error: NodeJS.ErrnoException): boolean {
  return /ALERT_(?:UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|DECRYPT_ERROR)/.test(error.code ?? '');
}

/** A client that has not finished its TLS handshake by then is dropped. */
export const HANDSHAKE_TIMEOUT_MS = 15_000;

/**
 * Wraps `socket` (a plain connection, its first bytes possibly unshifted back) in a server-side TLSSocket with
 * `context`. `refused` hears the error of a handshake that failed (the client broke it off, typically because it
 * does not trust the session CA); errors after the handshake are the HTTP server's to handle. Closing either
 * side closes the other.
 */
export function terminateTls(socket: Socket, context: SecureContext, refused: (error: NodeJS.ErrnoException) => void): TLSSocket {
  const secured = new TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: ['http/1.1'] });
  let settled = false;
  const timer = setTimeout(() => secured.destroy(), HANDSHAKE_TIMEOUT_MS);
  secured.once('secure', () => {
    settled = true;
    clearTimeout(timer);
  });
  secured.on('error', (error: NodeJS.ErrnoException) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    refused(error);
  });
  secured.once('close', () => {
    clearTimeout(timer);
    socket.destroy();
  });
  socket.once('close', () => secured.destroy());
  return secured;
}
