// Recording a large JSON request body in parts (format 2), so a session file grows with what is new:
// - each top-level conversation array (`messages`, `input`, `tools`, `functions`, `system`) is recorded as the
//   longest prefix of the same field of a recent request (`from`, `take`) plus the items that follow;
// - each long string (a message's text, a tool output, base64 media) goes into a `blob` line once, named by the
//   sha256 of its JSON text, and every item that holds it refers to that id.
// An agent re-sends its whole conversation every turn: turn k is then recorded as "turn k-1's messages plus these
// two", not as the k-1 messages again. The index also tells the guard which items it has already scanned.
import { hash } from 'node:crypto';
import { Lru } from '../cost/lru.js';
import type { BlobRefs, RecordedBody, RecordedItem, RecordedList } from './format.js';
import { RawJson } from './raw-json.js';
import type { Recorder } from './recorder.js';
import { sameJson } from './same-json.js';

/** Top-level members recorded as lists: the conversation and the tool list of Chat, Responses and Messages bodies. */
export const LIST_FIELDS: readonly string[] = ['messages', 'input', 'tools', 'functions', 'system'];
/** Bodies below this many characters are recorded whole: parts would cost more than they save. */
export const SPLIT_FROM_CHARS = 4096;
/** Strings this long or longer are stored as blobs. */
export const BLOB_FROM_CHARS = 1024;
/** Recent requests whose lists a new request is compared with (concurrent conversations, sub-agents). */
const RECENT_REQUESTS = 8;
/** Total characters of request bodies kept for comparison, and of blob strings remembered. */
const MAX_REMEMBERED_CHARS = 32 * 1024 * 1024;
const MAX_BLOB_KEY_CHARS = 64 * 1024 * 1024;
// Deeper than this, long strings stay inline (tool schemas nest a little; nothing a conversation needs nests more).
const MAX_DEPTH = 32;

/** The detector ids found in one item (empty for a clean one). */
export type Detectors = readonly string[];

/** How a list field of a new body continues a recorded one. */
export interface ListMatch {
  field: string;
  /** The earlier request whose field it continues; absent when nothing matched. */
  from?: number;
  /** Items taken from it (0 when nothing matched). */
  take: number;
  /** The length of that request's field (so `take` can be left out when it is all of it). */
  fromLength: number;
  /** What the taken items held, as scanned when they were first recorded. */
  known: Detectors[];
  /** The earlier request's items (the first `take` equal this body's). */
  earlier: readonly unknown[];
}

/** A body scanned for recording in parts: its template and new items already masked. */
export interface ScannedParts {
  matches: ListMatch[];
  /** The body, masked, with each matched list field set to null. */
  template: Record<string, unknown>;
  /** Per list field: its items after `take`, masked. */
  newItems: Map<string, unknown[]>;
  /** Per list field: every item's detectors (known and new), for later requests. */
  itemFindings: Map<string, Detectors[]>;
}

interface Remembered {
  id: number;
  body: Record<string, unknown>;
  findings: Map<string, Detectors[]>;
  chars: number;
}

export interface PartsIndex {
  /** For each list field of `body`: the longest prefix of the same field among recent recorded requests. */
  match(body: Record<string, unknown>): ListMatch[];
  /** Request `id` was recorded in parts from `body` (kept by reference; never modified). */
  remember(id: number, body: Record<string, unknown>, findings: Map<string, Detectors[]>, chars: number): void;
  /** The id of the blob holding `s`, writing its line first if this file has none yet. */
  blob(s: string, recorder: Pick<Recorder, 'write'>): string;
}

/** True when a body is worth recording in parts: a JSON object with a list field, large enough. */
export function splittable(json: unknown, chars: number): json is Record<string, unknown> {
  if (chars < SPLIT_FROM_CHARS || typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  return LIST_FIELDS.some((f) => Array.isArray((json as Record<string, unknown>)[f]));
}

export function createPartsIndex(): PartsIndex {
  const recent: Remembered[] = [];
  const blobs = new Lru<string>(100_000, MAX_BLOB_KEY_CHARS);
  return {
    match(body) {
      const out: ListMatch[] = [];
      for (const field of LIST_FIELDS) {
        const items = body[field];
        if (!Array.isArray(items)) continue;
        let best: ListMatch = { field, take: 0, fromLength: 0, known: [], earlier: [] };
        for (let r = recent.length - 1; r >= 0; r--) {
          const old = recent[r].body[field];
          if (!Array.isArray(old) || Math.min(old.length, items.length) <= best.take) continue;
          let take = 0;
          while (take < old.length && take < items.length && sameJson(old[take], items[take])) take++;
          if (take > best.take) best = { field, from: recent[r].id, take, fromLength: old.length, known: recent[r].findings.get(field)?.slice(0, take) ?? [], earlier: old };
        }
        out.push(best);
      }
      return out;
    },
    remember(id, body, findings, chars) {
      if (chars > MAX_REMEMBERED_CHARS) return;
      recent.push({ id, body, findings, chars });
      let total = recent.reduce((n, r) => n + r.chars, 0);
      while (recent.length > RECENT_REQUESTS || total > MAX_REMEMBERED_CHARS) total -= recent.shift()!.chars;
    },
    blob(s, recorder) {
      let id = blobs.get(s);
      if (id !== undefined) return id;
      const text = JSON.stringify(s);
      id = hash('sha256', text, 'hex');
      recorder.write({ type: 'blob', id, json: new RawJson(text) });
      blobs.set(s, id);
      return id;
    },
  };
}

/**
 * The recorded form of a body scanned in parts: its template and new items with long strings taken out into
 * blobs (written to `recorder` before the caller writes the request line that names them).
 */
export function recordParts(parts: ScannedParts, index: PartsIndex, recorder: Pick<Recorder, 'write'>): RecordedBody {
  const blob = (s: string): string => index.blob(s, recorder);
  const top = takeLongStrings(parts.template, blob);
  const lists: Record<string, RecordedList> = {};
  for (const m of parts.matches) {
    const list: RecordedList = {};
    if (m.from !== undefined && m.take > 0) {
      list.from = m.from;
      if (m.take !== m.fromLength) list.take = m.take;
    }
    const items = parts.newItems.get(m.field) ?? [];
    if (items.length > 0) list.items = items.map((item) => takeLongStrings(item, blob));
    lists[m.field] = list;
  }
  return { json: top.json, ...(top.refs ? { refs: top.refs } : {}), lists };
}

/** `value` with every string of BLOB_FROM_CHARS or more replaced by null, and where each went (JSON pointer → blob id). */
export function takeLongStrings(value: unknown, blob: (s: string) => string): RecordedItem {
  const refs: BlobRefs = {};
  const json = walk(value, '', 0, refs, blob);
  return Object.keys(refs).length > 0 ? { json, refs } : { json };
}

function walk(value: unknown, path: string, depth: number, refs: BlobRefs, blob: (s: string) => string): unknown {
  if (typeof value === 'string') {
    if (value.length < BLOB_FROM_CHARS) return value;
    refs[path] = blob(value);
    return null;
  }
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = walk(value[i], `${path}/${i}`, depth + 1, refs, blob);
      if (v !== value[i]) (copy ??= value.slice())[i] = v;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const old = (value as Record<string, unknown>)[key];
    const v = walk(old, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1, refs, blob);
    if (v !== old) {
      copy ??= { ...(value as Record<string, unknown>) };
      // defineProperty: a "__proto__" member from JSON.parse must stay an own property.
      Object.defineProperty(copy, key, { value: v, writable: true, enumerable: true, configurable: true });
    }
  }
  return copy ?? value;
}
