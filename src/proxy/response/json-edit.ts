// Edits values inside a JSON text in place: the value at a path is replaced by its new JSON, and every
// other byte (spacing and padding, key order, escapes, the other fields) stays as it was. This is how
// guardrun rewrites only the field it masked in an event the agent receives.

/** A path into a JSON value: object keys and array indexes, from the root. */
export type JsonPath = ReadonlyArray<string | number>;

/** Replace the value at `path` with `value` (JSON-encoded on the way in). */
export interface ValueEdit {
  path: JsonPath;
  value: unknown;
}

/** Replace text[start, end) with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export const pathKey = (path: JsonPath): string => JSON.stringify(path);

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

/** End (exclusive) of the string token starting at text[i] === '"'; -1 if unterminated. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92) j++; // backslash: skip the escaped character
    else if (c === 34) return j + 1;
  }
  return -1;
}

function keyOf(token: string): string {
  return token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
}

/**
 * Where the values at `paths` sit in a JSON text: [start, end) of each, or undefined when the path is not
 * there (or the text is not one JSON value). With repeated keys the last one counts, as JSON.parse does.
 * Iterative, so nesting depth costs no stack.
 */
export function locateValues(text: string, paths: readonly JsonPath[]): Array<[number, number] | undefined> {
  const spans: Array<[number, number] | undefined> = paths.map(() => undefined);
  const none = paths.map(() => undefined);
  const wanted = new Map<string, number[]>();
  let deepest = 0;
  paths.forEach((p, k) => {
    const key = pathKey(p);
    wanted.set(key, [...(wanted.get(key) ?? []), k]);
    deepest = Math.max(deepest, p.length);
  });
  const path: Array<string | number> = [];
  const record = (start: number, end: number): void => {
    if (path.length > deepest) return;
    const hits = wanted.get(pathKey(path));
    if (hits) for (const k of hits) spans[k] = [start, end];
  };
  const frames: Array<{ array: boolean; start: number; count: number }> = [];
  const n = text.length;
  let i = 0;
  const ws = (): void => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };
  /** Reads `"key" :` at i; false when it is not there. */
  const readKey = (): boolean => {
    ws();
    if (text.charCodeAt(i) !== 34) return false;
    const end = stringEnd(text, i);
    if (end === -1) return false;
    path.push(keyOf(text.slice(i, end)));
    i = end;
    ws();
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    return true;
  };

  for (;;) {
    // A value starts here.
    ws();
    const start = i;
    const c = text.charCodeAt(i);
    if (c === 123 || c === 91) {
      i++;
      ws();
      if (text.charCodeAt(i) === (c === 123 ? 125 : 93)) {
        i++;
        record(start, i);
      } else {
        frames.push({ array: c === 91, start, count: 0 });
        if (c === 91) path.push(0);
        else if (!readKey()) return none;
        continue;
      }
    } else if (c === 34) {
      const end = stringEnd(text, i);
      if (end === -1) return none;
      i = end;
      record(start, i);
    } else {
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 44 || d === 125 || d === 93 || isSpace(d)) break;
        i++;
      }
      if (i === start) return none;
      record(start, i);
    }
    // After a value: a separator, or the end of one or more containers.
    let next = false;
    while (!next) {
      ws();
      const frame = frames.at(-1);
      if (!frame) return i === n ? spans : none;
      const d = text.charCodeAt(i);
      if (d === 44) {
        i++;
        if (frame.array) path[path.length - 1] = ++frame.count;
        else {
          path.pop();
          if (!readKey()) return none;
        }
        next = true;
      } else if (d === (frame.array ? 93 : 125)) {
        i++;
        frames.pop();
        path.pop();
        record(frame.start, i);
      } else {
        return none;
      }
    }
  }
}

/** The edits as text edits of `text`; undefined when a path is not found. */
export function valueTextEdits(text: string, edits: readonly ValueEdit[]): TextEdit[] | undefined {
  const spans = locateValues(
    text,
    edits.map((e) => e.path),
  );
  const out: TextEdit[] = [];
  for (let k = 0; k < edits.length; k++) {
    const span = spans[k];
    if (!span) return undefined;
    out.push({ start: span[0], end: span[1], text: JSON.stringify(edits[k].value) });
  }
  return out;
}

/** Applies non-overlapping text edits (any order); undefined when two overlap. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string | undefined {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) return undefined;
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/** Sets the value at each path of a parsed JSON value (a copy is not made: pass one you own). */
export function setValues(root: unknown, edits: readonly ValueEdit[]): boolean {
  for (const edit of edits) {
    if (edit.path.length === 0) return false;
    let holder: unknown = root;
    for (const part of edit.path.slice(0, -1)) {
      if (typeof holder !== 'object' || holder === null) return false;
      holder = (holder as Record<string | number, unknown>)[part];
    }
    if (typeof holder !== 'object' || holder === null) return false;
    Object.defineProperty(holder, edit.path[edit.path.length - 1], { value: edit.value, writable: true, enumerable: true, configurable: true });
  }
  return true;
}

/**
 * The JSON text with each path's value replaced: in place when every path is found (the rest of the text
 * byte for byte), else re-serialised from the parsed value (JSON.stringify), or undefined when that fails too.
 */
export function editJson(text: string, edits: readonly ValueEdit[]): string | undefined {
  if (edits.length === 0) return text;
  const inPlace = valueTextEdits(text, edits);
  const edited = inPlace && applyTextEdits(text, inPlace);
  if (edited !== undefined) return edited;
  try {
    const value: unknown = JSON.parse(text);
    return setValues(value, edits) ? JSON.stringify(value) : undefined;
  } catch {
    return undefined;
  }
}
