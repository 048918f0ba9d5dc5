// The gate for text guardrun prints on a terminal: secrets masked, control characters made visible.
// An agent controls model names, paths and reasons; an upstream controls error texts. Printed raw, a value
// with ESC sequences can clear the screen, fake a line, retitle the window or write the clipboard (OSC 52).
import { BUILTIN_DETECTORS, compileDetectors } from './detectors.js';
import { createScanner, type Scanner } from './scan.js';

let builtins: Scanner | undefined;
let shaped: Scanner | undefined;

/** Masks what the built-in detectors recognise (provider keys, tokens, private keys, …, and labelled values like `password: …`). */
export function maskKeyLike(text: string): string {
  builtins ??= createScanner(compileDetectors({ exact: [], patterns: [], builtins: BUILTIN_DETECTORS }));
  return builtins.mask(text).text;
}

/**
 * Masks key-shaped values only (every built-in detector but the label one, `password-assignment`): for text
 * guardrun composed itself with its quoted values already masked (`GuardrunError.masked`), where a label such as a
 * policy key path `secrets.outbound:` is guardrun's own word, not an assignment.
 */
export function maskKeyShaped(text: string): string {
  shaped ??= createScanner(compileDetectors({ exact: [], patterns: [], builtins: BUILTIN_DETECTORS.filter((d) => d.id !== 'password-assignment') }));
  return shaped.mask(text).text;
}

// C0 and C1 controls, DEL, the Unicode line/paragraph separators, and the bidi marks and overrides that can
// reorder or hide what is shown.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes agent- or model-controlled text safe to print on a terminal: control characters (escape sequences
 * could move the cursor, recolour or retitle the terminal) and bidi overrides become visible `\xNN` /
 * `\u{NNNN}` escapes; tabs become two spaces; newlines become spaces unless `keepNewlines`.
 */
export function sanitizeForTerminal(text: string, keepNewlines = false): string {
  return text
    .replace(/\r\n/g, '\n')
    .replace(/\t/g, '  ')
    .replace(UNSAFE, (ch) => {
      if (ch === '\n') return keepNewlines ? ch : ' ';
      const code = ch.codePointAt(0)!;
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
    });
}

/**
 * Text fit for the terminal: `mask` (a session's scanner, which also knows the held keys and the dummy key;
 * default the built-in detectors) masks secrets first, then control characters are made visible. Newlines
 * are kept (messages may span lines).
 */
export function terminalSafe(text: string, mask: (text: string) => string = maskKeyLike): string {
  return sanitizeForTerminal(mask(text), true);
}

/** An error's message and fix through the gate: `masked` errors (values masked where they were built) by key shape only. */
export function terminalSafeError(e: { message: string; fix?: string; masked?: boolean }): { message: string; fix: string | undefined } {
  const mask = e.masked ? maskKeyShaped : maskKeyLike;
  return { message: terminalSafe(e.message, mask), fix: e.fix === undefined ? undefined : terminalSafe(e.fix, mask) };
}
