// Policy regexes: JavaScript syntax, plus a leading inline flag group like `(?i)` that JS itself rejects.

const LEADING_FLAGS = /^\(\?([ims]+)\)/;

/** Compiles a policy regex; throws SyntaxError (from RegExp) when it is invalid. Never sets `g` (stateful). */
export function compileRegex(source: string): RegExp {
  const m = LEADING_FLAGS.exec(source);
  if (!m) return new RegExp(source);
  const flags = [...new Set(m[1])].join('');
  return new RegExp(source.slice(m[0].length), flags);
}

/** Why `source` is not a valid policy regex, or undefined when it is. */
export function regexProblem(source: string): string | undefined {
  try {
    compileRegex(source);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const SYNTAX = /[\\^$.*+?()[\]{}|/]/g;

/**
 * A case-insensitive regex for a word list: any of the words or phrases, not inside a longer word.
 * Spaces in a phrase match any run of whitespace.
 */
export function compileWordList(words: readonly string[]): RegExp {
  const alternatives = words
    .map((w) => w.trim())
    .filter((w) => w.length > 0)
    .map((w) => w.split(/\s+/).map((part) => part.replace(SYNTAX, '\\$&')).join('\\s+'));
  if (alternatives.length === 0) return /(?!)/;
  return new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'iu');
}
