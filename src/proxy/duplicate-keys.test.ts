import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasDuplicateKeys, jsonShape, MAX_JSON_DEPTH } from './duplicate-keys.js';

const check = (text: string): boolean => hasDuplicateKeys(text, JSON.parse(text));

describe('hasDuplicateKeys', () => {
  it('finds a repeated key at any depth', () => {
    expect(check('{"messages":[1],"messages":[2]}')).toBe(true);
    expect(check('{"a":{"b":1,"c":{"d":1,"d":2}}}')).toBe(true);
    expect(check('[{"x":1},{"y":{"z":1 , "z" :2}}]')).toBe(true);
    // Any JSON whitespace between a key and its colon (JSON.stringify never writes it, an agent may).
    for (const ws of ['\n', '\r', '\t', ' \r\n\t ']) expect(check(`{"model":"a","model"${ws}:"b"}`), JSON.stringify(ws)).toBe(true);
  });

  it('is not fooled by quotes and colons inside strings', () => {
    expect(check('{"a":"he said \\"x\\": y","b":"c:d","e\\\\":"f"}')).toBe(false);
    expect(check(JSON.stringify({ messages: [{ role: 'user', content: 'key": value\\":' }], model: 'm' }, null, 2))).toBe(false);
    expect(check('{}')).toBe(false);
    expect(check('"just a string"')).toBe(false);
  });

  it('counts a key whose name ends in escaped backslashes, and not a quote escaped after them', () => {
    expect(check('{"a\\\\":1,"a\\\\":2}')).toBe(true); // the key a\\ twice
    expect(check('{"x":"\\\\\\": y","a\\\\":1}')).toBe(false); // a value with \\" : inside, then a\\
  });
});

describe('hasDuplicateKeys on any JSON', () => {
  // Strings full of what could confuse a scan: quotes, backslashes, colons, whitespace, non-ASCII.
  const tricky = fc.stringMatching(/^[a-z"\\: \n\t{}[\],é😀]{0,12}$/);
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, fc.integer(), tricky, fc.boolean(), fc.constant(null), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(tricky, tie('node'), { maxKeys: 4 })),
  })).node;

  it('finds none in what JSON.stringify writes (compact or indented), and finds a key written twice', () => {
    const space = fc.stringMatching(/^[ \t\r\n]{0,3}$/);
    fc.assert(
      fc.property(value, tricky, fc.constantFrom(undefined, 1, '\t'), space, space, (v, key, indent, before, after) => {
        const text = JSON.stringify({ doc: v }, null, indent);
        expect(check(text)).toBe(false);
        const name = JSON.stringify(key);
        expect(check(`{${name}${before}:${after}1,"doc":${text},${name}${before}:${after}2}`)).toBe(true);
      }),
      { numRuns: Number(process.env.GUARDRUN_FUZZ_RUNS ?? 500) },
    );
  });
});

describe('jsonShape', () => {
  it('measures depth without recursion and stops past the limit', () => {
    expect(jsonShape('{}', {})).toEqual({ duplicateKeys: false, depth: 1, tooDeep: false });
    expect(jsonShape('1', 1)).toMatchObject({ depth: 0, tooDeep: false });
    const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    expect(jsonShape(ok, JSON.parse(ok))).toMatchObject({ depth: MAX_JSON_DEPTH, tooDeep: false });
    // 50,000 levels: JSON.parse builds it; the walk must neither overflow nor accept it.
    const deep = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
    expect(jsonShape(deep, JSON.parse(deep))).toMatchObject({ tooDeep: true });
  });
});
