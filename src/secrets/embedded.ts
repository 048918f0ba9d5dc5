// Text carried inside a string in encoded form: `data:` URIs of text types (RFC 2397; base64 or percent-encoded)
// and bare base64 that decodes to text (Anthropic `document` blocks with `source.type: base64`, `text/plain`).
// An agent can send a `.env` that way; the detectors must see it decoded (issue 10).
import { isUtf8 } from 'node:buffer';
import { applyFindings, type Finding, type Scanner } from './scan.js';

const DATA_URI = /^data:([^,;]*)((?:;[^,;]*)*?)(;base64)?,/i;
const TEXT_TYPE = /^(?:text\/[\w.+-]+|application\/(?:json|ld\+json|x-ndjson|jsonl|xml|yaml|x-yaml|toml|javascript|x-sh|x-www-form-urlencoded))$/i;
// Checked with plain character classes only: a counted repetition over a multi-megabyte string overflows V8's
// regex backtrack stack (measured: /^[A-Za-z0-9+/]{16,}={0,2}$/ on 20 MB of "b").
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;
const PADDING_INSIDE = /=[^=]/;
// Control characters other than tab, newline and carriage return: decoded bytes with these are not text.
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
/** Largest encoded string decoded, in characters (a request body is at most 64 MiB anyway). */
const MAX_ENCODED = 64 * 1024 * 1024;

/** True for a media type whose content is text (a `data:` URI of it is decoded and scanned, not skipped as media). */
export function isTextMediaType(type: string): boolean {
  return TEXT_TYPE.test((type === '' ? 'text/plain' : type).trim());
}

export interface Embedded {
  /** Where the encoded payload starts in the string (after the `data:…,` prefix). */
  start: number;
  text: string;
}

/** The text inside `value` when it is a text `data:` URI or bare base64 of UTF-8 text; undefined otherwise. */
export function embeddedText(value: string): Embedded | undefined {
  if (value.length < 16 || value.length > MAX_ENCODED) return undefined;
  if (value.charCodeAt(0) === 100 /* d */ && value.startsWith('data:')) {
    const m = DATA_URI.exec(value.slice(0, 512));
    if (!m) return undefined;
    const type = m[1] === '' ? 'text/plain' : m[1]; // RFC 2397: the default media type is text/plain
    if (!TEXT_TYPE.test(type.trim())) return undefined;
    const payload = value.slice(m[0].length);
    const text = m[3] ? textOf(Buffer.from(payload, 'base64')) : percentDecoded(payload);
    return text === undefined ? undefined : { start: m[0].length, text };
  }
  if (NOT_BASE64.test(value) || PADDING_INSIDE.test(value) || value.endsWith('===')) return undefined;
  const text = textOf(Buffer.from(value, 'base64'));
  return text === undefined ? undefined : { start: 0, text };
}

function textOf(bytes: Buffer): string | undefined {
  if (bytes.length === 0 || !isUtf8(bytes)) return undefined;
  const text = bytes.toString('utf8');
  return CONTROL.test(text) ? undefined : text;
}

function percentDecoded(payload: string): string | undefined {
  try {
    return decodeURIComponent(payload);
  } catch {
    return undefined;
  }
}

/**
 * `scanner`, also finding secrets inside encoded text: a string whose decoded text holds a secret gets one
 * finding over its whole encoded payload (masking it replaces the payload; the detector is the first found).
 */
export function withEmbedded(scanner: Scanner): Scanner {
  const find = (text: string, from = 0): Finding[] => {
    const plain = scanner.find(text, from);
    const inner = from === 0 ? embeddedText(text) : undefined;
    if (!inner) return plain;
    const found = scanner.find(inner.text);
    if (found.length === 0) return plain;
    const whole: Finding = { detector: found[0].detector, start: inner.start, end: text.length };
    // The payload's span replaces any plain finding inside it; those before it (in the data: prefix) stay.
    return [...plain.filter((f) => f.end <= whole.start), whole];
  };
  return {
    detectors: scanner.detectors,
    find,
    mask(text) {
      const findings = find(text);
      return { text: applyFindings(text, findings), findings };
    },
  };
}
