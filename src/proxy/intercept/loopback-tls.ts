// TLS on guardrun's own port, for clients that insist on it: the openai SDK's Realtime clients turn the base
// URL's `http:` into `wss:` whatever it was (openai/realtime/internal-base: `url.protocol = 'wss'`). A connection
// whose first byte opens a TLS handshake (a TLS record of content type 22, handshake: RFC 8446 §5.1) is answered
// with a leaf for the loopback address from the session CA (which the child trusts), and the decrypted stream is
// served like any plain connection: same routes, key check, policy, approvals and record. One guard, another
// transport.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/** First byte of a TLS record carrying a handshake (ClientHello). */
const TLS_HANDSHAKE = 22;
/** A connection that sends nothing this long is closed (it holds no exchange yet). */
const FIRST_BYTE_TIMEOUT_MS = 60_000;
/** A TLS client that has not finished its handshake by then is dropped. */
const HANDSHAKE_TIMEOUT_MS = 15_000;

export interface LoopbackTls {
  /** The TLS server context presenting the loopback leaf (made once, at the first TLS connection). */
  context(): Promise<SecureContext>;
  /** A TLS client broke off the handshake (it does not trust the session CA): written down as a bypass. */
  refused(error: NodeJS.ErrnoException): void;
}

/**
 * Looks at a new connection's first byte without consuming it, then hands the connection to `serve`: as it is for
 * plain HTTP, or as the decrypted TLS stream when it starts a TLS handshake and `tls` is given (without it, a TLS
 * client reaches the HTTP parser and is refused as malformed). Sockets still waiting for their first byte are in
 * `pending` (to be closed with the server).
 */
export function acceptConnection(socket: Socket, serve: (connection: Socket) => void, tls: LoopbackTls | undefined, pending: Set<Socket>): void {
  pending.add(socket);
  const timer = setTimeout(() => socket.destroy(), FIRST_BYTE_TIMEOUT_MS);
  const done = (): void => {
    clearTimeout(timer);
    pending.delete(socket);
    socket.off('readable', onReadable);
    socket.off('close', done);
  };
  const onReadable = (): void => {
    const head = socket.read(1) as Buffer | null;
    if (head === null) return;
    done();
    socket.unshift(head);
    if (head[0] !== TLS_HANDSHAKE || !tls) {
      serve(socket);
      socket.resume();
      return;
    }
    void secure(socket, tls, serve);
  };
  socket.on('readable', onReadable);
  socket.once('close', done);
}

async function secure(socket: Socket, tls: LoopbackTls, serve: (connection: Socket) => void): Promise<void> {
  let context: SecureContext;
  try {
    context = await tls.context();
  } catch {
    socket.destroy(); // no certificate: refused, never served in clear
    return;
  }
  const secured = new TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: ['http/1.1'] });
  let done = false;
  const timer = setTimeout(() => secured.destroy(), HANDSHAKE_TIMEOUT_MS);
  secured.once('secure', () => {
    done = true;
    clearTimeout(timer);
  });
  secured.on('error', (error: NodeJS.ErrnoException) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    tls.refused(error);
  });
  secured.once('close', () => {
    clearTimeout(timer);
    socket.destroy();
  });
  socket.once('close', () => secured.destroy());
  serve(secured);
}
