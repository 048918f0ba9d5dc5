// Masking for what is written down: JSON bodies (every string, and whole values under secret-named
// keys) and HTTP headers (credentials dropped outright).

import { isPlaceholderValue, SECRET_KEY_RE } from './detectors.js';
import { isOpaque, OPAQUE_FROM_CHARS } from './opaque.js';
import { applyFindings, redaction, type Finding, type Scanner } from './scan.js';

export interface JsonFinding extends Finding {
  /** JSON Pointer (RFC 6901) of the string the finding is in; offsets are within that string. */
  path: string;
  /** Set when the finding is in the member's key rather than its value. */
  key?: true;
}

const LABEL_DETECTOR = 'password-assignment';

const pointerPart = (key: string | number): string => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

// defineProperty, not assignment: a "__proto__" key from JSON.parse must stay a plain own property.
const setOwn = (o: object, key: string, value: unknown): void => {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
};

interface Task {
  value: unknown;
  path: string;
  /** Set when the value sits under a key like "password" / "api_key". */
  labelled: boolean;
  /** The member name the value sits under (for opaque `data` members). */
  key?: string;
  put: (masked: unknown) => void;
}

/**
 * Deep copy of a JSON value with every string masked. A string under a secret-named key is replaced
 * whole (unless it is a placeholder). Object keys are masked too. Iterative, so deep nesting is safe.
 */
export function maskJson(value: unknown, scanner: Scanner): { value: unknown; findings: JsonFinding[] } {
  const findings: JsonFinding[] = [];
  let result: unknown;
  const stack: Task[] = [{ value, path: '', labelled: false, put: (v) => (result = v) }];

  // Keys and short values repeat ("role", "user", "content"): scan each distinct one once per call.
  const memo = new Map<string, Finding[]>();
  const findIn = (s: string): Finding[] => {
    if (s.length > 64) return scanner.find(s);
    let found = memo.get(s);
    if (!found) memo.set(s, (found = scanner.find(s)));
    return found;
  };

  const maskString = (s: string, path: string, labelled: boolean, key?: true): string => {
    const found = findIn(s);
    if (labelled && !isPlaceholderValue(s)) {
      const whole = found.length === 1 && found[0].start === 0 && found[0].end === s.length;
      const detector = whole ? found[0].detector : LABEL_DETECTOR;
      findings.push({ detector, start: 0, end: s.length, path });
      return redaction(detector);
    }
    if (found.length === 0) return s;
    for (const f of found) findings.push(key ? { ...f, path, key } : { ...f, path });
    return applyFindings(s, found);
  };

  while (stack.length > 0) {
    const { value: v, path, labelled, put, key } = stack.pop()!;
    if (typeof v === 'string') {
      // Base64 media (opaque.ts) is binary, not text: kept as is, not scanned.
      put(v.length >= OPAQUE_FROM_CHARS && !labelled && isOpaque(v, key) ? v : maskString(v, path, labelled));
    } else if (Array.isArray(v)) {
      const out: unknown[] = new Array(v.length);
      put(out);
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ value: v[i], path: `${path}/${i}`, labelled, put: (m) => (out[i] = m) });
      }
    } else if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      put(out);
      const tasks: Task[] = [];
      for (const [key, child] of Object.entries(v)) {
        const childPath = `${path}/${pointerPart(key)}`;
        let outKey = maskString(key, childPath, false, true);
        while (outKey !== key && (Object.hasOwn(out, outKey) || Object.hasOwn(v, outKey))) outKey += '#';
        setOwn(out, outKey, undefined); // keeps the original key order
        tasks.push({ value: child, path: childPath, labelled: SECRET_KEY_RE.test(key), key, put: (m) => setOwn(out, outKey, m) });
      }
      for (let i = tasks.length - 1; i >= 0; i--) stack.push(tasks[i]);
    } else {
      put(v);
    }
  }
  return { value: result, findings };
}

/** Headers that carry credentials; their values are never recorded. */
export const CREDENTIAL_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
];

export type HeaderInput =
  | Record<string, string | readonly string[] | number | undefined>
  | Iterable<readonly [string, string]>;

/**
 * Lower-cased header names → values, with credential headers (plus `drop`) as `[REDACTED:credential]`
 * and, when a scanner is given, secrets inside other values masked. Arrays are joined with ", ".
 */
export function maskHeaders(
  headers: HeaderInput,
  options: { drop?: readonly string[]; scanner?: Scanner } = {},
): Record<string, string> {
  const drop = new Set([...CREDENTIAL_HEADERS, ...(options.drop ?? []).map((h) => h.toLowerCase())]);
  const entries: Iterable<readonly [string, unknown]> =
    Symbol.iterator in headers ? (headers as Iterable<readonly [string, string]>) : Object.entries(headers);
  const out = new Map<string, string>();
  for (const [rawName, rawValue] of entries) {
    if (rawValue === undefined) continue;
    const name = rawName.toLowerCase();
    const value = Array.isArray(rawValue) ? rawValue.join(', ') : String(rawValue);
    if (drop.has(name)) {
      out.set(name, redaction('credential'));
      continue;
    }
    const masked = options.scanner ? options.scanner.mask(value).text : value;
    const before = out.get(name);
    out.set(name, before === undefined ? masked : `${before}, ${masked}`);
  }
  return Object.fromEntries(out);
}
