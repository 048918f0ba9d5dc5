// How an exchange becomes session events. Everything passes the guard's masker before it is written.
import type { IncomingHttpHeaders } from 'node:http';
import { RECORD_LIMIT_BYTES, type RecordedBody } from '../recording/format.js';
import { recordParts } from '../recording/parts-index.js';
import { RawJson } from '../recording/raw-json.js';
import type { Recorder } from '../recording/recorder.js';
import type { ProxyError } from './error-response.js';
import { maskHeaderValues, recordableHeaders } from './headers.js';
import type { Exchange, Guard, ScannedText } from './types.js';

const MAX_RECORDED_BYTES = RECORD_LIMIT_BYTES;
const MAX_BINARY_BYTES = 256 * 1024;

/** How a request body arrived when it was compressed; with `refused`, why it was not decoded (the body is then not recorded). */
export interface ArrivedEncoding {
  /** The `Content-Encoding` header as the agent sent it. */
  header: string;
  /** Bytes on the wire. */
  bytes: number;
  refused?: string;
}

/** Writes the `request` event: the body as the guard saw it (decoded when it arrived compressed), masked. */
export function recordRequest(recorder: Recorder, guard: Guard, ex: Exchange, headers: IncomingHttpHeaders, encoding?: ArrivedEncoding): void {
  recorder.write({
    type: 'request',
    id: ex.id,
    time: new Date().toISOString(),
    method: ex.method,
    path: guard.maskText(ex.path),
    provider: ex.provider,
    endpoint: guard.maskText(ex.endpoint),
    model: ex.model === undefined ? undefined : guard.maskText(ex.model),
    stream: ex.stream,
    headers: maskHeaderValues(recordableHeaders(headers), guard.maskText),
    contentEncoding: encoding && guard.maskText(encoding.header),
    encodedBytes: encoding?.bytes,
    // A body that could not be decoded was never inspected: only its size is kept, never its bytes.
    body: encoding?.refused !== undefined ? { omitted: encoding.refused, bytes: encoding.bytes } : requestBody(recorder, guard, ex),
    ...transportOf(ex),
  });
}

/**
 * A request body for the session file: in parts when the guard scanned it so (a large JSON body: the blobs it
 * needs are written first, and later requests may continue its lists), else whole.
 */
function requestBody(recorder: Recorder, guard: Guard, ex: Exchange): RecordedBody | undefined {
  const scanned = guard.scanRequest(ex);
  if (scanned?.parts && recorder.parts && ex.body.length <= MAX_RECORDED_BYTES && !scanned.text.includes('\uFFFD')) {
    const body = recordParts(scanned.parts, recorder.parts, recorder);
    recorder.parts.remember(ex.id, ex.json as Record<string, unknown>, scanned.parts.itemFindings, scanned.text.length);
    return body;
  }
  return recordedBody(ex.body, ex.json !== undefined, guard.maskText, scanned);
}

/** `transport` and `connection` for the lines of a WebSocket exchange; nothing for HTTP. */
export function transportOf(ex: Exchange): { transport?: 'websocket'; connection?: number } {
  return ex.transport === 'websocket' ? { transport: 'websocket', connection: ex.connection } : {};
}

export function recordGuardrunAnswer(recorder: Recorder, ex: Exchange, error: ProxyError): void {
  recorder.write({
    type: 'response',
    id: ex.id,
    time: new Date().toISOString(),
    status: error.status,
    headers: {},
    durationMs: elapsed(ex),
    error: { code: error.code, message: error.message },
    source: 'guardrun',
    ...transportOf(ex),
  });
}

/** A body for the session file: JSON verbatim when it parsed (and still parses after masking), else text, else base64. */
export function recordedBody(body: Buffer, isJson: boolean, mask: (text: string) => string, scanned?: ScannedText): RecordedBody | undefined {
  if (body.length === 0) return undefined;
  if (body.length > MAX_RECORDED_BYTES) return { omitted: 'larger than the recording limit', bytes: body.length };
  const text = scanned?.text ?? body.toString('utf8');
  const utf8 = !text.includes('\uFFFD');
  if (isJson && utf8) {
    const masked = scanned?.masked ?? mask(text);
    if (masked === text) return { json: new RawJson(text) };
    try {
      JSON.parse(masked);
      return { json: new RawJson(masked) };
    } catch {
      return { json: maskDeep(JSON.parse(text), mask) }; // a match spanned JSON syntax: mask string by string
    }
  }
  if (utf8) return { text: mask(text) };
  if (body.length > MAX_BINARY_BYTES) return { omitted: 'binary body', bytes: body.length };
  return { base64: body.toString('base64') };
}

/** Masks every string (and key) of a parsed JSON value. */
export function maskDeep(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [mask(k), maskDeep(v, mask)]));
  }
  return value;
}

export function elapsed(ex: Exchange): number {
  return Math.round((performance.now() - ex.startedMs) * 100) / 100;
}
