// Reading format 2: request bodies recorded in parts (see parts-index.ts) are put back together, so every reader
// (show, --full, --json, --policy, a re-run's body matching) sees each request's whole body as the agent sent it
// (masked), exactly as a version-1 file recorded it. `blob` lines are consumed here.
import type { BlobRefs, RecordedItem, RecordedList } from './format.js';
import type { RawEvent } from './migrations.js';

type Json = Record<string, unknown>;

export interface PartsResolver {
  /** Takes in one event, in file order; returns a problem message when a request's parts cannot be found. */
  add(event: RawEvent): string | undefined;
}

export function createPartsResolver(): PartsResolver {
  const blobs = new Map<string, unknown>();
  // Each request's resolved list fields, by exchange id, for the requests that continue them.
  const lists = new Map<number, Map<string, unknown[]>>();
  return {
    add(event) {
      if (event.type === 'blob') {
        if (typeof event.id === 'string' && !blobs.has(event.id)) blobs.set(event.id, event.json);
        return undefined;
      }
      if (event.type !== 'request' || !isObject(event.body)) return undefined;
      const body = event.body as { json?: unknown; refs?: unknown; lists?: unknown };
      if (body.refs === undefined && body.lists === undefined) return undefined;
      const missing: string[] = [];
      const json = fill(body.json, body.refs, blobs, missing);
      const fields = new Map<string, unknown[]>();
      if (isObject(json) && isObject(body.lists)) {
        for (const [field, list] of Object.entries(body.lists as Record<string, RecordedList>)) {
          const items = resolveList(list, field, lists, blobs, missing);
          fields.set(field, items);
          Object.defineProperty(json, field, { value: items, writable: true, enumerable: true, configurable: true });
        }
      } else if (body.lists !== undefined) {
        missing.push('a template that is not an object');
      }
      if (missing.length > 0) {
        // Not registered: a request that continues this one cannot be put together either.
        event.body = { omitted: `parts missing: ${missing.slice(0, 3).join('; ')}`, bytes: 0 };
        return `request #${String(event.id)}: its body is made of parts this file does not have whole before it (${missing.slice(0, 3).join('; ')}); body left out`;
      }
      if (typeof event.id === 'number') lists.set(event.id, fields);
      event.body = { json };
      return undefined;
    },
  };
}

function resolveList(list: RecordedList, field: string, lists: Map<number, Map<string, unknown[]>>, blobs: Map<string, unknown>, missing: string[]): unknown[] {
  let base: unknown[] = [];
  if (list.from !== undefined) {
    const earlier = lists.get(list.from)?.get(field);
    if (earlier === undefined) missing.push(`the ${field} of request #${list.from}`);
    else base = list.take === undefined ? earlier.slice() : earlier.slice(0, list.take);
  }
  for (const item of list.items ?? []) base.push(fill((item as RecordedItem).json, (item as RecordedItem).refs, blobs, missing));
  return base;
}

/** Puts each referenced blob's string at its JSON pointer in `value` (a value parsed from the line: modified in place). */
function fill(value: unknown, refs: unknown, blobs: Map<string, unknown>, missing: string[]): unknown {
  if (!isObject(refs)) return value;
  let out = value;
  for (const [pointer, id] of Object.entries(refs as BlobRefs)) {
    if (typeof id !== 'string' || !blobs.has(id)) {
      missing.push(`blob ${String(id).slice(0, 12)}…`);
      continue;
    }
    if (pointer === '') {
      out = blobs.get(id);
      continue;
    }
    const parts = pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let at: unknown = out;
    for (const part of parts.slice(0, -1)) at = isContainer(at) ? (at as Json)[part] : undefined;
    const last = parts.at(-1)!;
    if (!isContainer(at) || !Object.hasOwn(at, last)) {
      missing.push(`a place ${pointer} for blob ${id.slice(0, 12)}…`);
      continue;
    }
    Object.defineProperty(at, last, { value: blobs.get(id), writable: true, enumerable: true, configurable: true });
  }
  return out;
}

function isContainer(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
