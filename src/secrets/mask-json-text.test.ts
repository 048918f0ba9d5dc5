import { describe, expect, it } from 'vitest';
import { maskJsonText } from './mask-json-text.js';
import { createScanner } from './scan.js';

const scanner = createScanner();
const mask = (t: string): string => scanner.mask(t).text;
const KEY = 'sk-ant-api03-' + 'A'.repeat(90) + 'AA';
const escaped = KEY.replace(/-/g, '\\u002d');

describe('maskJsonText', () => {
  it('masks secrets hidden by JSON escapes inside string literals', () => {
    const text = `{"a":"key ${escaped}","a":"x"}`;
    expect(mask(text)).toBe(text); // the raw scan does not see it
    const masked = maskJsonText(text, mask)!;
    expect(masked).not.toContain('\\u002d');
    expect(masked).toContain('[REDACTED:');
    expect(JSON.parse(masked.replace(',"a":"x"', ''))).toEqual({ a: expect.stringContaining('[REDACTED:') });
  });

  it('masks plain text and leaves clean text alone', () => {
    expect(maskJsonText(`plain ${KEY}`, mask)).toContain('[REDACTED:');
    expect(maskJsonText('{"a":"line\\nbreak"}', mask)).toBe('{"a":"line\\nbreak"}');
  });

  it('gives up (undefined) when an unterminated literal still hides a secret', () => {
    expect(maskJsonText(`{"a":"${escaped}`, mask)).toBeUndefined();
  });
});
