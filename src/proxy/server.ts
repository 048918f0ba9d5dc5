// The loopback HTTP server the agent talks to. Ephemeral port, 127.0.0.1 only. HTTP requests go to
// http/handle.ts, WebSocket upgrades to websocket/upgrade.ts; both number their exchanges from one counter.
// The same port is the child's egress proxy (egress/): CONNECT and absolute-form requests go there.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createConnectionServer, LOOPBACK_SERVER_OPTIONS } from './connection-server.js';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createHandler, type HandlerOptions } from './http/handle.js';
import { createUpgradeHandler } from './websocket/upgrade.js';
import type { EgressProxy } from './egress/egress-proxy.js';
import { acceptConnection, type LoopbackTls } from './intercept/loopback-tls.js';

export interface ProxyServer {
  port: number;
  /**
   * Resolves at the session's first model request (HTTP or WebSocket, to the base URL or an intercepted model host)
   * as it arrives; egress to other hosts does not count.
   */
  readonly firstRequest: Promise<void>;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  close(): Promise<void>;
}

export interface ProxyOptions extends HandlerOptions {
  port?: number;
  /** The egress proxy on the same port, built around the handler's options (absent: CONNECT is not served). */
  egress?: (handler: HandlerOptions & { nextId: () => number; nextConnection: () => number }) => EgressProxy;
  /** TLS on this port too, for clients that turn the base URL into https/wss (intercept/loopback-tls.ts); absent: plain HTTP only. */
  loopbackTls?: (port: number) => LoopbackTls;
}

export async function startProxy(options: ProxyOptions): Promise<ProxyServer> {
  let count = 0;
  const nextId = options.nextId ?? ((): number => ++count);
  let connections = 0;
  const nextConnection = (): number => ++connections;
  let noteRequest = (): void => undefined;
  const firstRequest = new Promise<void>((resolve) => (noteRequest = resolve));
  const onRequest = (): void => {
    noteRequest();
    options.onRequest?.();
  };
  const handler = createHandler({ ...options, nextId, onRequest });
  const upgrade = createUpgradeHandler({ ...options, nextId, nextConnection, onRequest });
  const egress = options.egress?.({ ...options, nextId, nextConnection, onRequest });
  // Origin-form targets (`/v1/…`) are the base URL; absolute-form ones (`http://host/…`) are proxy requests.
  const requests = egress ? (req: IncomingMessage, res: ServerResponse) => (req.url?.charCodeAt(0) === 47 ? handler(req, res) : egress.request(req, res)) : handler;
  // With TLS on offer (loopbackTls), a front listens and hands each connection, plain or decrypted, to `server`.
  const server: Server = options.loopbackTls ? createConnectionServer(requests) : createServer(LOOPBACK_SERVER_OPTIONS, requests);
  server.on('upgrade', upgrade);
  if (egress) server.on('connect', egress.connect);
  let tls: LoopbackTls | undefined;
  const sniffing = new Set<Socket>();
  // noDelay as http.Server sets it: without it Nagle's algorithm holds each small write (a stream event) for the
  // previous one's ACK, ~40 ms on Linux (the bench's stream TTFB went from +1.6 to +43 ms).
  const front: NetServer = options.loopbackTls ? createNetServer({ noDelay: true }, (socket) => acceptConnection(socket, (c) => server.emit('connection', c), tls, sniffing)) : server;
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = front.address() as AddressInfo;
  tls = options.loopbackTls?.(port);
  let closing: Promise<void> | undefined;
  return {
    port,
    firstRequest,
    origin: `http://127.0.0.1:${port}`,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => front.close(() => resolve()));
        if (front !== server) server.close();
        for (const socket of sniffing) socket.destroy();
        server.closeAllConnections();
        // Upgraded sockets and tunnels are no longer the HTTP server's: close them (and record what they had open) here.
        await settleWithin([upgrade.closeAll(), ...(egress ? [egress.closeAll()] : [])], 3_000);
        await closed;
        // Connections are gone, so in-flight exchanges end (as "client closed"), reading on briefly for their usage;
        // let them be recorded. What is still reading after that is cut, charged its estimate, and recorded.
        await settleWithin([...handler.inflight], 2_000);
        await Promise.all(Object.values(options.upstreams).map((u) => u?.pool.destroy().catch(() => undefined)));
        await settleWithin([...handler.inflight], 1_000);
      })();
      return closing;
    },
  };
}

async function settleWithin(work: Array<Promise<void>>, ms: number): Promise<void> {
  if (work.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(work), timeout]);
  clearTimeout(timer);
}
