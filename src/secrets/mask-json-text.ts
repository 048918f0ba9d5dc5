// Masking for text that may be JSON guardrun did not parse (a refused body: malformed, repeated keys, too deep).
// A JSON escape (`\u0073k-…`, `\/`) hides a secret from a scan of the raw text, so each string literal is
// decoded and masked on its own, then the whole text; what still hides a secret after that (an unterminated
// literal) makes the text unrecordable: the caller keeps only its size.

const LITERAL = /"(?:[^"\\\n]|\\.)*"/g;
const ESCAPE = /\\(?:u([0-9a-fA-F]{4})|(.))/g;
const SIMPLE: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

/**
 * `text` with every secret `mask` finds replaced, inside JSON string literals (decoded first) and outside
 * them; undefined when decoding the escapes that remain would still reveal a secret.
 */
export function maskJsonText(text: string, mask: (text: string) => string): string | undefined {
  const literalsMasked = text.includes('\\')
    ? text.replace(LITERAL, (literal) => {
        if (!literal.includes('\\')) return literal; // nothing escaped: the scan below sees it as is
        let decoded: string;
        try {
          decoded = JSON.parse(literal) as string;
        } catch {
          return literal;
        }
        const masked = mask(decoded);
        return masked === decoded ? literal : JSON.stringify(masked);
      })
    : text;
  const masked = mask(literalsMasked);
  if (!masked.includes('\\')) return masked;
  const unescaped = masked.replace(ESCAPE, (_, hex: string | undefined, ch: string) => (hex ? String.fromCharCode(parseInt(hex, 16)) : (SIMPLE[ch] ?? ch)));
  return mask(unescaped) === unescaped ? masked : undefined;
}
