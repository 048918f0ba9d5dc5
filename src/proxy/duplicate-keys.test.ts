import { describe, expect, it } from 'vitest';
import { hasDuplicateKeys } from './duplicate-keys.js';

const check = (text: string): boolean => hasDuplicateKeys(text, JSON.parse(text));

describe('hasDuplicateKeys', () => {
  it('finds a repeated key at any depth', () => {
    expect(check('{"messages":[1],"messages":[2]}')).toBe(true);
    expect(check('{"a":{"b":1,"c":{"d":1,"d":2}}}')).toBe(true);
    expect(check('[{"x":1},{"y":{"z":1 , "z" :2}}]')).toBe(true);
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
