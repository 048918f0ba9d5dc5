import { describe, expect, test } from 'vitest';
import { compileRegex, compileWordList, regexProblem } from './regex.js';

describe('compileRegex', () => {
  test('a leading (?i) becomes the i flag', () => {
    const re = compileRegex('(?i)production database password');
    expect(re.flags).toBe('i');
    expect(re.source).toBe('production database password');
    expect(re.test('PRODUCTION Database password')).toBe(true);
  });

  test('other leading flags (?s), (?m), (?is)', () => {
    expect(compileRegex('(?s)a.b').test('a\nb')).toBe(true);
    expect(compileRegex('(?is)A.B').flags).toBe('is');
    expect(compileRegex('(?m)^x$').test('a\nx\nb')).toBe(true);
  });

  test('without (?i) it is case-sensitive and never global', () => {
    const re = compileRegex('secret');
    expect(re.test('SECRET')).toBe(false);
    expect(re.global).toBe(false);
  });

  test('(?i) only at the start is special', () => {
    expect(() => compileRegex('a(?i)b')).toThrow(SyntaxError);
  });

  test('regexProblem reports invalid syntax', () => {
    expect(regexProblem('rm -rf (')).toMatch(/Unterminated group/);
    expect(regexProblem('(?x)a')).toMatch(/Invalid/);
    expect(regexProblem('ok|fine')).toBeUndefined();
  });
});

describe('compileWordList', () => {
  const re = compileWordList(['bluebird', 'project falcon', 'c++']);
  test.each([
    ['the Bluebird launch', true],
    ['bluebirds', false],
    ['PROJECT   Falcon is late', true],
    ['projectfalcon', false],
    ['we use c++ here', true],
    ['nothing here', false],
  ])('%s → %s', (text, expected) => {
    expect(re.test(text)).toBe(expected);
  });

  test('an empty list matches nothing', () => {
    expect(compileWordList(['  ']).test('anything')).toBe(false);
  });
});
