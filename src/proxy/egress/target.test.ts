import { describe, expect, test } from 'vitest';
import { formatTarget, parseAbsolute, parseAuthority } from './target.js';

describe('proxy targets', () => {
  test.each([
    ['api.openai.com:443', { host: 'api.openai.com', port: 443 }],
    ['API.OpenAI.com.:443', { host: 'api.openai.com', port: 443 }],
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['api.openai.com', undefined],
    ['api.openai.com:0', undefined],
    ['api.openai.com:70000', undefined],
    ['user:pw@host:443', undefined],
    ['host:443/path', undefined],
    ['::1:443', undefined],
    ['', undefined],
  ])('CONNECT %j', (authority, expected) => {
    expect(parseAuthority(authority)).toEqual(expected);
  });

  test.each([
    ['http://example.com/a?b=c', { host: 'example.com', port: 80, path: '/a?b=c' }],
    ['http://example.com:8080', { host: 'example.com', port: 8080, path: '/' }],
    ['HTTP://[::1]:81/x', { host: '::1', port: 81, path: '/x' }],
    ['https://example.com/', undefined],
    ['/v1/models', undefined],
    ['http://u:p@example.com/', undefined],
  ])('absolute-form %j', (url, expected) => {
    expect(parseAbsolute(url)).toEqual(expected);
  });

  test('formats IPv6 in brackets', () => {
    expect(formatTarget({ host: '::1', port: 443 })).toBe('[::1]:443');
    expect(formatTarget({ host: 'example.com', port: 443 })).toBe('example.com:443');
  });
});
