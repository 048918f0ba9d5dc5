// The WebSocket upstream of a re-run: connections are answered from the recording instead of the network,
// as replay-pool.ts answers HTTP. A connection matches the next recorded one with the same path; each frame
// the proxy forwards matches a recorded frame of that connection by its masked body (repeats in recorded
// order) and is answered with what the upstream sent for it then. A frame without a match fails closed: an
// error event (status 400, code guardrun_replay_no_match) and a divergence, as the HTTP side's 409.
import type { Provider } from '../providers.js';
import { WS_REFUSAL_STATUS } from '../proxy/response/stream-error-event.js';
import { UpgradeRefused, type SocketEvents, type UpstreamSocket, type UpstreamSockets } from '../proxy/websocket/upstream-socket.js';
import type { RecordedSession } from '../recording/reader.js';
import type { RecordedExchange } from './exchanges.js';
import { firstDifference, liveRecordedBody } from './body-key.js';
import { keyOf, recordedConnections, type RecordedConnection, type RecordedFrame } from './recorded-connections.js';
import { NO_MATCH_CODE, type Divergence } from './replay-pool.js';

export interface ReplaySocketOptions {
  session: RecordedSession;
  exchanges: readonly RecordedExchange[];
  /** The upstream URL's path prefix per provider (what the proxy puts before the API path). */
  prefixes: Partial<Record<Provider, string>>;
  mask(text: string): string;
  /** Keep the recorded gaps between a response's events. */
  realtime?: boolean;
  /** Where divergences go (shared with the HTTP side), and the numbering of requests that reach the recording. */
  divergences: Divergence[];
  nextRequest(): number;
}

export interface ReplaySockets {
  sockets: Partial<Record<Provider, UpstreamSockets>>;
  /** Recorded exchanges with an answer that no frame of the re-run used. */
  unused(): RecordedExchange[];
  /** Frames answered from the recording so far. */
  answered(): number;
}

export function createReplaySockets(o: ReplaySocketOptions): ReplaySockets {
  const connections = recordedConnections(o.session, o.exchanges, o.mask);
  let answered = 0;

  const open = (conn: RecordedConnection, events: SocketEvents): UpstreamSocket => {
    let closed = false;
    let paused = false;
    let queue = Promise.resolve();
    const emit = (data: string): void => {
      if (!closed) events.message(Buffer.from(data, 'utf8'), false);
    };
    const later = (ms: number): Promise<void> => new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms).unref() : setImmediate(resolve)));
    const play = (frame: RecordedFrame | undefined, error?: string): void => {
      queue = queue.then(async () => {
        if (error !== undefined) return emit(error);
        let last = 0;
        for (const { t, data } of frame!.answer) {
          await (o.realtime && t > last ? later(t - last) : later(0));
          last = Math.max(last, t);
          while (paused && !closed) await later(5);
          emit(data);
        }
        if (conn.upstreamClose && conn.frames.every((f) => f.used || f.unavailable)) {
          closed = true;
          events.close(conn.upstreamClose.code, conn.upstreamClose.reason);
        }
      });
    };
    for (const data of conn.greeting) play({ key: '', answer: [{ t: 0, data }], used: true });
    return {
      protocol: '',
      headers: {},
      send(text, done) {
        done();
        const key = keyOf(text, o.mask);
        const frame = conn.frames.find((f) => !f.used && f.key === key);
        if (frame && !frame.unavailable) {
          frame.used = true;
          answered++;
          return play(frame);
        }
        const n = o.nextRequest();
        const message = divergence(n, conn, frame, text, o.mask);
        if (frame) frame.used = true;
        const nearest = frame?.exchange ?? conn.frames.find((f) => !f.used && !f.unavailable && f.exchange)?.exchange;
        o.divergences.push({ request: n, provider: 'openai', method: 'WS', path: conn.path, message, nearest: nearest ? { id: nearest.id, method: 'WS', path: conn.path } : undefined });
        play(undefined, noMatchEvent(text, message));
      },
      close(code, reason) {
        if (closed) return;
        closed = true;
        setImmediate(() => events.close(code, reason));
      },
      terminate() {
        if (closed) return;
        closed = true;
        setImmediate(() => events.close(1006, ''));
      },
      pause: () => void (paused = true),
      resume: () => void (paused = false),
    };
  };

  const sockets = (provider: Provider): UpstreamSockets => ({
    source: 'replay',
    async connect(request, events) {
      const prefix = o.prefixes[provider] ?? '';
      const path = o.mask(prefix && request.path.startsWith(prefix) ? request.path.slice(prefix.length) : request.path);
      const conn = connections.find((c) => !c.used && c.path === path);
      if (!conn) {
        const n = o.nextRequest();
        o.divergences.push({ request: n, provider, method: 'WS', path, message: `WebSocket connection to ${path} (request ${n} of the re-run) has no match in the recording: every recorded connection to it was used, or there was none` });
        throw new UpgradeRefused(409, '');
      }
      conn.used = true;
      return open(conn, events);
    },
  });

  return {
    sockets: { openai: sockets('openai') },
    unused: () => connections.flatMap((c) => c.frames).filter((f) => !f.used && !f.unavailable && f.exchange && f.answer.length > 0).map((f) => f.exchange!),
    answered: () => answered,
  };
}

/** One sentence: which message did not match, and the nearest recorded candidate with the first difference. */
function divergence(n: number, conn: RecordedConnection, same: RecordedFrame | undefined, text: string, mask: (text: string) => string): string {
  const what = `WebSocket message ${n} of the re-run (connection ${conn.id}, ${conn.path}) has no match in the recording`;
  if (same) return `${what}: it is recorded #${same.exchange?.id ?? '?'}, but ${same.unavailable}`;
  const candidate = conn.frames.find((f) => !f.used && !f.unavailable);
  if (!candidate) return `${what}: every recorded message of this connection was already used`;
  const recorded = candidate.exchange?.request?.body;
  const live = liveRecordedBody(Buffer.from(text, 'utf8'), 'application/json', mask);
  const diff = recorded && live && 'json' in recorded && 'json' in live ? firstDifference(recorded.json, live.json) : undefined;
  const name = candidate.exchange ? `#${candidate.exchange.id}` : 'a control event';
  return `${what}; nearest is recorded ${name}: ${diff ? `the body differs at ${diff.path}: recorded ${diff.recorded}, now ${diff.now}` : 'the body differs'}`;
}

/** The error event a frame without a match gets, in its API's shape (Responses' `status`, Realtime's `event_id`). */
function noMatchEvent(text: string, message: string): string {
  let eventId: string | null = null;
  try {
    const sent = JSON.parse(text) as { event_id?: unknown };
    if (typeof sent.event_id === 'string') eventId = sent.event_id;
  } catch {
    eventId = null;
  }
  const error = { message: `guardrun replay: ${message}`, type: 'invalid_request_error', param: null, code: NO_MATCH_CODE };
  return JSON.stringify({ type: 'error', status: WS_REFUSAL_STATUS, ...(eventId !== null ? { event_id: `event_guardrun_replay`, error: { ...error, event_id: eventId } } : { error }) });
}
