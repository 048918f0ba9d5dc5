// Masks text that arrives in pieces (model output as SSE deltas), where a secret may be split across
// pieces. Only the tail that could still become (or extend) a secret is held back; everything before
// it is masked and released at once, and the concatenated output equals scanner.mask(whole text).

import { applyFindings, type Finding, type Scanner } from './scan.js';

export interface StreamMaskerOptions {
  /**
   * Longest tail ever held back, in characters (default 4096, for PEM private keys; token keys are
   * ~50–200). A would-be secret longer than this is released as found so far.
   */
  maxSecretLength?: number;
}

export interface StreamMasker {
  /** Adds a chunk; returns the masked text that can be released now (may be ''). */
  push(chunk: string): string;
  /**
   * Per-event use: the text delta of one event in, the masked text to put into that same event out.
   * Same contract as push: what is held back comes out with a later event or with flush().
   */
  pushEvent(text: string): string;
  /** End of stream: masks and returns everything still held. */
  flush(): string;
  /** Characters currently held back. */
  readonly heldLength: number;
}

/** Released text kept (unmasked, never output again) so lookbehinds and labels see their context. */
const CONTEXT = 64;
// A token-looking run, for detectors that do not say where their matches begin.
const TRAILING_RUN = /[A-Za-z0-9_\-+/=.]+$/;

export function createStreamMasker(scanner: Scanner, options: StreamMaskerOptions = {}): StreamMasker {
  const maxSecretLength = options.maxSecretLength ?? 4096;
  // Global copies, so a search can start at the window while lookbehinds still see the context.
  const tails = scanner.detectors.map((d) => {
    const tail = d.tail ?? TRAILING_RUN;
    return new RegExp(tail.source, tail.flags.replace(/[gy]/g, '') + 'g');
  });
  let context = '';
  let held = '';

  /** Earliest index in text from which a secret may still be under way (text.length when none). */
  function holdStart(text: string, base: number, findings: readonly Finding[]): number {
    const windowStart = Math.max(base, text.length - maxSecretLength);
    let hold = text.length;
    for (const tail of tails) {
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
    return Math.max(hold, base, text.length - maxSecretLength);
  }

  /** Masks text[base, cut); findings all start at or after base. */
  function render(text: string, base: number, cut: number, findings: readonly Finding[]): string {
    const inside: Finding[] = [];
    for (const f of findings) {
      if (f.start >= cut) break;
      inside.push({ detector: f.detector, start: f.start - base, end: Math.min(f.end, cut) - base });
    }
    return applyFindings(text.slice(base, cut), inside);
  }

  function release(text: string, base: number, cut: number, findings: readonly Finding[]): string {
    const out = render(text, base, cut, findings);
    context = text.slice(Math.max(0, cut - CONTEXT), cut);
    held = text.slice(cut);
    return out;
  }

  function push(chunk: string): string {
    if (chunk.length === 0) return '';
    const text = context + held + chunk;
    const base = context.length;
    const findings = scanner.find(text, base);
    return release(text, base, holdStart(text, base, findings), findings);
  }

  return {
    push,
    pushEvent: push,
    flush() {
      const text = context + held;
      const base = context.length;
      const out = held.length > 0 ? release(text, base, text.length, scanner.find(text, base)) : '';
      context = '';
      held = '';
      return out;
    },
    get heldLength() {
      return held.length;
    },
  };
}

export interface ChannelMaskers {
  /** The text delta of one event on one channel in, the masked text for that event out. */
  pushEvent(channel: string, text: string): string;
  flush(channel: string): string;
  /** Everything still held, per channel (non-empty only), for the stream's last events. */
  flushAll(): Array<[channel: string, text: string]>;
}

/**
 * One stream masker per channel (choice index, content block, tool-call arguments) of one response,
 * for proxies that rewrite each event's text delta in place.
 */
export function createChannelMaskers(scanner: Scanner, options: StreamMaskerOptions = {}): ChannelMaskers {
  const maskers = new Map<string, StreamMasker>();
  const get = (channel: string): StreamMasker => {
    let m = maskers.get(channel);
    if (!m) maskers.set(channel, (m = createStreamMasker(scanner, options)));
    return m;
  };
  return {
    pushEvent: (channel: string, text: string): string => get(channel).pushEvent(text),
    flush: (channel: string): string => maskers.get(channel)?.flush() ?? '',
    flushAll() {
      const out: Array<[string, string]> = [];
      for (const [channel, m] of maskers) {
        const text = m.flush();
        if (text) out.push([channel, text]);
      }
      return out;
    },
  };
}

