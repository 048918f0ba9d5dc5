// A JSON body that repeats a key reads differently to different parsers: guardrun's checks see the last
// value (JSON.parse), an upstream may use the first. Such a body is refused rather than forwarded.

// A quote followed by a colon ends an object key when it is not escaped (an odd run of backslashes before it):
// inside a string a quote is always escaped. The regex looks for the quote and colon only, which it finds by a
// fast scan for '"' (a 20 MB base64 string costs ~1 ms, against ~8 ms for a pattern that starts with the
// preceding character); the rare escaped ones are told apart here.
const KEY_END = /"\s*:/g;

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
  for (let m = KEY_END.exec(text); m !== null; m = KEY_END.exec(text)) {
    let backslashes = 0;
    for (let i = m.index - 1; i >= 0 && text.charCodeAt(i) === 92; i--) backslashes++;
    if (backslashes % 2 === 0) keys++;
  }
  return keys !== members;
}
