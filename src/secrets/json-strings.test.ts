import { describe, expect, it } from 'vitest';
import { jsonStrings } from './json-strings.js';

describe('jsonStrings', () => {
  it('finds literals whole, keys by their colon', () => {
    const text = '{"a" : [":", "b\\"c\\\\"], "k":1}';
    expect([...jsonStrings(text)].map((s) => [text.slice(s.start, s.end), s.key])).toEqual([['"a"', true], ['":"', false], ['"b\\"c\\\\"', false], ['"k"', true]]);
  });

  it('reports an unterminated literal', () => {
    expect([...jsonStrings('{"a":"open')]).toEqual([{ start: 1, end: 4, key: true }, { start: 5, end: -1, key: false }]);
  });

  it('walks multi-megabyte strings and millions of escapes without a stack overflow', () => {
    const long = JSON.stringify({ c: 'a'.repeat(20_000_000) });
    expect([...jsonStrings(long)].length).toBe(2);
    const escapes = JSON.stringify({ c: '"'.repeat(3_000_000) });
    expect([...jsonStrings(escapes)].map((s) => s.end)).toEqual([4, escapes.length - 1]);
  });
});
