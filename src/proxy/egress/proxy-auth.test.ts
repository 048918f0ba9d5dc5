import { describe, expect, test } from 'vitest';
import { secretMatcher } from '../../secrets/dummy-key.js';
import { hasProxyToken, proxyAuthRequired } from './proxy-auth.js';

const TOKEN = 'sk-guardrun-test-token-0000000000000000000000';
const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;

describe('proxy credentials', () => {
  const isToken = secretMatcher(TOKEN);
  test.each([
    [basic(`guardrun:${TOKEN}`), true],
    [basic(`anyone:${TOKEN}`), true],
    [`basic ${Buffer.from(`guardrun:${TOKEN}`).toString('base64')}`, true],
    [basic(`guardrun:${TOKEN}x`), false],
    [basic(`${TOKEN}:`), false],
    [basic('guardrun'), false],
    [`Bearer ${TOKEN}`, false],
    [undefined, false],
  ])('%s → %s', (header, ok) => {
    expect(hasProxyToken(header === undefined ? {} : { 'proxy-authorization': header }, isToken)).toBe(ok);
  });

  test('407 with a Basic challenge and a sentence', () => {
    const a = proxyAuthRequired();
    expect(a.status).toBe(407);
    expect(a.headers['proxy-authenticate']).toBe('Basic realm="guardrun"');
    expect(a.body).toMatch(/serves only the process guardrun started/);
  });
});
