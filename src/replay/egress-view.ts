// The egress side of a recorded session for `guardrun replay`: the connections the child opened through
// guardrun's egress proxy (`egress` lines) and its refused attempts to reach a model host around the guard
// (`bypass` lines), in file order. Files written before these events existed simply have none.
import type { BypassEvent, EgressEvent } from '../recording/format.js';
import type { RecordedSession } from '../recording/reader.js';

export interface EgressView {
  id: number;
  time: string;
  offsetMs?: number;
  /** `CONNECT` for a tunnel, else the plain-HTTP method. */
  method: string;
  /** `host:port`, brackets around IPv6. */
  target: string;
  path?: string;
  verdict: 'allow' | 'deny';
  decidedBy: string;
  rule: string;
  pattern?: string;
  reason?: string;
  status: number;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  via?: string;
  error?: string;
}

export interface BypassView {
  time: string;
  offsetMs?: number;
  target: string;
  provider?: string;
  reason: BypassEvent['reason'];
  message: string;
  status: number;
}

export interface EgressTotals {
  connections: number;
  denied: number;
  bytesUp: number;
  bytesDown: number;
  bypasses: number;
}

export function egressOf(session: RecordedSession, start: number): { egress: EgressView[]; bypasses: BypassView[]; totals: EgressTotals } {
  const egress: EgressView[] = [];
  const bypasses: BypassView[] = [];
  const offset = (time: string): number | undefined => (Number.isFinite(start) ? Date.parse(time) - start : undefined);
  for (const { event } of session.events) {
    if (event.type === 'egress') egress.push(viewOf(event, offset(event.time)));
    else if (event.type === 'bypass') {
      bypasses.push({ time: event.time, offsetMs: offset(event.time), target: target(event.host, event.port), provider: event.provider, reason: event.reason, message: event.message, status: event.status });
    }
  }
  return {
    egress,
    bypasses,
    totals: {
      connections: egress.length,
      denied: egress.filter((e) => e.verdict === 'deny').length,
      bytesUp: egress.reduce((n, e) => n + (e.bytesUp || 0), 0),
      bytesDown: egress.reduce((n, e) => n + (e.bytesDown || 0), 0),
      bypasses: bypasses.length,
    },
  };
}

function viewOf(e: EgressEvent, offsetMs: number | undefined): EgressView {
  return {
    id: e.id, time: e.time, offsetMs, method: e.method, target: target(e.host, e.port), path: e.path, verdict: e.verdict, decidedBy: e.decidedBy,
    rule: e.rule, pattern: e.pattern, reason: e.reason, status: e.status, bytesUp: e.bytesUp, bytesDown: e.bytesDown, durationMs: e.durationMs, via: e.via, error: e.error,
  };
}

function target(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
