// A JSON body that repeats a key reads differently to different parsers: guardrun's checks see the last
// value (JSON.parse), an upstream may use the first. Such a body is refused rather than forwarded.

// An unescaped quote followed by a colon ends an object key: inside a string a quote is always escaped.
const KEY_END = /(?:^|[^\\])(?:\\\\)*"\s*:/g;

export function hasDuplicateKeys(text: string, json: unknown): boolean {
  if (json === null || typeof json !== 'object') return false;
  let members = 0;
  const stack: unknown[] = [json];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) for (const item of value) stack.push(item);
    else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        members++;
        stack.push((value as Record<string, unknown>)[key]);
      }
    }
  }
  let keys = 0;
  KEY_END.lastIndex = 0;
  while (KEY_END.exec(text) !== null) keys++;
  return keys !== members;
}
