// A `sh -c` script as words, when it is one simple command; and words back into a script.
// Only the POSIX quoting forms (sh(1), "Quoting": backslash, '…', "…") are read. Anything that makes
// the script more than one plain command (; & | < > ( ) $ ` newline, globs, comments) makes it "not
// simple", because guardrun could not then say which program runs or where its arguments begin.

const SPECIAL = new Set([';', '&', '|', '<', '>', '(', ')', '$', '`', '\n', '*', '?', '[', '#', '~', '{', '}']);

/** Words of `script`, or undefined when it is not a single simple command with literal words. */
export function splitSimpleCommand(script: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const push = (): void => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  while (i < script.length) {
    const c = script[i];
    if (c === ' ' || c === '\t') {
      push();
      i++;
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + script.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < script.length && script[j] !== '"'; j++) {
        const d = script[j];
        if (d === '$' || d === '`') return undefined;
        if (d === '\\' && j + 1 < script.length && '$`"\\\n'.includes(script[j + 1])) text += script[++j];
        else text += d;
      }
      if (j >= script.length) return undefined;
      word = (word ?? '') + text;
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= script.length || script[i + 1] === '\n') return undefined;
      word = (word ?? '') + script[i + 1];
      i += 2;
    } else if (SPECIAL.has(c)) {
      return undefined;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  push();
  // `VAR=value cmd` prefixes would change the command's environment: not simple for our purpose.
  if (words.length === 0 || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) return undefined;
  return words;
}

/** One word quoted for sh: bare when it is plainly safe, else in single quotes. */
export function quoteWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Words joined into a script that `sh -c` splits back into exactly these words. */
export function joinWords(words: string[]): string {
  return words.map(quoteWord).join(' ');
}
