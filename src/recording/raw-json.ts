// A JSON text embedded verbatim in a session line, so a 200 KB body is not parsed and re-serialised to be recorded.

export class RawJson {
  /** `text` must be valid JSON; newlines (only possible as whitespace in JSON) are folded so the line stays one line. */
  constructor(readonly text: string) {}
}

/** JSON.stringify that writes RawJson values as their text. */
export function stringifyWithRaw(value: unknown, nonce: string): string {
  const raws: string[] = [];
  const out = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.text.replace(/[\r\n]/g, ' '));
      return `\u0000${nonce}${raws.length - 1}\u0000`;
    }
    return v;
  });
  if (raws.length === 0) return out;
  // The placeholder appears JSON-escaped in the output; the nonce makes a collision with data practically impossible.
  const pattern = new RegExp(`"\\\\u0000${nonce}(\\d+)\\\\u0000"`, 'g');
  return out.replace(pattern, (_m, i: string) => raws[Number(i)]);
}
