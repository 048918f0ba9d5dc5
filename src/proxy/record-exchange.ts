// How an exchange becomes session events. Everything passes the guard's masker before it is written.
import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import { RECORD_LIMIT_BYTES, type RecordedBody } from '../recording/format.js';
import { recordParts } from '../recording/parts-index.js';
import { RawJson } from '../recording/raw-json.js';
import type { Recorder } from '../recording/recorder.js';
import type { ProxyError } from './error-response.js';
import { maskHeaders, recordableHeaders } from './headers.js';
import type { Exchange, Guard, ScannedText } from './types.js';
import { maskJsonText } from '../secrets/mask-json-text.js';
import { maskUrl } from './mask-url.js';

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
    path: maskUrl(ex.path, guard.maskText),
    provider: ex.provider,
    endpoint: maskUrl(ex.endpoint, guard.maskText),
    model: ex.model === undefined ? undefined : guard.maskText(ex.model),
    stream: ex.stream,
    headers: maskHeaders(recordableHeaders(headers), guard.maskText),
    contentEncoding: encoding && guard.maskText(encoding.header),
    encodedBytes: encoding?.bytes,
    // A body that could not be decoded was never inspected: only its size is kept, never its bytes.
    body: encoding?.refused !== undefined ? { omitted: encoding.refused, bytes: encoding.bytes } : safely(() => requestBody(ex, guard, recorder), ex.body.length),
    ...transportOf(ex),
    host: ex.host,
  });
}

/**
 * A request body for the record: multipart and binary bodies by their description and size only, never their
 * bytes; a large JSON body in parts when the guard scanned it so (the blobs it needs are written first, and later
 * requests may continue its lists); else whole.
 */
function requestBody(ex: Exchange, guard: Guard, recorder: Recorder): RecordedBody | undefined {
  if (ex.bodyKind === 'multipart') return { omitted: guard.maskText(ex.bodySummary ?? 'multipart/form-data'), bytes: ex.body.length };
  if (ex.bodyKind === 'binary') return { omitted: BINARY_OMITTED, bytes: ex.body.length };
  const scanned = guard.scanRequest(ex);
  if (scanned?.parts && recorder.parts && ex.body.length <= MAX_RECORDED_BYTES && !scanned.text.includes('\uFFFD')) {
    const body = recordParts(scanned.parts, recorder.parts, recorder);
    recorder.parts.remember(ex.id, ex.json as Record<string, unknown>, scanned.parts.itemFindings, scanned.text.length);
    return body;
  }
  return recordedBody(ex.body, ex.json !== undefined, guard.maskText, scanned);
}

const BINARY_OMITTED = 'binary body, not inspected';

/** The body as `record` gives it, or only its size if scanning it failed (the check then fails closed too). */
function safely(record: () => RecordedBody | undefined, bytes: number): RecordedBody | undefined {
  try {
    return record();
  } catch {
    return { omitted: 'could not be scanned', bytes };
  }
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

/**
 * A body for the session file: JSON verbatim when it parsed (and still parses after masking), else masked text
 * (JSON escapes decoded for the scan), else its size only; base64 only where `binaryRecorded` (answers, which are
 * checked for guardrun's keys before they are written), never for request bytes nobody inspected.
 */
export function recordedBody(body: Buffer, isJson: boolean, mask: (text: string) => string, scanned?: ScannedText, binaryRecorded = false): RecordedBody | undefined {
  if (body.length === 0) return undefined;
  if (body.length > MAX_RECORDED_BYTES) return { omitted: 'larger than the recording limit', bytes: body.length };
  const utf8 = isUtf8(body);
  const text = utf8 ? (scanned?.text ?? body.toString('utf8')) : '';
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
  if (utf8) {
    // Text may be JSON guardrun refused (malformed, repeated keys): its escaped strings are masked decoded.
    const masked = maskJsonText(scanned?.masked ?? text, mask);
    return masked === undefined ? { omitted: 'text whose escapes could hide a secret', bytes: body.length } : { text: masked };
  }
  if (!binaryRecorded || body.length > MAX_BINARY_BYTES) return { omitted: BINARY_OMITTED, bytes: body.length };
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
