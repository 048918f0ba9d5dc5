// What a request body is, decided once, before any check or record: JSON, text, a form, multipart parts, or
// bytes guardrun cannot read. Every kind the APIs use is read so that what is checked is what leaves
// (issue 10: a secret in a multipart `.env` upload or a form reached the upstream unseen).
import { isUtf8 } from 'node:buffer';
import type { ProxyError } from '../error-response.js';
import { jsonShape, MAX_JSON_DEPTH } from '../duplicate-keys.js';
import { readMultipart } from './multipart.js';
import { printable, type BodyPart } from './parts.js';

export type { BodyPart } from './parts.js';

export type BodyKind = 'none' | 'json' | 'text' | 'form' | 'multipart' | 'binary';

export interface ReadBody {
  kind: BodyKind;
  /** The body as UTF-8 text (json, text, form). */
  text?: string;
  json?: unknown;
  /** Form fields, multipart fields and text files. */
  parts?: BodyPart[];
  /** What guardrun could not read: a binary body, binary multipart files. */
  uninspected?: string[];
  /** A multipart body: each part's name, filename, type and size, for the record (never its bytes). */
  summary?: string;
}

/** A body refused before any check: the answer, and how to record the body (as masked text, or its size only). */
export interface BodyRefusal {
  error: ProxyError;
  /** The text, when it is UTF-8 and can be recorded masked literal by literal; else only the size is recorded. */
  text?: string;
}

/**
 * Reads `body` as its `Content-Type` says, and sniffs what it does not say: a body that parses as a JSON object
 * or array is JSON whatever its label (an upstream may parse it anyway). Refuses (400) what would be read
 * differently by guardrun and an upstream: JSON that does not parse, is not UTF-8 (RFC 8259 §8.1), repeats a key
 * or nests past MAX_JSON_DEPTH, and multipart data that does not parse.
 */
export async function readBody(body: Buffer, contentType: string): Promise<ReadBody | { refused: BodyRefusal }> {
  if (body.length === 0) return { kind: 'none' };
  const type = contentType.split(';', 1)[0].trim().toLowerCase();
  const utf8 = isUtf8(body);
  const labelledJson = type.includes('json');
  if (type === 'multipart/form-data') {
    const parts = await readMultipart(body, contentType);
    if ('error' in parts) return { refused: { error: refusal('guardrun_body_malformed', `guardrun could not read this multipart/form-data body (${parts.error}), so it was not sent`) } };
    return { kind: 'multipart', parts: parts.parts, uninspected: parts.uninspected, summary: parts.summary };
  }
  if (!utf8) {
    if (labelledJson) return { refused: { error: refusal('guardrun_body_not_utf8', 'guardrun refuses a JSON body that is not valid UTF-8 (RFC 8259 §8.1); its checks and the upstream could read different text') } };
    return { kind: 'binary', uninspected: [`a ${type || 'binary'} body of ${body.length} bytes`] };
  }
  const text = body.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') return { kind: 'form', text, parts: formParts(text) };
  if (labelledJson || looksLikeJson(text)) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (labelledJson) return { refused: { error: refusal('guardrun_malformed_json', 'guardrun refuses a body labelled JSON that does not parse as JSON'), text } };
      return { kind: 'text', text };
    }
    const shape = jsonShape(text, json);
    if (shape.tooDeep) return { refused: { error: refusal('guardrun_json_too_deep', `guardrun refuses a JSON body nested more than ${MAX_JSON_DEPTH} levels deep`), text } };
    if (shape.duplicateKeys) return { refused: { error: refusal('guardrun_duplicate_json_keys', 'guardrun refuses a JSON body that repeats a key: its checks and the upstream could read different values'), text } };
    return { kind: 'json', text, json };
  }
  return { kind: 'text', text };
}

function looksLikeJson(text: string): boolean {
  const first = /\S/.exec(text.length > 64 ? text.slice(0, 64) : text)?.[0];
  return first === '{' || first === '[';
}

/** `a=1&b=2` as parts, names and values percent-decoded (`+` as space), as URLSearchParams reads them. */
export function formParts(text: string): BodyPart[] {
  const parts: BodyPart[] = [];
  for (const [name, value] of new URLSearchParams(text)) parts.push({ where: `form field "${printable(name)}"`, name, text: `${name}=${value}` });
  return parts;
}

function refusal(code: string, message: string): ProxyError {
  return { status: 400, code, message };
}
