import { describe, expect, it } from 'vitest';
import { embeddedText, withEmbedded } from './embedded.js';
import { createScanner } from './scan.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const TOKEN = 'ghp_' + 'Z'.repeat(36);

describe('embeddedText', () => {
  it.each([
    [`data:text/plain;base64,${b64('hello there')}`, 'hello there'],
    [`data:text/plain;charset=utf-8;base64,${b64('hi env file')}`, 'hi env file'],
    [`data:application/json;base64,${b64('{"a":1}')}`, '{"a":1}'],
    [`data:,${encodeURIComponent('plain words here')}`, 'plain words here'],
    [b64('a text document of some length'), 'a text document of some length'],
  ])('%s', (value, text) => {
    expect(embeddedText(value)?.text).toBe(text);
  });

  it.each([
    [`data:image/png;base64,${b64('\u0000\u0001\u0002PNGxxxxxxxxxxxxxxxx')}`],
    [`data:application/pdf;base64,${b64('%PDF-1.7 some text')}`],
    ['HelloWorldThisIsAPlainWord'],
    [b64('\u0000binary\u0001\u0002bytes here')],
    ['short'],
  ])('not text: %s', (value) => {
    expect(embeddedText(value)).toBeUndefined();
  });
});

describe('withEmbedded', () => {
  const scanner = withEmbedded(createScanner());
  it('finds a secret inside a base64 text data URI and masks the whole payload', () => {
    const value = `data:text/plain;base64,${b64(`GITHUB_TOKEN=${TOKEN}\n`)}`;
    expect(createScanner().find(value)).toEqual([]);
    expect(scanner.find(value)).toEqual([{ detector: 'github-token', start: 'data:text/plain;base64,'.length, end: value.length }]);
    expect(scanner.mask(value).text).toBe('data:text/plain;base64,[REDACTED:github-token]');
  });

  it('finds one in a bare base64 document and leaves clean ones alone', () => {
    expect(scanner.mask(b64(`token ${TOKEN}`)).text).toBe('[REDACTED:github-token]');
    expect(scanner.find(b64('nothing secret in here at all'))).toEqual([]);
    expect(scanner.find(`plain ${TOKEN}`)).toMatchObject([{ detector: 'github-token' }]);
  });
});

describe('huge strings', () => {
  it('a 20 MB string of base64 characters is checked without a regex stack overflow', () => {
    const scanner = withEmbedded(createScanner());
    expect(() => scanner.find('b'.repeat(20 * 1024 * 1024))).not.toThrow();
    expect(() => embeddedText(`data:${'a'.repeat(5_000_000)}`)).not.toThrow();
  });
});
