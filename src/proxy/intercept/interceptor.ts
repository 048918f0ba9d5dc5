// TLS termination for CONNECTs to model hosts (MITM with the session CA), and the guard behind it: the
// decrypted connection is emitted as a `connection` on an HTTP server that never listens and runs the base
// URL's own handler (and WebSocket upgrade handler), with the route chosen by the host the agent connected to.
// One guard, another transport: key check, policy, approvals, masking and the record are the same code.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createConnectionServer } from '../connection-server.js';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { refusedCertificate, terminateTls } from './terminate-tls.js';
import { createHandler, type Handler, type HandlerOptions } from '../http/handle.js';
import { createUpgradeHandler, type UpgradeHandler } from '../websocket/upgrade.js';
import type { BypassEvent } from '../../recording/format.js';
import { hostRoute } from './host-route.js';
import type { ModelTarget } from './model-hosts.js';
import type { SessionCa } from './session-ca.js';

type Served = Extract<ModelTarget, { kind: 'served' }>;


export interface InterceptorOptions {
  /** The session CA, made at start-up (its certificate is in the child's trust files). */
  ca: Promise<SessionCa>;
  /** The base URL handler's options (keys, upstreams, recorder, guard, the shared exchange counter). */
  handler: HandlerOptions & { nextId: () => number; nextConnection: () => number };
  /** A refusal to write down and count (the CA failed, the client refused the certificate, foreign credentials). */
  bypass(event: Omit<BypassEvent, 'type' | 'time'>): void;
}

export interface Interceptor {
  /**
   * Readies interception of `target` (the leaf certificate for its host): resolves true when the CONNECT may be
   * answered 200 and handed to `takeOver`, false when it must be refused (recorded as `bypass`).
   */
  prepare(target: Served): Promise<boolean>;
  /** The CONNECT was answered 200: terminates TLS on `socket` and serves what comes through the guard. */
  takeOver(socket: Duplex, head: Buffer, target: Served): void;
  /** A plain-HTTP proxy request (absolute-form) to a model host: served through the guard, routed by host. */
  request(req: IncomingMessage, res: ServerResponse, target: Served): void;
  /** Closes intercepted connections and waits (briefly) until their exchanges are recorded. */
  closeAll(): Promise<void>;
}

export function createInterceptor(o: InterceptorOptions): Interceptor {
  const bySocket = new WeakMap<object, Served>();
  const byRequest = new WeakMap<IncomingMessage, Served>();
  const sockets = new Set<TLSSocket>();
  let server: Server | undefined;
  let handler: Handler | undefined;
  let upgrade: UpgradeHandler | undefined;

  const route = (url: string, req: IncomingMessage) => {
    const target = byRequest.get(req) ?? bySocket.get(req.socket);
    return target ? hostRoute(target, url) : undefined;
  };
  const onForeignKey = (_route: unknown, req: IncomingMessage): void => {
    const t = byRequest.get(req) ?? bySocket.get(req.socket);
    const path = (req.url ?? '/').split('?')[0];
    if (t) o.bypass({ host: t.host, port: t.port, provider: t.provider, reason: 'foreign-key', status: 401, path: `${req.method} ${path}`, message: `${req.method} ${path} to ${t.host} carried credentials of its own (a stored login or another key) instead of the session key; refused with 401` });
  };

  /** The never-listening server, made at the first intercepted connection. */
  const ensureServer = (): { server: Server; handler: Handler } => {
    if (!server || !handler) {
      handler = createHandler({ ...o.handler, route, onForeignKey });
      upgrade = createUpgradeHandler({ ...o.handler, route });
      server = createConnectionServer(handler);
      server.on('upgrade', upgrade);
      // Garbage instead of HTTP inside the tunnel: drop it (a 400 would be written into a TLS stream we own).
      server.on('clientError', (_error, socket) => socket.destroy());
    }
    return { server, handler };
  };

  return {
    async prepare(target) {
      try {
        await (await o.ca).contextFor(target.host);
        return true;
      } catch (error) {
        o.bypass({ host: target.host, port: target.port, provider: target.provider, reason: 'intercept-unavailable', status: 403, message: `guardrun could not make a certificate for ${target.host} (${(error as Error).message}), so it refused the connection instead of letting it go around the guard` });
        return false;
      }
    },
    takeOver(socket, head, target) {
      void (async () => {
        const context = await (await o.ca).contextFor(target.host);
        if (head.length > 0) socket.unshift(head);
        const tls = terminateTls(socket as Socket, context, (error) => {
          const code = error.code ?? error.message;
          o.bypass(refusedCertificate(error)
            ? { host: target.host, port: target.port, provider: target.provider, reason: 'untrusted-ca', status: 200, message: `the client broke off the TLS handshake for ${target.host} (${code}): it does not trust guardrun's session CA, so its model call did not happen; give it the CA (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, CODEX_CA_CERTIFICATE) or point it at the base URL` }
            : { host: target.host, port: target.port, provider: target.provider, reason: 'tls-failed', status: 200, message: `the TLS handshake for ${target.host} failed (${code}) before any request, so no model call happened` });
        });
        sockets.add(tls);
        bySocket.set(tls, target);
        tls.once('close', () => sockets.delete(tls));
        ensureServer().server.emit('connection', tls);
      })().catch(() => socket.destroy());
    },
    request(req, res, target) {
      const { handler: h } = ensureServer();
      byRequest.set(req, target);
      // The handler sees the origin-form path, as on a connection of its own (the host picked the route).
      req.url = originForm(req.url ?? '/');
      h(req, res);
    },
    async closeAll() {
      for (const socket of sockets) socket.destroy();
      await upgrade?.closeAll();
      await settleWithin([...(handler?.inflight ?? [])], 3_000);
    },
  };
}

/** `http://host:port/path?q` → `/path?q`, as sent (not normalised: the handler refuses dot segments and the like itself). */
function originForm(url: string): string {
  const scheme = url.indexOf('://');
  const slash = scheme === -1 ? -1 : url.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : url.slice(slash);
}

async function settleWithin(work: Array<Promise<void>>, ms: number): Promise<void> {
  if (work.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(work), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
