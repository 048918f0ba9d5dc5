// Masking for text that may be JSON guardrun did not parse (a refused body: malformed, repeated keys, too deep).
// A JSON escape (`\u0073k-…`, `\/`) hides a secret from a scan of the raw text, so each string literal is
// decoded and masked on its own, then the whole text; what still hides a secret after that (an unterminated
// literal) makes the text unrecordable: the caller keeps only its size.

import { jsonStrings } from './json-strings.js';

const ESCAPE = /\\(?:u([0-9a-fA-F]{4})|(.))/g;
const SIMPLE: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

/**
 * `text` with every secret `mask` finds replaced, inside JSON string literals (decoded first) and outside
 * them; undefined when decoding the escapes that remain would still reveal a secret.
 */
export function maskJsonText(text: string, mask: (text: string) => string): string | undefined {
  const literalsMasked = text.includes('\\') ? maskLiterals(text, mask) : text;
  const masked = mask(literalsMasked);
  if (!masked.includes('\\')) return masked;
  const unescaped = masked.replace(ESCAPE, (_, hex: string | undefined, ch: string) => (hex ? String.fromCharCode(parseInt(hex, 16)) : (SIMPLE[ch] ?? ch)));
  return mask(unescaped) === unescaped ? masked : undefined;
}

/** Each closed literal that has an escape, decoded, masked and re-encoded when it held a secret. */
function maskLiterals(text: string, mask: (text: string) => string): string {
  let out = '';
  let at = 0;
  for (const s of jsonStrings(text)) {
    if (s.end === -1) break;
    const literal = text.slice(s.start, s.end);
    if (!literal.includes('\\')) continue; // nothing escaped: the scan of the whole text sees it as is
    let decoded: string;
    try {
      decoded = JSON.parse(literal) as string;
    } catch {
      continue;
    }
    const masked = mask(decoded);
    if (masked === decoded) continue;
    out += text.slice(at, s.start) + JSON.stringify(masked);
    at = s.end;
  }
  return at === 0 ? text : out + text.slice(at);
}
