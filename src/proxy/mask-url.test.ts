import { describe, expect, it } from 'vitest';
import { createScanner } from '../secrets/scan.js';
import { maskUrl } from './mask-url.js';

const scanner = createScanner();
const mask = (t: string): string => scanner.mask(t).text;
const TOKEN = 'ghp_' + 'Z'.repeat(36);
const encoded = [...TOKEN].map((c) => '%' + c.charCodeAt(0).toString(16)).join('');

describe('maskUrl', () => {
  it.each([
    [`/v1/models?t=${encoded}&limit=2`, `/v1/models?t=${encodeURIComponent('[REDACTED:github-token]')}&limit=2`],
    [`/v1/files/${encoded}`, `/v1/files/${encodeURIComponent('[REDACTED:github-token]')}`],
    [`/v1/models?t=${TOKEN}`, `/v1/models?t=${encodeURIComponent('[REDACTED:github-token]')}`],
    ['/v1/models?limit=2&order=desc', '/v1/models?limit=2&order=desc'],
    ['/v1/models?bad=%zz', '/v1/models?bad=%zz'],
  ])('%s', (url, expected) => {
    expect(maskUrl(url, mask)).toBe(expected);
  });
});
