// A JSON text embedded verbatim in a session line, so a 200 KB body is not parsed and re-serialised to be recorded.

export class RawJson {
  /** `text` must be valid JSON; newlines (only possible as whitespace in JSON) are folded so the line stays one line. */
  constructor(readonly text: string) {}
}

/**
 * JSON.stringify that writes RawJson values as their text. Events are shallow, so RawJson is looked for one and
 * two levels deep only (a blob's `json`, a body's `body.json`); a replacer function would make every stringify
 * several times slower.
 */
export function stringifyWithRaw(value: Record<string, unknown>, nonce: string): string {
  const raws: string[] = [];
  const placeholder = (raw: RawJson): string => {
    const t = raw.text;
    raws.push(t.indexOf('\n') === -1 && t.indexOf('\r') === -1 ? t : t.replace(/[\r\n]/g, ' '));
    return `\u0000${nonce}${raws.length - 1}\u0000`;
  };
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const v = value[key];
    if (v instanceof RawJson) {
      copy ??= { ...value };
      copy[key] = placeholder(v);
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
    for (const inner in v) {
      const raw = (v as Record<string, unknown>)[inner];
      if (!(raw instanceof RawJson)) continue;
      copy ??= { ...value };
      copy[key] = { ...(copy[key] as object), [inner]: placeholder(raw) };
    }
  }
  const out = JSON.stringify(copy ?? value);
  // Each placeholder appears once, JSON-escaped; the nonce makes a collision with data practically impossible.
  let result = out;
  raws.forEach((text, i) => {
    const quoted = `"\\u0000${nonce}${i}\\u0000"`;
    const at = result.indexOf(quoted);
    result = result.slice(0, at) + text + result.slice(at + quoted.length);
  });
  return result;
}
