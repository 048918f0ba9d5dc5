// The record of egress: one `egress` line per tunnel or plain-HTTP request (written when it ends, or at once
// when refused), one `bypass` line per refused attempt to reach a model host around the guard, and the
// counts the exit line reports.
import type { BypassEvent, EgressEvent } from '../../recording/format.js';
import type { Recorder } from '../../recording/recorder.js';

export interface EgressSummary {
  /** Tunnels and plain-HTTP requests, allowed or not. */
  connections: number;
  /** Of those, refused (policy, a local address, CI). */
  denied: Array<{ target: string; rule: string; reason: string; decidedBy: string }>;
  bytesUp: number;
  bytesDown: number;
  /** Refused attempts to reach a model host around the guard. */
  bypasses: Array<{ host: string; reason: BypassEvent['reason']; message: string }>;
}

export interface EgressLog {
  /** The next connection number (1, 2, …). */
  nextId(): number;
  egress(event: Omit<EgressEvent, 'type'>): void;
  bypass(event: Omit<BypassEvent, 'type' | 'time'>): void;
  summary(): EgressSummary;
}

/** `mask` runs over every text that could quote a secret (paths, reasons, error messages). */
export function createEgressLog(recorder: Recorder, mask: (text: string) => string): EgressLog {
  let count = 0;
  const summary: EgressSummary = { connections: 0, denied: [], bytesUp: 0, bytesDown: 0, bypasses: [] };
  return {
    nextId: () => ++count,
    egress(event) {
      const line: EgressEvent = {
        type: 'egress',
        ...event,
        host: mask(event.host),
        path: event.path === undefined ? undefined : mask(event.path),
        reason: event.reason === undefined ? undefined : mask(event.reason),
        error: event.error === undefined ? undefined : mask(event.error),
      };
      recorder.write(line);
      summary.connections++;
      summary.bytesUp += event.bytesUp;
      summary.bytesDown += event.bytesDown;
      if (event.verdict === 'deny') {
        summary.denied.push({ target: `${event.method === 'CONNECT' ? '' : `${event.method} `}${line.host}:${event.port}`, rule: event.pattern ? `${event.rule} "${event.pattern}"` : event.rule, reason: line.reason ?? '', decidedBy: event.decidedBy });
      }
    },
    bypass(event) {
      const line: BypassEvent = { type: 'bypass', time: new Date().toISOString(), ...event, path: event.path === undefined ? undefined : mask(event.path), message: mask(event.message) };
      recorder.write(line);
      summary.bypasses.push({ host: event.host, reason: event.reason, message: line.message });
    },
    summary: () => summary,
  };
}
