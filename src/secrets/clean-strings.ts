// Most of an agent's request is the conversation so far, unchanged since the last turn. Strings already
// found clean are remembered, so each turn scans only what is new (like the token cache).
import { Lru } from '../cost/lru.js';
import { SECRET_KEY_RE } from './detectors.js';
import { isOpaque, OPAQUE_FROM_CHARS } from './opaque.js';
import type { Scanner } from './scan.js';

// Below this a string is scanned every time: a map lookup would cost about as much.
const CACHE_FROM_CHARS = 256;

export interface CleanCheck {
  /**
   * True when no string in the parsed JSON holds a secret and no key labels one (a "password": value pair
   * is found by scanning the raw text, so a secret-named key means "not known clean").
   */
  isClean(json: unknown): boolean;
}

export function createCleanCheck(scanner: Scanner, options: { maxEntries?: number; maxChars?: number } = {}): CleanCheck {
  const clean = new Lru<true>(options.maxEntries ?? 20_000, options.maxChars ?? 16 * 1024 * 1024);
  const cleanString = (s: string): boolean => {
    if (s.length < CACHE_FROM_CHARS) return scanner.find(s).length === 0;
    if (clean.get(s)) return true;
    if (scanner.find(s).length > 0) return false;
    clean.set(s, true);
    return true;
  };
  return {
    isClean(json) {
      // Iterative walk: request bodies can nest deeply (tool schemas), and a recursion limit must not decide.
      const stack: unknown[] = [json];
      while (stack.length > 0) {
        const value = stack.pop();
        if (typeof value === 'string') {
          if (!isOpaque(value) && !cleanString(value)) return false;
        } else if (Array.isArray(value)) {
          for (const item of value) stack.push(item);
        } else if (value !== null && typeof value === 'object') {
          for (const key of Object.keys(value)) {
            if (SECRET_KEY_RE.test(key) || !cleanString(key)) return false;
            const child = (value as Record<string, unknown>)[key];
            // Base64 media (opaque.ts) is binary, not text: not scanned.
            if (typeof child === 'string' && child.length >= OPAQUE_FROM_CHARS && isOpaque(child, key)) continue;
            stack.push(child);
          }
        }
      }
      return true;
    },
  };
}
