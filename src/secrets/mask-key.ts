// How a key is shown to people: enough to tell two keys apart, never enough to use one.

/** Shorter values are masked entirely: showing 7 characters of them would give away too much. */
const MIN_LENGTH_TO_SHOW = 20;
const FULL_MASK = '****';

/** `sk-…wxyz`: the first 3 and last 4 characters of a long key; `****` for anything shorter. Shows at most 7 characters. */
export function maskKey(value: string): string {
  const chars = Array.from(value);
  if (chars.length < MIN_LENGTH_TO_SHOW) return FULL_MASK;
  return `${chars.slice(0, 3).join('')}…${chars.slice(-4).join('')}`;
}
