// Offline tokenization with gpt-tokenizer, one encoding loaded on first use (o200k_base takes ~130 ms).
//
// gpt-tokenizer is super-linear on long runs without a word break (measured, Node 20, 2 cores: 64,000 × "a"
// took 6.4 s, 16,000 random CJK characters 1.3 s, while 64,000 characters of prose took 4 ms). Texts are
// therefore cut into pieces of at most PIECE_CHARS (at a whitespace where one is near) and counted piece by
// piece: the cost is then linear in the length, and a cut adds at most one token per piece (an estimate that
// errs high). Even linear, some texts cost ~2 ms per KB (random CJK, base64), so request counting runs in a
// worker thread with a time budget (count-worker.ts), and counting on the event loop is capped (tokens.ts).
import { createRequire } from 'node:module';
import type { TokenizerEncoding } from './encoding.js';

type CountTokens = (text: string, options?: { disallowedSpecial?: Set<string> }) => number;

// Synchronous require of the package's per-encoding entry (`gpt-tokenizer/encoding/<name>`), so that
// only the ranks asked for are parsed, and only when the first request needs them.
const load = createRequire(import.meta.url);
const loaded = new Map<TokenizerEncoding, CountTokens>();
// Text like "<|endoftext|>" in a prompt is ordinary text to the API; by default the library throws on it.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Longest piece handed to the tokenizer at once, in UTF-16 units. */
export const PIECE_CHARS = 1024;
// A cut looks this far back for whitespace, so prose is cut between words and counts as it would whole.
const CUT_WINDOW = 256;

/** Token count of `text` in `encoding`, uncached, counted piece by piece (linear time). */
export function countTextTokens(text: string, encoding: TokenizerEncoding): number {
  if (text.length === 0) return 0;
  const count = encoderFor(encoding);
  let total = 0;
  for (const piece of pieces(text)) total += count(piece, PLAIN_TEXT);
  return total;
}

/** `text` cut into pieces of at most PIECE_CHARS, at whitespace when there is some near the cut, never inside a surrogate pair. */
export function* pieces(text: string): Generator<string> {
  let at = 0;
  while (text.length - at > PIECE_CHARS) {
    let end = at + PIECE_CHARS;
    for (let i = end; i > end - CUT_WINDOW; i--) {
      if (isSpace(text.charCodeAt(i - 1))) {
        end = i;
        break;
      }
    }
    const before = text.charCodeAt(end - 1);
    if (before >= 0xd800 && before <= 0xdbff) end--; // keep a surrogate pair together
    yield text.slice(at, end);
    at = end;
  }
  if (at < text.length) yield at === 0 ? text : text.slice(at);
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13;
}

/** True once `encoding` is loaded, so counting with it costs no load (~450 ms for o200k_base). */
export function isEncodingLoaded(encoding: TokenizerEncoding): boolean {
  return loaded.has(encoding);
}

/** Loads an encoding ahead of the first request, e.g. while the child process starts. */
export function preloadEncoding(encoding: TokenizerEncoding): void {
  encoderFor(encoding);
}

/** The file the worker thread requires for `encoding` (an absolute path, so the worker resolves nothing itself). */
export function encodingModulePath(encoding: TokenizerEncoding): string {
  let path = modulePaths.get(encoding);
  if (path === undefined) modulePaths.set(encoding, (path = load.resolve(`gpt-tokenizer/encoding/${encoding}`)));
  return path;
}
const modulePaths = new Map<TokenizerEncoding, string>();

function encoderFor(encoding: TokenizerEncoding): CountTokens {
  let count = loaded.get(encoding);
  if (!count) {
    const mod = load(`gpt-tokenizer/encoding/${encoding}`) as { countTokens: CountTokens };
    count = mod.countTokens;
    loaded.set(encoding, count);
  }
  return count;
}
