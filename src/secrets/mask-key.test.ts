import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { maskKey } from './mask-key.js';

describe('maskKey', () => {
  it('shows the first 3 and last 4 characters of a key', () => {
    expect(maskKey('sk-test-fake-0000000000000000wxyz')).toBe('sk-…wxyz');
    expect(maskKey('sk-ant-test-fake-000000000000abcd')).toBe('sk-…abcd');
  });

  it('masks short values entirely', () => {
    expect(maskKey('')).toBe('****');
    expect(maskKey('short-test')).toBe('****');
    expect(maskKey('x'.repeat(19))).toBe('****');
    expect(maskKey('x'.repeat(20))).toBe('xxx…xxxx');
  });

  it('never shows more than 7 characters of the value', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (value) => {
        const shown = maskKey(value).replace('…', '').replace(/^\*{4}$/, '');
        expect(Array.from(shown).length).toBeLessThanOrEqual(7);
        if (shown) {
          expect(value.startsWith(shown.slice(0, 3))).toBe(true);
          expect(value.endsWith(Array.from(shown).slice(3).join(''))).toBe(true);
        }
      }),
    );
  });

  it('does not split characters outside the BMP', () => {
    expect(maskKey('😀😀😀' + 'a'.repeat(20) + '😀😀😀😀')).toBe('😀😀😀…😀😀😀😀');
  });
});
