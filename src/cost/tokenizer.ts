// Offline tokenization with gpt-tokenizer, one encoding loaded on first use (o200k_base takes ~130 ms).
import { createRequire } from 'node:module';
import type { TokenizerEncoding } from './encoding.js';

type CountTokens = (text: string, options?: { disallowedSpecial?: Set<string> }) => number;

// Synchronous require of the package's per-encoding entry (`gpt-tokenizer/encoding/<name>`), so that
// only the ranks asked for are parsed, and only when the first request needs them.
const load = createRequire(import.meta.url);
const loaded = new Map<TokenizerEncoding, CountTokens>();
// Text like "<|endoftext|>" in a prompt is ordinary text to the API; by default the library throws on it.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Token count of `text` in `encoding`, uncached. */
export function countTextTokens(text: string, encoding: TokenizerEncoding): number {
  if (text.length === 0) return 0;
  return encoderFor(encoding)(text, PLAIN_TEXT);
}

/** True once `encoding` is loaded, so counting with it costs no load (~450 ms for o200k_base). */
export function isEncodingLoaded(encoding: TokenizerEncoding): boolean {
  return loaded.has(encoding);
}

/** Loads an encoding ahead of the first request, e.g. while the child process starts. */
export function preloadEncoding(encoding: TokenizerEncoding): void {
  encoderFor(encoding);
}

function encoderFor(encoding: TokenizerEncoding): CountTokens {
  let count = loaded.get(encoding);
  if (!count) {
    const mod = load(`gpt-tokenizer/encoding/${encoding}`) as { countTokens: CountTokens };
    count = mod.countTokens;
    loaded.set(encoding, count);
  }
  return count;
}
