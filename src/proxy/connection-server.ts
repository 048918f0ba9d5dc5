// An HTTP server fed connections by hand (`emit('connection', socket)`) rather than by listening: the loopback
// TLS front and intercepted TLS tunnels use one. Node sets up its connection tracking (the headersTimeout /
// requestTimeout checks that end a slow client, and the list closeAllConnections() closes) when a server starts
// listening; one that never listens would keep a client that trickles its headers forever. This starts it.
import { createServer, type RequestListener, type Server } from 'node:http';

/** Options of the loopback servers: keep-alive past agents' 60 s pools, no cap on a request's duration (streams), 60 s for headers. */
export const LOOPBACK_SERVER_OPTIONS = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 } as const;

/**
 * An HTTP server for connections handed to it with `server.emit('connection', socket)`, with Node's connection
 * tracking running as if it listened (Node 20 and 24: the tracking starts on the server's `listening` event).
 * `options` default to LOOPBACK_SERVER_OPTIONS.
 */
export function createConnectionServer(handler: RequestListener, options: Parameters<typeof createServer>[0] = LOOPBACK_SERVER_OPTIONS): Server {
  const server = createServer(options, handler);
  server.emit('listening');
  return server;
}
