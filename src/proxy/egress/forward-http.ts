// A plain-HTTP request through the egress proxy (absolute-form, RFC 9112 §3.2.2) to a host that is not a
// model API: forwarded as a proxy does (hop-by-hop headers and the proxy credentials removed, RFC 9110 §7.6.1),
// body and answer streamed unread, sizes counted.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ParentProxy } from './parent-proxy.js';
import { formatTarget, type Target } from './target.js';
import { CONNECT_TIMEOUT_MS } from './dial.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export interface ForwardEnd {
  status: number;
  bytesUp: number;
  bytesDown: number;
  error?: string;
}

/** Forwards `req` (its target already admitted) to `address` or through `parent`; resolves when the answer has been relayed. */
export function forwardHttp(req: IncomingMessage, res: ServerResponse, target: Target & { path: string }, via: { address?: string; parent?: ParentProxy }): Promise<ForwardEnd> {
  return new Promise((resolve) => {
    let bytesUp = 0;
    let bytesDown = 0;
    let settled = false;
    const done = (end: Omit<ForwardEnd, 'bytesUp' | 'bytesDown'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...end, bytesUp, bytesDown });
    };
    const headers = withoutHopByHop(req.headers);
    const parent = via.parent;
    const send = parent?.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send({
      host: parent ? parent.url.hostname.replace(/^\[|\]$/g, '') : via.address,
      port: parent ? Number(parent.url.port || (parent.url.protocol === 'https:' ? 443 : 80)) : target.port,
      method: req.method,
      // Through a parent proxy the request stays in absolute form; directly it is origin-form with its Host header.
      path: parent ? `http://${formatTarget(target)}${target.path}` : target.path,
      headers: parent?.authorization ? { ...headers, 'proxy-authorization': parent.authorization } : headers,
      agent: false,
      timeout: CONNECT_TIMEOUT_MS,
    });
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    upstream.on('response', (answer: IncomingMessage) => {
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      answer.on('data', (chunk: Buffer) => (bytesDown += chunk.length));
      answer.pipe(res);
      answer.on('end', () => done({ status: answer.statusCode ?? 502 }));
      answer.on('error', (e: NodeJS.ErrnoException) => {
        res.destroy();
        done({ status: answer.statusCode ?? 502, error: e.code ?? e.message });
      });
    });
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? e.message;
      if (!res.headersSent) {
        const body = `guardrun: could not reach ${formatTarget(target)} (${code})\n`;
        res.writeHead(code === 'ETIMEDOUT' ? 504 : 502, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      } else res.destroy();
      done({ status: code === 'ETIMEDOUT' ? 504 : 502, error: code });
    });
    req.on('data', (chunk: Buffer) => (bytesUp += chunk.length));
    req.pipe(upstream);
    res.on('close', () => {
      if (!res.writableFinished) {
        upstream.destroy();
        done({ status: 499, error: 'the agent closed the connection' });
      }
    });
  });
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}
