// TLS on guardrun's own port, for clients that insist on it: the openai SDK's Realtime clients turn the base
// URL's `http:` into `wss:` whatever it was (openai/realtime/internal-base: `url.protocol = 'wss'`). A connection
// whose first byte opens a TLS handshake (a TLS record of content type 22, handshake: RFC 8446 §5.1) is answered
// with a leaf for the loopback address from the session CA (which the child trusts), and the decrypted stream is
// served like any plain connection: same routes, key check, policy, approvals and record. One guard, another
// transport.
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { terminateTls } from './terminate-tls.js';

/** First byte of a TLS record carrying a handshake (ClientHello). */
const TLS_HANDSHAKE = 22;
/** A connection that sends nothing this long is closed (it holds no exchange yet). */
const FIRST_BYTE_TIMEOUT_MS = 60_000;

export interface LoopbackTls {
  /** The TLS server context presenting the loopback leaf (made once, at the first TLS connection). */
  context(): Promise<SecureContext>;
  /** A TLS client broke off the handshake (it does not trust the session CA): written down as a bypass. */
  refused(error: NodeJS.ErrnoException): void;
}

/**
 * Looks at a new connection's first byte without consuming it, then hands the connection to `serve`: as it is for
 * plain HTTP, or as the decrypted TLS stream when it starts a TLS handshake and `tls` is given (without it, a TLS
 * client reaches the HTTP parser and is refused as malformed). Sockets not yet handed to `serve` (waiting for their
 * first byte, or for the TLS context) are in `pending`, to be destroyed with the server; a socket destroyed there
 * is never served.
 */
export function acceptConnection(socket: Socket, serve: (connection: Socket) => void, tls: LoopbackTls | undefined, pending: Set<Socket>): void {
  pending.add(socket);
  // A socket from a net front has no error listener: a client's reset (ECONNRESET) before the HTTP server owns the
  // socket would be an uncaught error that ends the session. The TLS path keeps this listener on the raw socket.
  const onError = (): void => void socket.destroy();
  socket.on('error', onError);
  const timer = setTimeout(() => socket.destroy(), FIRST_BYTE_TIMEOUT_MS);
  const release = (): void => {
    clearTimeout(timer);
    pending.delete(socket);
  };
  const onReadable = (): void => {
    const head = socket.read(1) as Buffer | null;
    if (head === null) return;
    clearTimeout(timer);
    socket.off('readable', onReadable);
    socket.unshift(head);
    if (head[0] !== TLS_HANDSHAKE || !tls) {
      release();
      socket.off('error', onError); // the HTTP server's own listener takes over
      serve(socket);
      socket.resume();
      return;
    }
    void secure(socket, tls, (secured) => {
      release();
      serve(secured);
    });
  };
  socket.on('readable', onReadable);
  socket.once('close', release);
}

async function secure(socket: Socket, tls: LoopbackTls, serve: (connection: Socket) => void): Promise<void> {
  let context: SecureContext;
  try {
    context = await tls.context();
  } catch {
    socket.destroy(); // no certificate: refused, never served in clear
    return;
  }
  if (socket.destroyed) return; // closed while the context was made (the session ended): never served
  const secured = terminateTls(socket, context, (error) => tls.refused(error));
  serve(secured);
}
