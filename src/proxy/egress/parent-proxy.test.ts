import { describe, expect, test } from 'vitest';
import { parentProxies } from './parent-proxy.js';

const t = (host: string, port = 443) => ({ host, port });

describe("the user's own proxy, chained", () => {
  test('HTTPS_PROXY for tunnels, HTTP_PROXY for plain requests, credentials as Basic, never in the label', () => {
    const p = parentProxies({ HTTPS_PROXY: 'http://alice:s%40cret@proxy.corp:3128', http_proxy: 'proxy.corp:8080' });
    const tunnel = p.for(t('example.com'), 'https')!;
    expect(tunnel.label).toBe('proxy.corp:3128');
    expect(tunnel.authorization).toBe(`Basic ${Buffer.from('alice:s@cret').toString('base64')}`);
    expect(p.for(t('example.com', 80), 'http')!.label).toBe('proxy.corp:8080');
    expect(p.problem).toBeUndefined();
  });

  test('no proxy configured: direct', () => {
    expect(parentProxies({}).for(t('example.com'), 'https')).toBeUndefined();
  });

  test.each([
    ['corp.example', 'corp.example', true],
    ['corp.example', 'git.corp.example', true],
    ['.corp.example', 'git.corp.example', true],
    ['*.corp.example', 'git.corp.example', true],
    ['corp.example', 'notcorp.example', false],
    ['example.com:8443', 'example.com', false],
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '11.1.2.3', false],
    ['*', 'anything.example', true],
    ['10.0.0.0/abc, corp.example', 'corp.example', true],
  ])('NO_PROXY %j: %s goes direct: %s', (noProxy, host, direct) => {
    const p = parentProxies({ HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: noProxy });
    expect(p.for(t(host), 'https') === undefined).toBe(direct);
  });

  test('a SOCKS proxy cannot be chained: said once, then direct', () => {
    const p = parentProxies({ HTTPS_PROXY: 'socks5://127.0.0.1:1080' });
    expect(p.problem).toMatch(/^only http:\/\/ and https:\/\/ proxies are chained; socks5:\/\/127\.0\.0\.1:1080/);
    expect(p.for(t('example.com'), 'https')).toBeUndefined();
  });
});
