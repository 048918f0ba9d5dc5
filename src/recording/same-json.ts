// Equality of two parsed JSON values (as JSON.parse makes them), without serialising either: strings compare
// with ===, which V8 does at memory speed, so telling that a re-sent 300 KB conversation is unchanged costs
// well under a millisecond. Iterative, so nesting depth does not matter.

type Json = Record<string, unknown>;

/** True when `a` and `b` are equal JSON values; object member order does not matter. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const left: unknown[] = [a];
  const right: unknown[] = [b];
  while (left.length > 0) {
    const x = left.pop();
    const y = right.pop();
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    const xArray = Array.isArray(x);
    if (xArray !== Array.isArray(y)) return false;
    if (xArray) {
      const ya = y as unknown[];
      if (x.length !== ya.length) return false;
      for (let i = 0; i < x.length; i++) {
        left.push(x[i]);
        right.push(ya[i]);
      }
      continue;
    }
    const xo = x as Json;
    const yo = y as Json;
    const keys = Object.keys(xo);
    if (keys.length !== Object.keys(yo).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(yo, key)) return false;
      left.push(xo[key]);
      right.push(yo[key]);
    }
  }
  return true;
}
