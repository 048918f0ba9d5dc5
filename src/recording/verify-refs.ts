// The hash chain covers every line, blobs included; this check adds what a chain of lines cannot say on its own:
// that each part a request's body is made of (a blob, the list of an earlier request) is in the file before it
// and unchanged. A blob is unchanged when the sha256 of its JSON text is its id and its line is intact; a request
// is intact when its line and everything it refers to are. So an edit to one shared part shows at every exchange
// that uses it, not only at the line that was edited.
import { createHash } from 'node:crypto';
import type { ChainBreak } from './verify-chain.js';
import type { RawLine } from './reader.js';

const BLOB_HEAD = /^\{"seq":\d+,"type":"blob","id":"([0-9a-f]{64})","json":/;
const HASH_TAIL = /,"hash":"[0-9a-f]{64}"\}$/;
const REQUEST_HEAD = /^\{"seq":\d+,"type":"request","id":(\d+),/;

interface Part {
  line: number;
  intact: boolean;
}

/**
 * Breaks for the requests whose parts are missing, come after them, or were changed. `changed` holds the lines
 * the chain check found edited (their own hash does not match).
 */
export function verifyReferences(lines: readonly RawLine[], changed: ReadonlySet<number>): ChainBreak[] {
  const blobs = new Map<string, Part>();
  const requests = new Map<number, Part>();
  const breaks: ChainBreak[] = [];
  for (const l of lines) {
    const blob = BLOB_HEAD.exec(l.text);
    if (blob) {
      const tail = HASH_TAIL.exec(l.text);
      const text = tail ? l.text.slice(blob[0].length, tail.index) : '';
      const intact = tail !== null && !changed.has(l.line) && createHash('sha256').update(text).digest('hex') === blob[1];
      const before = blobs.get(blob[1]);
      if (!before || (!before.intact && intact)) blobs.set(blob[1], { line: l.line, intact });
      continue;
    }
    const request = REQUEST_HEAD.exec(l.text);
    if (!request) continue;
    const id = Number(request[1]);
    const refs = l.text.includes('"refs":{') || l.text.includes('"lists":{') ? referencesOf(l.text) : undefined;
    let intact = !changed.has(l.line);
    const problems: string[] = [];
    for (const blobId of refs?.blobs ?? []) {
      const b = blobs.get(blobId);
      if (!b) problems.push(`blob ${blobId.slice(0, 12)}…, which is not in the file before it`);
      else if (!b.intact) problems.push(`blob ${blobId.slice(0, 12)}… (line ${b.line}), which was changed after it was written`);
    }
    for (const from of refs?.from ?? []) {
      const r = requests.get(from);
      if (!r) problems.push(`the conversation of request #${from}, which is not in the file before it`);
      else if (!r.intact) problems.push(`the conversation of request #${from} (line ${r.line}), whose record is broken`);
    }
    if (refs?.unreadable) problems.push('parts it names in a form guardrun cannot read');
    if (problems.length > 0) {
      intact = false;
      breaks.push({ kind: 'reference', line: l.line, message: `line ${l.line} (request #${id}) is made of ${problems.slice(0, 3).join('; ')}` });
    }
    requests.set(id, { line: l.line, intact });
  }
  return breaks;
}

/** The blob ids and earlier requests a request line's body is made of. */
function referencesOf(text: string): { blobs: string[]; from: number[]; unreadable?: boolean } {
  let event: { body?: { refs?: unknown; lists?: unknown } };
  try {
    event = JSON.parse(text) as typeof event;
  } catch {
    return { blobs: [], from: [], unreadable: true };
  }
  const blobs = new Set<string>();
  const from = new Set<number>();
  const addRefs = (refs: unknown): void => {
    if (typeof refs === 'object' && refs !== null) for (const id of Object.values(refs)) blobs.add(String(id));
  };
  addRefs(event.body?.refs);
  const lists = event.body?.lists;
  if (typeof lists === 'object' && lists !== null) {
    for (const list of Object.values(lists) as Array<{ from?: unknown; items?: unknown }>) {
      if (typeof list?.from === 'number') from.add(list.from);
      if (Array.isArray(list?.items)) for (const item of list.items as Array<{ refs?: unknown }>) addRefs(item?.refs);
    }
  }
  return { blobs: [...blobs], from: [...from] };
}
