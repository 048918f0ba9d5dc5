// What the upstream answered in a recorded exchange, in the pieces the agent got it: one chunk per recorded
// stream event, or the whole body. Exchanges the upstream never answered cannot be replayed.
import type { RecordedBody, ResponseEvent } from '../recording/format.js';
import type { RecordedExchange } from './exchanges.js';

export interface RecordedAnswer {
  status: number;
  headers: Record<string, string>;
  chunks: Array<{ t: number; data: Buffer }>;
  ttfbMs?: number;
  /** The upstream connection broke after these chunks: the replay breaks it the same way. */
  broken?: boolean;
}

export type Answerable = { answer: RecordedAnswer } | { unavailable: string };

export function recordedAnswer(ex: RecordedExchange): Answerable {
  const res = ex.response;
  if (!res) return { unavailable: 'no response was recorded for it (the session ended first)' };
  const error = res.source === 'guardrun' ? res.error : undefined;
  if (error?.code === 'guardrun_upstream_unreachable') return { unavailable: 'the upstream was unreachable when it was recorded' };
  if (error?.code === 'guardrun_client_closed') return { unavailable: 'the agent closed the connection before the answer was recorded' };
  const deniedRequest = ex.decisions.find((d) => d.phase === 'request' && d.verdict === 'deny');
  if (deniedRequest || error?.code === 'guardrun_check_error') {
    const rule = deniedRequest?.rules[0] ?? error?.code ?? 'policy';
    return { unavailable: `it was denied in the recording (${rule}), so the upstream never answered it` };
  }
  if (error && res.body === undefined && res.events === undefined) return { unavailable: `guardrun answered it itself in the recording (${error.code})` };
  const chunks = chunksOf(res);
  if (!chunks) return { unavailable: `its answer's body was not kept in the recording (${describeOmitted(res.body)})` };
  // A guardrun answer over an upstream one (a withheld tool call, a broken stream): the upstream's status where
  // recorded (`upstreamStatus`; older files have none, and such answers only come from successful ones).
  const status = res.upstreamStatus ?? (error ? 200 : res.status);
  return { answer: { status, headers: headersOf(res), chunks, ttfbMs: res.ttfbMs, broken: error?.code === 'guardrun_upstream_broke' } };
}

function chunksOf(res: ResponseEvent): RecordedAnswer['chunks'] | undefined {
  if (res.events) return res.events.map((e) => ({ t: e.t, data: Buffer.from(e.data, 'utf8') }));
  const bytes = bodyBytes(res.body);
  if (bytes === undefined) return undefined;
  return bytes.length === 0 ? [] : [{ t: 0, data: bytes }];
}

/** The bytes of a recorded body; JSON is re-serialised (same value, not necessarily the same spacing). */
export function bodyBytes(body: RecordedBody | undefined): Buffer | undefined {
  if (!body) return Buffer.alloc(0);
  if ('json' in body) return Buffer.from(JSON.stringify(body.json), 'utf8');
  if ('text' in body) return Buffer.from(body.text, 'utf8');
  if ('base64' in body) return Buffer.from(body.base64, 'base64');
  return undefined;
}

function headersOf(res: ResponseEvent): Record<string, string> {
  const headers = { ...res.headers };
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = res.events ? 'text/event-stream' : res.body && 'json' in res.body ? 'application/json' : 'text/plain; charset=utf-8';
  }
  return headers;
}

function describeOmitted(body: RecordedBody | undefined): string {
  return body && 'omitted' in body ? `${body.omitted}, ${body.bytes} bytes` : 'no body';
}
