import { describe, expect, test } from 'vitest';
import { compileGlob, compileGlobs, firstMatchingGlob } from './glob.js';

describe('compileGlob', () => {
  test.each([
    ['gpt-4.1*', 'gpt-4.1-mini', true],
    ['gpt-4.1*', 'gpt-4.10', true],
    ['gpt-4.1*', 'gpt-401', false], // the dot is literal
    ['o?-mini', 'o4-mini', true],
    ['o?-mini', 'o-mini', false],
    ['GET /v1/models/*', 'GET /v1/models/gpt-5', true],
    ['* /v1/*', 'DELETE /v1/files/abc', true],
    ['POST /v1/chat/completions', 'POST /v1/chat/completions/x', false],
    ['a+b(c)', 'a+b(c)', true],
    ['a+b(c)', 'aab(c)', false],
  ])('%s on %s → %s', (glob, value, expected) => {
    expect(compileGlob(glob).test(value)).toBe(expected);
  });

  test('case-insensitive only when asked', () => {
    expect(compileGlob('gpt-*').test('GPT-5')).toBe(false);
    expect(compileGlob('gpt-*', { ignoreCase: true }).test('GPT-5')).toBe(true);
  });
});

describe('compileGlobs', () => {
  test('matches any, and nothing for an empty list', () => {
    const re = compileGlobs(['a*', 'b?']);
    expect(re.test('abc')).toBe(true);
    expect(re.test('bx')).toBe(true);
    expect(re.test('bxy')).toBe(false);
    expect(compileGlobs([]).test('')).toBe(false);
    expect(compileGlobs([]).test('anything')).toBe(false);
  });

  test('firstMatchingGlob names the pattern', () => {
    expect(firstMatchingGlob(['x*', '*-realtime-*'], 'gpt-4o-realtime-preview')).toBe('*-realtime-*');
    expect(firstMatchingGlob(['x*'], 'y')).toBeUndefined();
  });
});
