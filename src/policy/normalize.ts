// Text as request rules read it, so that invisible or look-alike characters cannot step around a rule
// (issue 10: a zero-width space, a soft hyphen or a Cyrillic "а" defeated a `words` rule).
//   1. Unicode NFKC (UAX #15): compatibility forms fold (fullwidth "ｐａｓｓ", ligatures, math letters "𝐩").
//   2. Default-ignorable code points removed (Unicode's Default_Ignorable_Code_Point: ZWSP, ZWJ, soft hyphen,
//      bidi marks, variation selectors, tag characters, word joiners…), and combining marks after NFD
//      ("pa\u0301ssword" → "password").
//   3. Look-alike letters folded to the ASCII letter they imitate, from Unicode's confusables data (UTS #39,
//      as packaged by `unhomoglyph`): only non-ASCII characters whose prototype is one ASCII character, case kept.
// Rules match the original text or this one, so a pattern written for non-ASCII text still matches as written.
import { createRequire } from 'node:module';

const IGNORABLE = /[\p{Default_Ignorable_Code_Point}]/gu;
const MARKS = /\p{M}/gu;
const NON_ASCII = /[^\x00-\x7f]/u;
const NON_ASCII_CHAR = /[^\x00-\x7f]/gu;

let fold: Map<string, string> | undefined;

/** Non-ASCII look-alike → its one-character ASCII prototype (UTS #39 confusables). Loaded on first use. */
function confusables(): Map<string, string> {
  if (!fold) {
    const data = createRequire(import.meta.url)('unhomoglyph/data.json') as Record<string, string>;
    fold = new Map();
    for (const [from, to] of Object.entries(data)) {
      if (NON_ASCII.test(from) && /^[\x21-\x7e]$/.test(to) && [...from].length === 1) fold.set(from, to);
    }
  }
  return fold;
}

/**
 * `text` normalised for rule matching (NFKC, no default-ignorables, no combining marks, look-alikes folded to
 * ASCII). Pure ASCII text without control tricks comes back unchanged at the cost of one test.
 */
export function normalizeForRules(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  const map = confusables();
  return text
    .normalize('NFKC')
    .replace(IGNORABLE, '')
    .normalize('NFD')
    .replace(MARKS, '')
    .normalize('NFC')
    .replace(NON_ASCII_CHAR, (c) => map.get(c) ?? c);
}
