// The provider's side of a WebSocket connection: what the proxy needs of it, and the `ws` client that
// provides it. A re-run answers from a recording instead (replay/replay-sockets.ts), as UpstreamPool does for HTTP.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { WebSocket as WsSocket } from 'ws';

export interface SocketRequest {
  /** Path with query, after the upstream URL's own prefix (`/openai/v1/responses`). */
  path: string;
  /** Handshake headers, the real key included. */
  headers: Record<string, string | string[]>;
  /** Subprotocols to offer (never the key-bearing one). */
  protocols: string[];
  /** Largest message accepted, in bytes. */
  maxPayload: number;
}

/** What the upstream side reports to the connection once open. */
export interface SocketEvents {
  message(data: Buffer, binary: boolean): void;
  /** The connection ended (close frame received, or dropped: code 1006). Called once. */
  close(code: number, reason: string): void;
}

export interface UpstreamSocket {
  /** The subprotocol the upstream selected ('' for none). */
  readonly protocol: string;
  /** The upstream's handshake answer headers. */
  readonly headers: IncomingHttpHeaders;
  /** Sends one text message; `done` runs once it was handed to the network (or failed). */
  send(text: string, done: (error?: Error) => void): void;
  close(code: number, reason: string): void;
  /** Drops the connection without a close handshake. */
  terminate(): void;
  /** Stops / restarts reading messages (flow control while the agent's side is slow). */
  pause(): void;
  resume(): void;
}

export interface UpstreamSockets {
  /** Where the messages come from, for the session file; the network unless said otherwise. */
  readonly source?: 'upstream' | 'replay';
  /** Opens a connection; rejects with UpgradeRefused when the upstream answers the upgrade with an HTTP status. */
  connect(request: SocketRequest, events: SocketEvents): Promise<UpstreamSocket>;
}

/** The upstream answered the upgrade with an HTTP status instead of 101. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    /** The start of the answer's body (up to 16 KiB), for the message. */
    readonly body: string,
  ) {
    super(`the upstream answered the WebSocket upgrade with HTTP ${status}`);
  }
}

const HANDSHAKE_TIMEOUT_MS = 30_000;
const MAX_REFUSAL_BODY = 16 * 1024;
const require = createRequire(import.meta.url);

/** `ws` connections to `url` (https → wss, http → ws; the caller adds the path prefix). Loads `ws` at the first connection. */
export function createUpstreamSockets(url: URL): UpstreamSockets {
  const origin = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
  return {
    connect(request, events) {
      const { WebSocket } = require('ws') as typeof import('ws');
      return new Promise<UpstreamSocket>((resolve, reject) => {
        // permessage-deflate is offered; the upstream decides (ws negotiates each side on its own).
        const ws = new WebSocket(origin + request.path, request.protocols, {
          headers: request.headers,
          perMessageDeflate: true,
          handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
          maxPayload: request.maxPayload,
          followRedirects: false,
        });
        let answerHeaders: IncomingHttpHeaders = {};
        let open = false;
        ws.on('upgrade', (res: IncomingMessage) => (answerHeaders = res.headers));
        ws.on('unexpected-response', (req, res) => {
          void readSome(res).then((body) => reject(new UpgradeRefused(res.statusCode ?? 502, body)));
          req.destroy();
        });
        ws.on('error', (error) => {
          if (!open) reject(error); // after opening, 'close' follows
        });
        ws.on('open', () => {
          open = true;
          resolve(wrap(ws, answerHeaders));
        });
        ws.on('message', (data: Buffer, binary: boolean) => events.message(data, binary));
        ws.on('close', (code: number, reason: Buffer) => {
          if (open) events.close(code, reason.toString('utf8'));
        });
      });
    },
  };
}

function wrap(ws: WsSocket, headers: IncomingHttpHeaders): UpstreamSocket {
  return {
    protocol: ws.protocol,
    headers,
    send: (text, done) => ws.send(text, done),
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  };
}

function readSome(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (text.length < MAX_REFUSAL_BODY) text += chunk;
    });
    res.on('end', () => resolve(text.slice(0, MAX_REFUSAL_BODY)));
    res.on('error', () => resolve(text));
    res.on('close', () => resolve(text));
  });
}
