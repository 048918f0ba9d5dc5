// The WebSocket connections of a recording, as scripts a re-run can be answered from: for each connection,
// the server messages it got before the agent sent anything, then each client frame the upstream received
// (a checked event, or a control event) with what came back for it: the exchange's own events and the
// connection's messages that followed it (by line order) until the next frame.
import type { RequestEvent, WsCloseEvent, WsMessageEvent, WsUpgradeEvent } from '../recording/format.js';
import type { RecordedSession } from '../recording/reader.js';
import { bodyKey, liveRecordedBody } from './body-key.js';
import type { RecordedExchange } from './exchanges.js';

export interface RecordedFrame {
  /** Matching key: the body as the recorder wrote it (masked), hashed with keys in canonical order. */
  key: string;
  /** The exchange the frame was (absent for a control event). */
  exchange?: RecordedExchange;
  /** Why the upstream never got it in the recording (denied, refused); undefined when it did. */
  unavailable?: string;
  /** What the upstream sent back for it, in order, with offsets (ms) from the frame's first answer. */
  answer: Array<{ t: number; data: string }>;
  used: boolean;
}

export interface RecordedConnection {
  id: number;
  /** As recorded (masked), with query. */
  path: string;
  /** Server messages before the first client frame (Realtime's `session.created`). */
  greeting: string[];
  frames: RecordedFrame[];
  /** Set when the upstream closed the connection in the recording: the re-run closes after the last frame's answer. */
  upstreamClose?: { code: number; reason: string };
  used: boolean;
}

/** Builds the scripts; `mask` is the session's masker (applied to both sides, so keys compare). */
export function recordedConnections(session: RecordedSession, exchanges: readonly RecordedExchange[], mask: (text: string) => string): RecordedConnection[] {
  const byId = new Map(exchanges.map((x) => [x.id, x]));
  const connections = new Map<number, RecordedConnection>();
  const last = new Map<number, RecordedFrame>();
  for (const { event } of session.events) {
    if (event.type === 'ws.upgrade') upgrade(connections, event);
    else if (event.type === 'ws.message') message(connections, last, event, mask);
    else if (event.type === 'ws.close') close(connections, event);
    else if (event.type === 'request' && event.transport === 'websocket' && event.connection !== undefined) {
      const conn = connections.get(event.connection);
      if (!conn) continue;
      const frame = requestFrame(event, byId.get(event.id));
      conn.frames.push(frame);
      last.set(conn.id, frame);
    }
  }
  return [...connections.values()];
}

function upgrade(connections: Map<number, RecordedConnection>, e: WsUpgradeEvent): void {
  if (e.status === 101) connections.set(e.connection, { id: e.connection, path: e.path, greeting: [], frames: [], used: false });
}

function message(connections: Map<number, RecordedConnection>, last: Map<number, RecordedFrame>, e: WsMessageEvent, mask: (text: string) => string): void {
  const conn = connections.get(e.connection);
  if (!conn || e.data === undefined || e.refused || e.withheld) return;
  if (e.direction === 'server') {
    const frame = last.get(conn.id);
    if (frame) frame.answer.push({ t: 0, data: e.data });
    else conn.greeting.push(e.data);
    return;
  }
  const frame: RecordedFrame = { key: keyOf(e.data, mask), answer: [], used: false };
  conn.frames.push(frame);
  last.set(conn.id, frame);
}

function close(connections: Map<number, RecordedConnection>, e: WsCloseEvent): void {
  const conn = connections.get(e.connection);
  if (conn && e.by === 'upstream') conn.upstreamClose = { code: e.code, reason: e.reason ?? '' };
}

function requestFrame(req: RequestEvent, ex: RecordedExchange | undefined): RecordedFrame {
  const key = bodyKey(req.body);
  const denied = ex?.decisions.find((d) => d.phase === 'request' && d.verdict === 'deny');
  const res = ex?.response;
  if (denied || (res?.source === 'guardrun' && res.events === undefined)) {
    const why = denied ? `it was denied in the recording (${denied.rules[0] ?? 'policy'})` : `guardrun answered it itself in the recording (${res?.error?.code ?? 'error'})`;
    return { key, exchange: ex, unavailable: `${why}, so the upstream never answered it`, answer: [], used: false };
  }
  return { key, exchange: ex, answer: (res?.events ?? []).map((e) => ({ t: e.t, data: e.data })), used: false };
}

/** The key of a message as the upstream gets it in the re-run (masked as the recorder would). */
export function keyOf(text: string, mask: (text: string) => string): string {
  return bodyKey(liveRecordedBody(Buffer.from(text, 'utf8'), 'application/json', mask));
}
