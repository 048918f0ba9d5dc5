// Logprobs repeat the model's output token by token, so a secret masked in the text must not reassemble
// from them. Where they appear (OpenAI API reference): Chat Completions `choices[].logprobs.content` and
// `.refusal` (entries `{ token, logprob, bytes, top_logprobs: [{ token, logprob, bytes }] }`), the Responses
// API's `logprobs` on `response.output_text.delta`/`.done` and on output text content, legacy Completions
// `choices[].logprobs.tokens` (with `top_logprobs` objects keyed by token). Each list's tokens are a text
// channel of their own, and so are their `bytes` (one latin1 character a byte): the two ways a client rebuilds
// the text. The alternatives (`top_logprobs`) are candidates at one position each, not a text: each is masked
// on its own like any other string, and when a token is masked its alternatives are dropped (they include the
// sampled token) and its `bytes` follow it; see docs/security.md.
import type { Scanner } from '../../secrets/scan.js';
import { maskPiecesOnce, type Changed, type Piece } from './event-masker.js';
import { pathKey, type JsonPath, type ValueEdit } from './json-edit.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isByteArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((n) => Number.isInteger(n) && n >= 0 && n <= 255);

function entryPieces(entry: Obj, path: JsonPath, channel: string, out: Piece[]): void {
  if (typeof entry.token === 'string') out.push({ channel, path: [...path, 'token'], text: entry.token });
  if (isByteArray(entry.bytes) && entry.bytes.length > 0) {
    out.push({ channel: `${channel}|bytes`, path: [...path, 'bytes'], text: Buffer.from(entry.bytes).toString('latin1'), bytes: true });
  }
}

/** The pieces of a list of logprob entries at `at` (the tokens and their bytes). */
export function logprobPieces(entries: unknown, at: JsonPath, channel: string): Piece[] {
  const pieces: Piece[] = [];
  if (!Array.isArray(entries)) return pieces;
  entries.forEach((entry, j) => {
    if (isObj(entry)) entryPieces(entry, [...at, j], channel, pieces);
  });
  return pieces;
}

/** Legacy Completions: the pieces of `logprobs.tokens` (the object at `at`). */
export function legacyTokenPieces(logprobs: unknown, at: JsonPath, channel: string): Piece[] {
  if (!isObj(logprobs) || !Array.isArray(logprobs.tokens)) return [];
  const pieces: Piece[] = [];
  logprobs.tokens.forEach((token, j) => {
    if (typeof token === 'string') pieces.push({ channel, path: [...at, 'tokens', j], text: token });
  });
  return pieces;
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let at = root;
  for (const part of path) at = isObj(at) || Array.isArray(at) ? (at as Record<string | number, unknown>)[part] : undefined;
  return at;
}

/** The edits that follow from masked logprob pieces of `root` (the parsed data the pieces' paths start at). */
export function logprobFollow(root: unknown): (changed: Changed[]) => ValueEdit[] {
  return (changed) => {
    const edits: ValueEdit[] = [];
    const changedPaths = new Set(changed.map((c) => pathKey(c.piece.path)));
    for (const c of changed) {
      const path = c.piece.path;
      const last = path[path.length - 1];
      if (last === 'token') {
        const entryPath = path.slice(0, -1);
        const entry = valueAt(root, entryPath);
        if (!isObj(entry)) continue;
        const bytesPath = [...entryPath, 'bytes'];
        if (isByteArray(entry.bytes) && !changedPaths.has(pathKey(bytesPath))) edits.push({ path: bytesPath, value: [...Buffer.from(c.text, 'utf8')] });
        if (Array.isArray(entry.top_logprobs) && entry.top_logprobs.length > 0) edits.push({ path: [...entryPath, 'top_logprobs'], value: [] });
      } else if (typeof last === 'number' && path[path.length - 2] === 'tokens') {
        const holder = valueAt(root, path.slice(0, -2));
        if (isObj(holder) && Array.isArray(holder.top_logprobs) && isObj(holder.top_logprobs[last])) {
          edits.push({ path: [...path.slice(0, -2), 'top_logprobs', last], value: {} });
        }
      }
    }
    return edits;
  };
}

/** Logprob lists anywhere in a parsed JSON value, as pieces (each list its own channels). */
export function findLogprobPieces(value: unknown): Piece[] {
  const pieces: Piece[] = [];
  const stack: Array<{ v: unknown; path: JsonPath; under?: string }> = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path, under } = stack.pop()!;
    if (Array.isArray(v)) {
      const entries = under !== 'top_logprobs' && v.length > 0 && v.every((e) => isObj(e) && typeof e.token === 'string');
      if (entries) pieces.push(...logprobPieces(v, path, pathKey(path)));
      else v.forEach((item, i) => stack.push({ v: item, path: [...path, i] }));
    } else if (isObj(v)) {
      if (Array.isArray(v.tokens) && Array.isArray(v.token_logprobs)) pieces.push(...legacyTokenPieces(v, path, pathKey([...path, 'tokens'])));
      for (const [key, child] of Object.entries(v)) if (typeof child === 'object' && child !== null) stack.push({ v: child, path: [...path, key], under: key });
    }
  }
  return pieces;
}

/** Edits that mask the logprob token sequences of a whole JSON value (a body, or an event that repeats whole output). */
export function logprobSequenceEdits(value: unknown, scanner: Scanner): ValueEdit[] {
  const pieces = findLogprobPieces(value);
  return pieces.length === 0 ? [] : maskPiecesOnce(scanner, pieces, logprobFollow(value));
}
