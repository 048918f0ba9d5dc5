// Globs for endpoints and model names: `*` is any run of characters (including `/`), `?` is one character.

const SPECIAL = /[\\^$.*+?()[\]{}|/]/g;

function escapeRegExp(text: string): string {
  return text.replace(SPECIAL, '\\$&');
}

function globBody(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += escapeRegExp(ch);
  }
  return out;
}

export interface GlobOptions {
  ignoreCase?: boolean;
}

/** One glob as an anchored RegExp. */
export function compileGlob(pattern: string, options: GlobOptions = {}): RegExp {
  return new RegExp(`^(?:${globBody(pattern)})$`, options.ignoreCase ? 'is' : 's');
}

/** Several globs as one anchored RegExp that matches when any of them does (never matches for an empty list). */
export function compileGlobs(patterns: readonly string[], options: GlobOptions = {}): RegExp {
  if (patterns.length === 0) return /(?!)/;
  return new RegExp(`^(?:${patterns.map(globBody).join('|')})$`, options.ignoreCase ? 'is' : 's');
}

/** The first glob of the list that matches `value`, for messages. */
export function firstMatchingGlob(patterns: readonly string[], value: string, options: GlobOptions = {}): string | undefined {
  return patterns.find((p) => compileGlob(p, options).test(value));
}
