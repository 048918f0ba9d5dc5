// The string literals of JSON text, found in linear time without a backtracking regex (a regex like
// /"(?:[^"\\]|\\.)*"/ overflows V8's backtrack stack on a multi-megabyte string: issue 10's huge bodies).

export interface JsonString {
  /** Index of the opening quote. */
  start: number;
  /** Index just past the closing quote; -1 when the literal is not closed before the end of the text. */
  end: number;
  /** The literal is followed (after whitespace) by a colon: an object key. */
  key: boolean;
}

const QUOTE_OR_BACKSLASH = /["\\]/g;

/** Every string literal of `text`, in order. Text outside literals is not checked for being JSON. */
export function* jsonStrings(text: string): Generator<JsonString> {
  let at = text.indexOf('"');
  while (at !== -1) {
    QUOTE_OR_BACKSLASH.lastIndex = at + 1;
    let end = -1;
    for (let m = QUOTE_OR_BACKSLASH.exec(text); m !== null; m = QUOTE_OR_BACKSLASH.exec(text)) {
      if (m[0] === '\\') {
        QUOTE_OR_BACKSLASH.lastIndex = m.index + 2; // skip the escaped character
        continue;
      }
      end = m.index + 1;
      break;
    }
    if (end === -1) {
      yield { start: at, end: -1, key: false };
      return;
    }
    let next = end;
    while (next < text.length && (text.charCodeAt(next) === 32 || text.charCodeAt(next) === 10 || text.charCodeAt(next) === 13 || text.charCodeAt(next) === 9)) next++;
    yield { start: at, end, key: text.charCodeAt(next) === 58 /* : */ };
    at = text.indexOf('"', end);
  }
}
