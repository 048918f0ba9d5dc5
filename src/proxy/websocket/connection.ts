// One WebSocket connection through the proxy: the agent's socket and the upstream's, client events checked in
// order (a request waits for its decision; the ones after it wait behind it), server events relayed in order,
// flow control both ways, and a close on either side closing the other and ending every open exchange.
import type { WebSocket } from 'ws';
import type { Recorder } from '../../recording/recorder.js';
import type { ProxyError } from '../error-response.js';
import type { Guard } from '../types.js';
import { classifyClientEvent, REFUSED_EVENT_CODE } from './client-events.js';
import { handleClientRequest, type RequestSide } from './client-request.js';
import { wsErrorEvent, type WsProtocol } from './error-event.js';
import { sendableCloseCode, sendableCloseReason } from './handshake.js';
import { ServerRelay } from './server-events.js';
import type { SocketEvents, UpstreamSocket } from './upstream-socket.js';
import { recordClose, recordMessage } from './ws-record.js';

export interface ConnectionOptions {
  id: number;
  protocol: WsProtocol;
  path: string;
  apiPath: string;
  endpoint: string;
  model: string | undefined;
  guard: Guard;
  recorder: Recorder;
  source: 'upstream' | 'replay';
  nextId(): number;
}

// Messages queued (being checked, or waiting for the other side to take them) before reading pauses.
const HIGH_WATER = 64;
const CLOSE_GRACE_MS = 2_000;
export const BINARY_CLOSE_CODE = 1003; // RFC 6455 §7.4.1: a data type the endpoint cannot accept

type Closer = 'client' | 'upstream' | 'guardrun';

export class WsConnection {
  readonly upstreamEvents: SocketEvents;
  /** Resolves once both sides are closed and every exchange is recorded. */
  readonly done: Promise<void>;
  private client: WebSocket | undefined;
  private upstream: UpstreamSocket | undefined;
  private readonly relay: ServerRelay;
  private readonly side: RequestSide;
  private ready!: () => void;
  private serverChain: Promise<void>;
  private clientChain: Promise<void> = Promise.resolve();
  private serverQueued = 0;
  private clientQueued = 0;
  private closedBy: { by: Closer; code: number; reason: string } | undefined;
  private readonly openedMs = performance.now();
  private clientClosed = false;
  private upstreamClosed = false;
  /** How the upstream closed before the agent's side was accepted. */
  private earlyClose: { code: number; reason: string } | undefined;
  private ending = false;
  private finished!: () => void;

  constructor(private readonly o: ConnectionOptions) {
    this.serverChain = new Promise<void>((resolve) => (this.ready = resolve));
    this.done = new Promise<void>((resolve) => (this.finished = resolve));
    this.relay = new ServerRelay({
      protocol: o.protocol,
      guard: o.guard,
      send: (text) => this.toClient(text),
      recordLoose: (text, withheld) => recordMessage(o.recorder, o.guard, o.id, { direction: 'server', text, withheld }),
    });
    this.side = {
      protocol: o.protocol, connection: o.id, path: o.path, apiPath: o.apiPath, endpoint: o.endpoint, guard: o.guard,
      recorder: o.recorder, relay: this.relay, source: o.source, nextId: o.nextId, model: o.model,
      forward: (text) => this.toUpstream(text),
      reply: (text) => this.toClient(text),
      gone: () => this.closedBy !== undefined,
    };
    this.upstreamEvents = {
      message: (data, binary) => this.fromUpstream(data, binary),
      close: (code, reason) => this.sideClosed('upstream', code, reason),
    };
  }

  /** Both sides are open: start relaying (server messages that came before wait until now). */
  start(client: WebSocket, upstream: UpstreamSocket): void {
    this.client = client;
    this.upstream = upstream;
    client.on('message', (data: Buffer, binary: boolean) => this.fromClient(data, binary));
    client.on('close', (code: number, reason: Buffer) => this.sideClosed('client', code, reason.toString('utf8')));
    client.on('error', () => undefined); // 'close' follows
    this.ready();
    if (this.earlyClose) this.sideClosed('upstream', this.earlyClose.code, this.earlyClose.reason);
  }

  /** The agent's handshake failed after the upstream opened: drop the upstream, record nothing more. */
  abandon(upstream: UpstreamSocket): void {
    this.closedBy ??= { by: 'guardrun', code: 1001, reason: 'the agent left during the handshake' };
    upstream.terminate();
    this.ready();
    this.finished();
  }

  /** The session ends: close both sides and record what was open. */
  shutdown(): Promise<void> {
    this.sideClosed('guardrun', 1001, 'guardrun session ended');
    return this.done;
  }

  private fromClient(data: Buffer, binary: boolean): void {
    if (this.closedBy) return;
    if (binary) {
      const message = 'guardrun cannot inspect binary WebSocket frames, so it closed the connection; send JSON text events';
      recordMessage(this.o.recorder, this.o.guard, this.o.id, { direction: 'client', omitted: 'binary frame', bytes: data.length, refused: { code: REFUSED_EVENT_CODE, message } });
      return this.sideClosed('guardrun', BINARY_CLOSE_CODE, 'guardrun cannot inspect binary frames');
    }
    const text = data.toString('utf8');
    if (++this.clientQueued >= HIGH_WATER) this.client?.pause();
    this.clientChain = this.clientChain
      .then(() => this.clientText(text))
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        if (--this.clientQueued < HIGH_WATER / 2 && this.client?.isPaused) this.client.resume();
      });
  }

  private async clientText(text: string): Promise<void> {
    if (this.closedBy) return;
    const event = classifyClientEvent(this.o.protocol, text);
    if (event.kind === 'request') return handleClientRequest(this.side, event, text);
    if (event.kind === 'control' && !this.o.guard.hasOwnKey(text)) {
      recordMessage(this.o.recorder, this.o.guard, this.o.id, { direction: 'client', text });
      return this.toUpstream(text);
    }
    const error: ProxyError = event.kind === 'refuse' ? event.error : { status: 400, code: REFUSED_EVENT_CODE, message: 'this event carries a key guardrun holds, so it was not sent' };
    const omitted = event.kind === 'refuse' ? event.omitted : undefined;
    recordMessage(this.o.recorder, this.o.guard, this.o.id, { direction: 'client', text: omitted ? undefined : text, omitted, bytes: Buffer.byteLength(text), refused: { code: error.code, message: error.message } });
    this.toClient(wsErrorEvent(this.o.protocol, error, event.ref));
  }

  private fromUpstream(data: Buffer, binary: boolean): void {
    if (binary) {
      const message = 'the upstream sent a binary WebSocket frame, which guardrun cannot inspect; the connection was closed';
      recordMessage(this.o.recorder, this.o.guard, this.o.id, { direction: 'server', omitted: 'binary frame', bytes: data.length, refused: { code: 'guardrun_upstream_binary', message } });
      this.serverChain = this.serverChain.then(() => this.sideClosed('guardrun', BINARY_CLOSE_CODE, 'guardrun cannot inspect binary frames'));
      return;
    }
    const text = data.toString('utf8');
    if (++this.serverQueued >= HIGH_WATER) this.upstream?.pause();
    this.serverChain = this.serverChain
      .then(() => this.relay.message(text))
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.serverQueued--;
        this.maybeResumeUpstream();
      });
  }

  private toClient(text: string): void {
    const client = this.client;
    if (!client || client.readyState !== client.OPEN) return;
    this.serverQueued++;
    client.send(text, () => {
      this.serverQueued--;
      this.maybeResumeUpstream();
    });
  }

  private toUpstream(text: string): void {
    if (this.upstreamClosed || this.closedBy) return;
    this.upstream?.send(text, () => undefined);
  }

  private maybeResumeUpstream(): void {
    if (this.serverQueued < HIGH_WATER / 2) this.upstream?.resume();
  }

  /** A bug in guardrun while relaying: fail closed, both sides closed with 1011. */
  private fail(error: unknown): void {
    void error;
    this.sideClosed('guardrun', 1011, 'guardrun internal error');
  }

  private sideClosed(by: Closer, code: number, reason: string): void {
    if (by === 'client') this.clientClosed = true;
    if (by === 'upstream') {
      this.upstreamClosed = true;
      if (!this.client) {
        this.earlyClose = { code, reason }; // not started yet: start() handles it
        return;
      }
    }
    if (this.closedBy) return this.maybeDone();
    this.closedBy = { by, code, reason };
    recordClose(this.o.recorder, this.o.guard, this.o.id, by, code, reason, performance.now() - this.openedMs);
    if (!this.upstreamClosed) this.upstream?.close(sendableCloseCode(code, 1000), sendableCloseReason(reason, this.o.guard.maskText));
    if (!this.clientClosed) this.client?.close(sendableCloseCode(code, 1011), sendableCloseReason(reason, this.o.guard.maskOutgoing));
    const timer = setTimeout(() => {
      // A side that does not answer the close handshake is dropped.
      if (!this.upstreamClosed) this.upstream?.terminate();
      if (!this.clientClosed) this.client?.terminate();
      this.upstreamClosed = this.clientClosed = true;
      this.maybeDone();
    }, CLOSE_GRACE_MS);
    timer.unref();
    this.maybeDone();
  }

  private maybeDone(): void {
    if (this.ending || !this.clientClosed || !this.upstreamClosed || !this.closedBy) return;
    this.ending = true;
    const { by, code, reason } = this.closedBy;
    void Promise.allSettled([this.clientChain, this.serverChain]).then(() => {
      for (const x of this.relay.open()) {
        const error = cutShort(by, code, reason, this.o.guard.maskText);
        x.finish({ status: x.started ? 200 : error.status, error });
      }
      this.finished();
    });
  }
}

function cutShort(by: Closer, code: number, reason: string, mask: (text: string) => string): ProxyError {
  if (by === 'upstream') {
    const why = reason ? `: ${mask(reason).slice(0, 200)}` : '';
    return { status: 502, code: 'guardrun_upstream_closed', message: `the upstream closed the WebSocket (code ${code}${why}) before the response ended` };
  }
  if (by === 'guardrun' && code === 1011) return { status: 500, code: 'guardrun_internal', message: 'guardrun closed the WebSocket after an internal error, before the response ended' };
  const message = by === 'client' ? `the agent closed the WebSocket (code ${code}) before the response ended` : `guardrun closed the WebSocket (${reason}) before the response ended`;
  return { status: 499, code: 'guardrun_client_closed', message };
}
