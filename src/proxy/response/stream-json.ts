// Masking of whole JSON texts (plain bodies, stream events that carry whole text) and rewriting an SSE
// event in place. The common case, nothing found, returns the very same string so callers send the
// original bytes; when something is masked, only the values that change are rewritten (json-edit.ts), so
// padding, key order, escapes and the other fields keep their bytes.
import { maskJson } from '../../secrets/mask.js';
import { applyFindings, type Scanner } from '../../secrets/scan.js';
import { applyTextEdits, editJson, pathKey, valueTextEdits, type JsonPath, type TextEdit, type ValueEdit } from './json-edit.js';
import { logprobSequenceEdits } from './logprobs.js';
import { sseField, sseLines, type SseEvent } from './sse.js';
import { isObj } from '../../json.js';

export { isObj };

export type Obj = Record<string, unknown>;

const BOM = '\uFEFF';

/** The text without a leading byte-order mark (UTF-8 decoders in the clients drop it: fetch's text(), TextDecoder). */
export function withoutBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

const looksLikeJson = (text: string): boolean => /^\s*[[{"]/.test(text);

/** The path a JSON Pointer (RFC 6901, as maskJson reports findings) names in `root`: array positions as numbers. */
function pointerPath(root: unknown, pointer: string): JsonPath {
  const path: Array<string | number> = [];
  let at: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      path.push(Number(part));
      at = at[Number(part)];
    } else {
      path.push(part);
      at = isObj(at) ? at[part] : undefined;
    }
  }
  return path;
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let at = root;
  for (const part of path) at = isObj(at) || Array.isArray(at) ? (at as Record<string | number, unknown>)[part] : undefined;
  return at;
}

/**
 * The edits that mask a parsed JSON value: each string on its own (maskJson: detectors, and whole values
 * under secret-named keys), and logprob token sequences as the text they spell. `skip` leaves out paths a
 * stream channel masks instead. Undefined when a secret sits in an object key (the value is then
 * re-serialised by the caller). `sequences: false` leaves logprob lists to the stream channels.
 */
export function jsonMaskEdits(value: unknown, scanner: Scanner, skip?: ReadonlySet<string>, sequences = true): ValueEdit[] | undefined {
  const masked = maskJson(value, scanner);
  const byPath = new Map<string, ValueEdit>();
  for (const f of masked.findings) {
    if (f.key) return undefined;
    const path = pointerPath(value, f.path);
    const key = pathKey(path);
    if (skip?.has(key) || byPath.has(key)) continue;
    byPath.set(key, { path, value: valueAt(masked.value, path) });
  }
  for (const edit of sequences ? logprobSequenceEdits(value, scanner) : []) {
    const key = pathKey(edit.path);
    if (!skip?.has(key)) byPath.set(key, edit);
  }
  for (const edit of nestedJsonEdits(value, scanner)) {
    const key = pathKey(edit.path);
    if (!skip?.has(key)) byPath.set(key, edit);
  }
  return outermost([...byPath.values()]);
}

/**
 * Strings that are JSON texts with escapes (tool-call arguments the client parses again, where `\u0073k-…`
 * becomes `sk-…`): each is parsed and masked as JSON; one that hides a secret is written back re-serialised.
 */
function nestedJsonEdits(value: unknown, scanner: Scanner): ValueEdit[] {
  const edits: ValueEdit[] = [];
  const stack: Array<{ v: unknown; path: JsonPath; depth: number }> = [{ v: value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (depth > 0 && v.includes('\\') && /^\s*[[{]/.test(v)) {
        let nested: unknown;
        try {
          nested = JSON.parse(v);
        } catch {
          continue;
        }
        const masked = maskJson(nested, scanner);
        if (masked.findings.length > 0) edits.push({ path, value: JSON.stringify(masked.value) });
      }
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ v: item, path: [...path, i], depth: depth + 1 }));
    } else if (isObj(v)) {
      for (const [key, child] of Object.entries(v)) stack.push({ v: child, path: [...path, key], depth: depth + 1 });
    }
  }
  return edits;
}

/** Drops edits inside the value of another edit (that one replaces them all). */
export function outermost(edits: ValueEdit[]): ValueEdit[] {
  const keys = new Set(edits.map((e) => pathKey(e.path)));
  return edits.filter((e) => !e.path.some((_, n) => n < e.path.length && keys.has(pathKey(e.path.slice(0, n)))));
}

/** A logprob list (`"logprobs": [` or `{`, legacy `"tokens": [`): its tokens are masked as the text they spell. */
const LOGPROB_LIST = /"(?:logprobs|tokens)"\s*:\s*[[{]/;

const findingEdits = (findings: ReturnType<Scanner['find']>): TextEdit[] => findings.map((f) => ({ start: f.start, end: f.end, text: `[REDACTED:${f.detector}]` }));

/**
 * What masking a text takes: edits at text offsets, or a whole replacement when a JSON text must be
 * re-serialised (a secret in an object key). A JSON text has each string masked where it stands (decoded,
 * so a secret written with `\n` or `\u…` escapes is still found) and logprob token sequences masked as the
 * text they spell; anything else is masked as plain text.
 */
export function maskTextEdits(text: string, scanner: Scanner): TextEdit[] | { replace: string } {
  const body = withoutBom(text);
  if (!text.includes('\\') && !LOGPROB_LIST.test(text)) {
    const findings = scanner.find(text);
    if (findings.length === 0) return [];
    if (!looksLikeJson(body)) return findingEdits(findings);
    try {
      JSON.parse(withoutBom(applyFindings(text, findings)));
      return findingEdits(findings);
    } catch {
      // a match crossed JSON syntax: mask string by string below
    }
  }
  if (!looksLikeJson(body)) return findingEdits(scanner.find(text));
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return findingEdits(scanner.find(text));
  }
  const edits = jsonMaskEdits(value, scanner);
  const inPlace = edits && valueTextEdits(body, edits);
  if (!inPlace) return { replace: JSON.stringify(maskJson(value, scanner).value) };
  const bom = text.length - body.length;
  return inPlace.map((e) => ({ start: e.start + bom, end: e.end + bom, text: e.text }));
}

/** Text with every secret masked (see maskTextEdits); the very same string when nothing was found. */
export function maskJsonText(text: string, scanner: Scanner): string {
  const edits = maskTextEdits(text, scanner);
  if ('replace' in edits) return edits.replace;
  return edits.length === 0 ? text : (applyTextEdits(text, edits) ?? scanner.mask(text).text);
}

/** Where each data line's value sits: data offsets mapped to raw offsets (undefined when they do not add up). */
function dataLines(e: SseEvent): Array<{ dataStart: number; rawStart: number; length: number }> | undefined {
  const out: Array<{ dataStart: number; rawStart: number; length: number }> = [];
  let data = '';
  for (const line of sseLines(e.raw)) {
    if (line.start === line.end) break;
    const field = sseField(e.raw, line);
    if (field?.name !== 'data') continue;
    const value = e.raw.slice(field.valueStart, line.end);
    if (out.length > 0) data += '\n';
    out.push({ dataStart: data.length, rawStart: field.valueStart, length: value.length });
    data += value;
  }
  return data === e.data ? out : undefined;
}

/** The raw event with edits made to its data (data offsets), every other byte kept; undefined when an edit spans lines. */
export function editEventData(e: SseEvent, edits: readonly TextEdit[]): string | undefined {
  const lines = dataLines(e);
  if (!lines) return undefined;
  const raw: TextEdit[] = [];
  for (const edit of edits) {
    const line = lines.find((l) => l.dataStart <= edit.start && edit.end <= l.dataStart + l.length);
    if (!line) return undefined;
    raw.push({ start: line.rawStart + edit.start - line.dataStart, end: line.rawStart + edit.end - line.dataStart, text: edit.text });
  }
  raw.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const r of raw) {
    if (r.start < at) return undefined;
    out += e.raw.slice(at, r.start) + r.text;
    at = r.end;
  }
  return out + e.raw.slice(at);
}

/** The event with its data replaced, as raw SSE text: other lines (event, id, comments) and line ends kept. */
export function withData(e: SseEvent, data: string): string {
  const lines = sseLines(e.raw);
  let out = e.raw.startsWith(BOM) ? BOM : '';
  let put = false;
  let ending = '\n';
  const dataText = (end: string): string => `data: ${data.split(/\r\n|\r|\n/).join(`${end}data: `)}${end}`;
  for (const line of lines) {
    const end = e.raw.slice(line.end, line.next) || '\n';
    if (line.start === line.end) {
      ending = end;
      break;
    }
    if (sseField(e.raw, line)?.name === 'data') {
      if (!put) out += dataText(end);
      put = true;
    } else {
      out += e.raw.slice(line.start, line.end) + end;
    }
  }
  if (!put) out += dataText('\n');
  return out + ending;
}

/**
 * The event with values of its JSON data replaced: in place when possible (only those values' bytes
 * change), else the data re-serialised. Throws when the data cannot take the edits.
 */
export function editEvent(e: SseEvent, edits: readonly ValueEdit[]): string {
  const kept = outermost([...edits]);
  const inPlace = valueTextEdits(e.data, kept);
  const raw = inPlace && editEventData(e, inPlace);
  if (raw !== undefined) return raw;
  const data = editJson(e.data, kept);
  if (data === undefined) throw new Error('guardrun could not rewrite a stream event it had to mask');
  return withData(e, data);
}

/** An event that carries whole text (not a delta): masked as a unit; the raw text when nothing was found. */
export function maskWholeEvent(e: SseEvent, scanner: Scanner): string {
  if (e.data === '') return e.raw;
  const edits = maskTextEdits(e.data, scanner);
  if ('replace' in edits) return withData(e, edits.replace);
  if (edits.length === 0) return e.raw;
  return editEventData(e, edits) ?? withData(e, applyTextEdits(e.data, edits) ?? scanner.mask(e.data).text);
}

/** Parsed JSON data of an event, or undefined when it is not a JSON object. */
export function parseData(e: SseEvent): Obj | undefined {
  try {
    const value: unknown = JSON.parse(e.data);
    return isObj(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

