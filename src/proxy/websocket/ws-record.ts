// The session lines of a WebSocket connection besides its exchanges: the upgrade, the messages that belong to
// no exchange (client control events, refused frames, the server's connection events) and the close. All
// masked: the recorder's masker runs over every text, and credentials never get here (see handshake.ts).
import type { WsUpgradeEvent } from '../../recording/format.js';
import type { Recorder } from '../../recording/recorder.js';
import type { Guard } from '../types.js';

export function recordUpgrade(recorder: Recorder, event: Omit<WsUpgradeEvent, 'type' | 'time'>): void {
  recorder.write({ type: 'ws.upgrade', ...event, time: new Date().toISOString() });
}

export interface LooseMessage {
  direction: 'client' | 'server';
  /** The text (masked before writing); absent when omitted. */
  text?: string;
  omitted?: string;
  bytes?: number;
  refused?: { code: string; message: string };
  withheld?: boolean;
}

export function recordMessage(recorder: Recorder, guard: Guard, connection: number, m: LooseMessage): void {
  recorder.write({
    type: 'ws.message',
    connection,
    time: new Date().toISOString(),
    direction: m.direction,
    data: m.text === undefined ? undefined : guard.maskText(m.text),
    omitted: m.omitted,
    bytes: m.omitted ? m.bytes : undefined,
    refused: m.refused ? { code: m.refused.code, message: guard.maskText(m.refused.message) } : undefined,
    withheld: m.withheld || undefined,
  });
}

export function recordClose(recorder: Recorder, guard: Guard, connection: number, by: 'client' | 'upstream' | 'guardrun', code: number, reason: string, durationMs: number): void {
  recorder.write({
    type: 'ws.close',
    connection,
    time: new Date().toISOString(),
    by,
    code,
    reason: reason ? guard.maskText(reason) : undefined,
    durationMs: Math.round(durationMs),
  });
}
