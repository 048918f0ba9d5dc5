// Checks a session file's hash chain and says where it breaks: an edited line (its hash does not match its
// content), removed lines (a gap in `seq`), reordered or duplicated lines (`seq` out of order), and requests
// made of parts that are missing or were changed (verify-refs.ts).
// It proves the file is the one guardrun wrote, unless someone rewrote every hash from the break on; see
// docs/security.md ("Tamper evidence").
import { chainHash, GENESIS_HASH, unsealLine } from './hash-chain.js';
import type { RawLine } from './reader.js';
import { verifyReferences } from './verify-refs.js';

/** `reference`: a request whose body is made of a part (a blob, an earlier request's list) that is missing or changed. */
export type ChainBreakKind = 'edited' | 'removed' | 'reordered' | 'duplicated' | 'unsealed' | 'reference';

export interface ChainBreak {
  kind: ChainBreakKind;
  /** The line where the break shows (for `removed`: the first line after the gap, or the last line + 1). */
  line: number;
  seq?: number;
  /** For `removed`: the seq numbers missing, as [first, last]. */
  missing?: [number, number];
  /** For `reordered` and `duplicated`: the line of the other copy or of the line it should follow. */
  relatedLine?: number;
  message: string;
}

export interface ChainReport {
  /** No break found in the lines checked. */
  ok: boolean;
  /** Lines checked. */
  lines: number;
  breaks: ChainBreak[];
  /** The last line's hash when the chain is intact: the value worth keeping elsewhere (or signing). */
  finalHash?: string;
  /** The last line checked is the closing session.end line: lines cut from the end would show. */
  closed: boolean;
}

interface Checked {
  line: number;
  seq: number | undefined;
  json: string | undefined;
  hash: string | undefined;
}

const SEQ_HEAD = /^\{"seq":(\d+),/;

/** `lines` are the complete lines of the file in order (a cut-off last line left out). */
export function verifyChain(lines: readonly RawLine[]): ChainReport {
  const checked: Checked[] = lines.map((l) => {
    const sealed = unsealLine(l.text);
    const m = SEQ_HEAD.exec(l.text);
    return { line: l.line, seq: m ? Number(m[1]) : undefined, json: sealed?.json, hash: sealed?.hash };
  });
  const breaks: ChainBreak[] = [];
  const bySeq = new Map<number, Checked>();
  const ordered: Checked[] = [];

  for (const c of checked) {
    if (c.hash === undefined || c.json === undefined || c.seq === undefined) {
      const what = c.hash === undefined ? 'has no hash field at its end' : 'does not start with its seq number';
      breaks.push({ kind: 'unsealed', line: c.line, seq: c.seq, message: `line ${c.line} ${what}: it was not written by guardrun as it is now` });
      continue;
    }
    const first = bySeq.get(c.seq);
    if (first) {
      breaks.push({ kind: 'duplicated', line: c.line, seq: c.seq, relatedLine: first.line, message: `line ${c.line} repeats seq ${c.seq} of line ${first.line}` });
      continue;
    }
    bySeq.set(c.seq, c);
    ordered.push(c);
  }

  // Each line must hash from its predecessor by seq: content edits show here, wherever the line now sits.
  const changed = new Set<number>(breaks.map((b) => b.line));
  for (const c of ordered) {
    const seq = c.seq!;
    const previous = seq === 1 ? GENESIS_HASH : bySeq.get(seq - 1)?.hash;
    if (previous === undefined) continue; // its predecessor is gone: reported as removed below
    if (chainHash(previous, c.json!) !== c.hash) {
      const before = seq === 1 ? '' : ` (or line ${bySeq.get(seq - 1)!.line}, seq ${seq - 1}, was edited and its hash recomputed)`;
      breaks.push({ kind: 'edited', line: c.line, seq, message: `line ${c.line} (seq ${seq}) does not match its hash: it was changed after it was written${before}` });
      changed.add(c.line);
    }
  }
  breaks.push(...verifyReferences(lines, changed));

  // Gaps in seq: removed lines.
  const seqs = ordered.map((c) => c.seq!).sort((a, b) => a - b);
  let expect = 1;
  for (const s of seqs) {
    if (s > expect) {
      const after = bySeq.get(s)!;
      const count = s - expect;
      breaks.push({
        kind: 'removed', line: after.line, seq: s, missing: [expect, s - 1],
        message: `${count === 1 ? `the line with seq ${expect} was` : `${count} lines (seq ${expect}–${s - 1}) were`} removed (the chain resumes at line ${after.line}, seq ${s})`,
      });
    }
    expect = s + 1;
  }

  // Order: the lines not on the longest run of increasing seq are the ones moved.
  const keep = longestIncreasing(ordered.map((c) => c.seq!));
  ordered.forEach((c, i) => {
    if (keep.has(i)) return;
    const previous = bySeq.get(c.seq! - 1);
    const where = previous ? `after line ${previous.line} (seq ${previous.seq})` : 'at the start';
    breaks.push({ kind: 'reordered', line: c.line, seq: c.seq, relatedLine: previous?.line, message: `line ${c.line} (seq ${c.seq}) is out of order: it was written ${where}` });
  });

  breaks.sort((a, b) => a.line - b.line || a.kind.localeCompare(b.kind));
  const last = checked.at(-1);
  const ok = breaks.length === 0;
  return {
    ok,
    lines: checked.length,
    breaks,
    finalHash: ok ? last?.hash : undefined,
    // The closing line, or the seal that follows it.
    closed: isType(last, 'session.end') || (isType(last, 'session.seal') && isType(checked.at(-2), 'session.end')),
  };
}

function isType(c: Checked | undefined, type: string): boolean {
  return c?.json !== undefined && c.json.startsWith(`{"seq":${c.seq},"type":"${type}"`);
}

/** Indexes of one longest strictly increasing subsequence (patience sorting, O(n log n)). */
function longestIncreasing(values: readonly number[]): Set<number> {
  const tails: number[] = []; // index of the smallest tail of each length
  const previous = new Array<number>(values.length).fill(-1);
  values.forEach((v, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tails[mid]] < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[i] = tails[lo - 1];
    tails[lo] = i;
  });
  const keep = new Set<number>();
  for (let i = tails.at(-1) ?? -1; i !== -1; i = previous[i]) keep.add(i);
  return keep;
}
