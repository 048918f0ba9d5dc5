// Masks text that arrives in pieces (model output as SSE deltas), where a secret may be split across
// pieces. `ChannelText` is the core: it keeps the text of one channel that has not gone out yet and says
// how far it is settled (no secret can still be forming before that point); the caller releases settled
// text at boundaries of its own choosing (whole stream events, see proxy/response/event-masker.ts) and
// gets the findings to mask in it. `createStreamMasker` releases as much as is settled on every push.
// Either way the concatenated masked output equals scanner.mask(whole text).

import { applyFindings, type Finding, type Scanner } from './scan.js';

export interface StreamMaskerOptions {
  /**
   * Longest tail ever held back, in characters (default 4096, for PEM private keys; token keys are
   * ~50–200). A would-be secret longer than this is released as found so far.
   */
  maxSecretLength?: number;
}

/** Released text kept (unmasked, never output again) so lookbehinds and labels see their context. */
const CONTEXT = 64;
// A token-looking run, for detectors that do not say where their matches begin.
const TRAILING_RUN = /[A-Za-z0-9_\-+/=.]+$/;

/** A stretch of released text and the findings to mask in it (offsets within `text`). */
export interface Released {
  /** Channel offset of text[0]. */
  from: number;
  text: string;
  findings: Finding[];
}

/** The unreleased text of one channel, rescanned as it grows. Offsets are channel offsets (0 = its first character). */
export class ChannelText {
  private readonly maxSecretLength: number;
  private readonly tails: RegExp[];
  /** Channel offset of held[0]. */
  private base = 0;
  private context = '';
  private held = '';
  /** Findings in context + held, from context.length on. */
  private found: Finding[] = [];
  /** Index in context + held up to which the text is settled. */
  private cut = 0;
  private ended = false;

  constructor(
    private readonly scanner: Scanner,
    options: StreamMaskerOptions = {},
  ) {
    this.maxSecretLength = options.maxSecretLength ?? 4096;
    // Global copies, so a search can start at the window while lookbehinds still see the context.
    this.tails = scanner.detectors.map((d) => {
      const tail = d.tail ?? TRAILING_RUN;
      return new RegExp(tail.source, tail.flags.replace(/[gy]/g, '') + 'g');
    });
  }

  /** Channel offset just past the last character appended. */
  get length(): number {
    return this.base + this.held.length;
  }

  /** Channel offset up to which no secret can still be forming (everything, once ended). */
  get settled(): number {
    return this.base + this.cut - this.context.length;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Adds text. Throws once the channel has ended: text after its end could complete a secret already released. */
  append(text: string): void {
    if (this.ended) throw new Error('more text arrived on a channel after its end');
    if (text === '') return;
    this.held += text;
    this.scan();
  }

  /** No more text comes: all of it is settled (a secret at the very end is masked as it stands). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.scan();
  }

  /**
   * A finding that releasing up to channel offset `at` would cut in two (its label included), if any;
   * the caller must release less. Settled findings never change, so this is final for `at` ≤ settled.
   */
  straddling(at: number): { matchStart: number; end: number } | undefined {
    const rel = at - this.base + this.context.length;
    for (const f of this.found) {
      const from = f.matchStart ?? f.start;
      if (from >= rel) break;
      if (f.end > rel) return { matchStart: from - this.context.length + this.base, end: f.end - this.context.length + this.base };
    }
    return undefined;
  }

  /** Releases the text up to channel offset `at` (≤ settled, not inside a finding): it and its findings. */
  release(at: number): Released {
    const offset = this.context.length;
    const rel = at - this.base + offset;
    if (rel < offset || rel > this.cut) throw new Error(`release at ${at} outside the settled text`);
    const text = this.context + this.held;
    const inside: Finding[] = [];
    let kept = 0;
    for (const f of this.found) {
      if (f.start >= rel) break;
      inside.push({ detector: f.detector, start: f.start - offset, end: Math.min(f.end, rel) - offset });
      kept++;
    }
    const out: Released = { from: this.base, text: text.slice(offset, rel), findings: inside };
    // What follows `at` scans the same from the new context (no finding crosses `at`): shift, do not rescan.
    const context = text.slice(Math.max(0, rel - CONTEXT), rel);
    const shift = context.length - rel;
    this.found = this.found.slice(kept).map((f) => ({ ...f, start: f.start + shift, end: f.end + shift, ...(f.matchStart === undefined ? {} : { matchStart: f.matchStart + shift }) }));
    this.cut += shift;
    this.context = context;
    this.held = text.slice(rel);
    this.base = at;
    return out;
  }

  private scan(): void {
    const text = this.context + this.held;
    const base = this.context.length;
    this.found = this.scanner.find(text, base);
    this.cut = this.ended ? text.length : this.holdStart(text, base, this.found);
  }

  /** Earliest index in text from which a secret may still be under way (text.length when none). */
  private holdStart(text: string, base: number, findings: readonly Finding[]): number {
    const windowStart = Math.max(base, text.length - this.maxSecretLength);
    let hold = text.length;
    for (const tail of this.tails) {
      tail.lastIndex = windowStart;
      const m = tail.exec(text);
      if (m && m[0].length > 0) hold = Math.min(hold, m.index);
    }
    // A finding that reaches the end may still grow; one that straddles the cut must go out whole,
    // with its label, so that the next scan finds the same match again.
    // Moving the cut back to a label can put it inside an earlier finding: repeat until it settles.
    for (let moved = true; moved; ) {
      moved = false;
      for (const f of findings) {
        const from = f.matchStart ?? f.start;
        if (from < hold && (f.end > hold || (f.end === text.length && from >= windowStart))) {
          hold = from;
          moved = true;
        }
      }
    }
    // Never hold more than maxSecretLength: a label inside a long run must not grow the buffer forever.
    return Math.max(hold, base, text.length - this.maxSecretLength);
  }
}

/** Masks the stretch [start, end) of released text (offsets within it): kept text, a marker where a finding starts. */
export function renderRange(released: Released, start: number, end: number): string {
  let out = '';
  let at = start;
  for (const f of released.findings) {
    if (f.end <= start) continue;
    if (f.start >= end) break;
    if (f.start >= start) out += released.text.slice(at, f.start) + `[REDACTED:${f.detector}]`;
    at = Math.min(Math.max(at, f.end), end);
  }
  return out + released.text.slice(at, end);
}

/** True when a finding covers part of [start, end) of the released text. */
export function touched(released: Released, start: number, end: number): boolean {
  return released.findings.some((f) => f.start < end && f.end > start);
}

export interface StreamMasker {
  /** Adds a chunk; returns the masked text that can be released now (may be ''). */
  push(chunk: string): string;
  /** End of stream: masks and returns everything still held. */
  flush(): string;
  /** Characters currently held back. */
  readonly heldLength: number;
}

/** Releases as much as is settled on every push: text may come out with a later chunk than it went in with. */
export function createStreamMasker(scanner: Scanner, options: StreamMaskerOptions = {}): StreamMasker {
  let channel = new ChannelText(scanner, options);
  const take = (): string => {
    const out = channel.release(channel.settled);
    return applyFindings(out.text, out.findings);
  };
  return {
    push(chunk) {
      channel.append(chunk);
      return take();
    },
    flush() {
      channel.end();
      const out = take();
      channel = new ChannelText(scanner, options);
      return out;
    },
    get heldLength() {
      return channel.length - channel.settled;
    },
  };
}
