// Finds and masks secrets in text. Runs on every request body, so: one pass finds which detectors'
// trigger literals occur at all, then only those detectors' (linear) regexes run. Overlapping
// matches merge, so no part of a secret is left showing.

import { BUILTIN_DETECTORS, escapeRegExp, type Detector } from './detectors.js';

export interface Finding {
  /** Detector id; an exact value's id wins any overlap it is part of. */
  detector: string;
  start: number;
  end: number;
  /** Where the whole match began, when only its `secret` group (not the label) is masked. */
  matchStart?: number;
}

export interface MaskResult {
  text: string;
  findings: Finding[];
}

export interface Scanner {
  readonly detectors: readonly Detector[];
  /**
   * Non-overlapping findings, sorted by start. With `from`, only matches starting at or after it:
   * the text before it is context that lookbehinds still see (the stream masker's released text).
   */
  find(text: string, from?: number): Finding[];
  /** The text with every finding replaced by `[REDACTED:<detector-id>]`. */
  mask(text: string): MaskResult;
}

export const redaction = (detector: string): string => `[REDACTED:${detector}]`;

/** Replaces sorted, non-overlapping findings in text with their redaction markers. */
export function applyFindings(text: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return text;
  let out = '';
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start) + redaction(f.detector);
    at = f.end;
  }
  return out + text.slice(at);
}

interface Compiled {
  id: string;
  regex: RegExp;
  hasSecretGroup: boolean;
  exact: boolean;
  index: number;
}

interface Candidate {
  start: number;
  end: number;
  matchStart: number;
  d: Compiled;
}

function compile(d: Detector, index: number): Compiled {
  const hasSecretGroup = d.regex.source.includes('(?<secret>');
  // Own copy: `g` for exec loops, `d` to locate the secret group; lastIndex never leaks between users.
  const flags = new Set([...d.regex.flags.replace('y', ''), 'g', ...(hasSecretGroup ? ['d'] : [])]);
  return { id: d.id, regex: new RegExp(d.regex.source, [...flags].join('')), hasSecretGroup, exact: !!d.exact, index };
}

function collect(c: Compiled, text: string, from: number, out: Candidate[]): void {
  const re = c.regex;
  re.lastIndex = from;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    let start = m.index;
    let end = start + m[0].length;
    if (c.hasSecretGroup) {
      const span = m.indices?.groups?.secret;
      if (!span) continue;
      [start, end] = span;
    }
    if (end > start) out.push({ start, end, matchStart: m.index, d: c });
  }
}

/** Merges overlapping candidates; a merged span is named after an exact value if any, else its first. */
function merge(candidates: Candidate[]): Finding[] {
  candidates.sort((a, b) => a.start - b.start || b.end - a.end || a.d.index - b.d.index);
  const findings: Finding[] = [];
  let cur: Candidate | undefined;
  const emit = (c: Candidate): void => {
    const f: Finding = { detector: c.d.id, start: c.start, end: c.end };
    if (c.matchStart < c.start) f.matchStart = c.matchStart;
    findings.push(f);
  };
  for (const c of candidates) {
    if (cur && c.start < cur.end) {
      cur.end = Math.max(cur.end, c.end);
      cur.matchStart = Math.min(cur.matchStart, c.matchStart);
      if (c.d.exact && !cur.d.exact) cur.d = c.d;
      continue;
    }
    if (cur) emit(cur);
    cur = { ...c };
  }
  if (cur) emit(cur);
  return findings;
}

/**
 * One regex over every detector's triggers (longest first), returning which detectors can match.
 * It steps one character past each hit so overlapping triggers are seen, and stops once all are seen.
 */
function triggerFilter(detectors: readonly Detector[]): ((text: string) => boolean[]) | undefined {
  const byLiteral = new Map<string, number[]>();
  detectors.forEach((d, i) => {
    for (const t of d.triggers ?? []) byLiteral.set(t, [...(byLiteral.get(t) ?? []), i]);
  });
  if (byLiteral.size === 0) return undefined;
  const literals = [...byLiteral.keys()].sort((a, b) => b.length - a.length);
  // A hit on a literal also means every shorter literal that is a prefix of it occurs there.
  const marks = new Map(
    literals.map((l) => [l, literals.filter((p) => l.startsWith(p)).flatMap((p) => byLiteral.get(p)!)]),
  );
  // One regex object per scanner: find() is synchronous, so lastIndex is never shared mid-use.
  const re = new RegExp(literals.map(escapeRegExp).join('|'), 'g');
  const untriggered = detectors.map((d) => !d.triggers?.length);
  const triggered = untriggered.filter((u) => !u).length;
  return (text) => {
    const present = untriggered.slice();
    let seen = 0;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null && seen < triggered; m = re.exec(text)) {
      for (const i of marks.get(m[0])!) {
        if (!present[i]) {
          present[i] = true;
          seen++;
        }
      }
      re.lastIndex = m.index + 1;
    }
    return present;
  };
}

export function createScanner(detectors: readonly Detector[] = BUILTIN_DETECTORS): Scanner {
  const compiled = detectors.map(compile);
  const filter = triggerFilter(detectors);
  const find = (text: string, from = 0): Finding[] => {
    if (text.length <= from) return [];
    const present = filter?.(text);
    const candidates: Candidate[] = [];
    for (let i = 0; i < compiled.length; i++) {
      if (!present || present[i]) collect(compiled[i], text, from, candidates);
    }
    return candidates.length === 0 ? [] : merge(candidates);
  };
  return {
    detectors,
    find,
    mask(text) {
      const findings = find(text);
      return { text: applyFindings(text, findings), findings };
    },
  };
}
