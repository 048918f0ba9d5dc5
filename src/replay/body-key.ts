// How a re-run request is matched to a recorded one: method, path and a hash of the body as the recorder
// would have written it (masked the same way), with JSON keys in canonical order.
import { createHash } from 'node:crypto';
import { recordedBody } from '../proxy/record-exchange.js';
import type { RecordedBody } from '../recording/format.js';
import { RawJson } from '../recording/raw-json.js';

/** JSON with object keys sorted at every level: equal values give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The parsed value of a recorded body, whichever way it was written (a RawJson holds its text). */
export function plainBody(body: RecordedBody | { json: RawJson } | undefined): RecordedBody | undefined {
  if (body && 'json' in body && body.json instanceof RawJson) return { json: JSON.parse(body.json.text) as unknown };
  return body as RecordedBody | undefined;
}

export function bodyKey(body: RecordedBody | undefined): string {
  let text: string;
  if (!body) text = 'none';
  else if ('json' in body) text = `json:${canonicalJson(body.json)}`;
  else if ('text' in body) text = `text:${body.text}`;
  else if ('base64' in body) text = `base64:${body.base64}`;
  else text = `omitted:${body.bytes}`;
  return createHash('sha256').update(text).digest('hex');
}

/** A body on its way upstream, as the recorder would write it: JSON when the content type says so and it parses. */
export function liveRecordedBody(body: Buffer | undefined, contentType: string, mask: (text: string) => string): RecordedBody | undefined {
  if (!body || body.length === 0) return undefined;
  // Multipart bodies are recorded by their parts' names and sizes: their boundary differs on every run anyway.
  if (contentType.toLowerCase().startsWith('multipart/')) return { omitted: 'multipart/form-data', bytes: body.length };
  let isJson = false;
  if (contentType.includes('json')) {
    try {
      JSON.parse(body.toString('utf8'));
      isJson = true;
    } catch {
      isJson = false;
    }
  }
  return plainBody(recordedBody(body, isJson, mask));
}

/** Where two JSON values first differ, as a JSON pointer with both sides (shortened), or undefined when equal. */
export function firstDifference(recorded: unknown, now: unknown, path = ''): { path: string; recorded: string; now: string } | undefined {
  if (canonicalJson(recorded) === canonicalJson(now)) return undefined;
  const bothArrays = Array.isArray(recorded) && Array.isArray(now);
  const bothObjects = isPlainObject(recorded) && isPlainObject(now);
  if (bothArrays || bothObjects) {
    const a = recorded as Record<string, unknown>;
    const b = now as Record<string, unknown>;
    const keys = bothArrays ? [...Array(Math.max((a as unknown as unknown[]).length, (b as unknown as unknown[]).length)).keys()].map(String) : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      if (d) return d;
    }
  }
  return { path: path || '/', recorded: shorten(recorded), now: shorten(now) };
}

function shorten(value: unknown): string {
  const text = value === undefined ? '(absent)' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
