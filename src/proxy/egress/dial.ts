// Opening the far end of a tunnel: a TCP connection to the checked address, or a CONNECT through the user's
// own proxy (Node's http client speaks CONNECT; RFC 9110 §9.3.6).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { ParentProxy } from './parent-proxy.js';
import { formatTarget, type Target } from './target.js';

/** A connection that is neither up nor refused by then is given up (the agent gets 504). */
export const CONNECT_TIMEOUT_MS = 15_000;

export class DialError extends Error {
  constructor(
    /** What the agent is answered: 502 (refused, unreachable), 504 (timed out). */
    readonly status: number,
    /** `ECONNREFUSED`, `ETIMEDOUT`, `parent proxy answered 403`. */
    readonly code: string,
  ) {
    super(code);
  }
}

/** Connects to `address:port` directly. Rejects with DialError. */
export function dialDirect(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError(504, 'ETIMEDOUT'));
    }, CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new DialError(502, error.code ?? 'ECONNRESET'));
    });
  });
}

/** Opens a tunnel to `target` through the parent proxy (CONNECT, with its credentials). Rejects with DialError. */
export function dialThrough(parent: ParentProxy, target: Target): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const authority = formatTarget(target);
    const send = parent.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send({
      host: parent.url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(parent.url.port || (parent.url.protocol === 'https:' ? 443 : 80)),
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...(parent.authorization ? { 'proxy-authorization': parent.authorization } : {}) },
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new DialError(504, 'ETIMEDOUT'));
    }, CONNECT_TIMEOUT_MS);
    req.once('connect', (res, socket, head) => {
      clearTimeout(timer);
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) {
        socket.destroy();
        reject(new DialError(502, `parent proxy ${parent.label} answered ${res.statusCode}`));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new DialError(502, `parent proxy ${parent.label}: ${error.code ?? error.message}`));
    });
    req.end();
  });
}
