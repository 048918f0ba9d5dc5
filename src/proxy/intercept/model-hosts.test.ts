import { describe, expect, test } from 'vitest';
import { createUpstream } from '../upstream.js';
import { hostRoute } from './host-route.js';
import { isAddress, MODEL_HOSTS, modelHosts } from './model-hosts.js';
import { isIP } from 'node:net';

const fakePool = { request: async () => { throw new Error('unused'); }, destroy: async () => undefined };
const fakeSockets = { connect: async () => { throw new Error('unused'); } };
const upstream = (provider: 'openai' | 'anthropic', url: string) => createUpstream(provider, url, fakePool, fakeSockets);

describe('model hosts', () => {
  const defaults = modelHosts({ openai: upstream('openai', 'https://api.openai.com'), anthropic: upstream('anthropic', 'https://api.anthropic.com') });

  test('the providers\' API hosts are intercepted whatever the port; other hosts are egress', () => {
    expect(defaults.classify('api.openai.com', 443)).toMatchObject({ kind: 'served', provider: 'openai' });
    expect(defaults.classify('api.openai.com', 80)).toMatchObject({ kind: 'served', provider: 'openai' });
    expect(defaults.classify('api.anthropic.com', 443)).toMatchObject({ kind: 'served', provider: 'anthropic' });
    expect(defaults.classify('openai.com', 443)).toBeUndefined();
    expect(defaults.classify('api.openai.com.evil.example', 443)).toBeUndefined();
    expect(defaults.classify('github.com', 443)).toBeUndefined();
  });

  test('an Azure OpenAI endpoint is refused unless it is the configured upstream', () => {
    expect(defaults.classify('res.openai.azure.com', 443)).toMatchObject({ kind: 'not-served', provider: 'openai', reason: expect.stringMatching(/--upstream https:\/\/res\.openai\.azure\.com/) });
    const azure = modelHosts({ openai: upstream('openai', 'https://res.openai.azure.com/openai') });
    const target = azure.classify('res.openai.azure.com', 443);
    expect(target).toMatchObject({ kind: 'served', provider: 'openai' });
    expect(azure.classify('other.openai.azure.com', 443)).toMatchObject({ kind: 'not-served' });
  });

  test('a gateway upstream is a model host too, on its own port', () => {
    const gw = modelHosts({ openai: upstream('openai', 'https://gateway.example:8443/openai') });
    expect(gw.classify('gateway.example', 8443)).toMatchObject({ kind: 'served', provider: 'openai' });
    expect(gw.classify('gateway.example', 443)).toBeUndefined();
    expect(gw.permittedDns).toContain('gateway.example');
  });

  test('a loopback upstream (tests, a local gateway) is not turned into a model host', () => {
    const local = modelHosts({ openai: upstream('openai', 'http://127.0.0.1:9999') });
    expect(local.classify('127.0.0.1', 9999)).toBeUndefined();
    expect(local.permittedDns).not.toContain('127.0.0.1');
  });

  test('the CA may sign for exactly the model hosts (with their subdomains)', () => {
    expect(defaults.permittedDns.sort()).toEqual([...new Set(MODEL_HOSTS.map((h) => h.host.replace(/^\*\./, '')))].sort());
  });
});

describe('isAddress', () => {
  test('agrees with net.isIP on every hostname the URL parser gives', () => {
    const hosts = ['127.0.0.1', '127.1', '0x7f.1', '2130706433', '[::1]', '[2001:db8::1]', '[::ffff:127.0.0.1]', 'localhost', 'api.openai.com', '1.2.3.4.example', '1example.com', '999.1.1.1.nip.io', 'xn--bcher-kva.example'];
    for (const host of hosts) {
      let hostname: string;
      try {
        hostname = new URL(`https://${host}/`).hostname;
      } catch {
        continue; // not a host the parser accepts
      }
      expect(isAddress(hostname), host).toBe(isIP(hostname.replace(/^\[|\]$/g, '')) !== 0);
    }
  });
});

describe('routes on an intercepted host', () => {
  const hosts = modelHosts({ openai: upstream('openai', 'https://api.openai.com'), anthropic: upstream('anthropic', 'https://api.anthropic.com') });
  const served = (host: string) => hosts.classify(host, 443) as Extract<ReturnType<typeof hosts.classify>, { kind: 'served' }>;

  test('OpenAI: /v1 paths, recorded with the host', () => {
    expect(hostRoute(served('api.openai.com'), '/v1/chat/completions?x=1')).toEqual({ provider: 'openai', upstreamPath: '/v1/chat/completions?x=1', apiPath: '/v1/chat/completions', host: 'api.openai.com' });
    expect(hostRoute(served('api.openai.com'), '/dashboard')).toBeUndefined();
    expect(hostRoute(served('api.openai.com'), '/anthropic/v1/messages')).toBeUndefined();
  });

  test('Anthropic: its own paths, policy-visible under /anthropic like the base URL', () => {
    expect(hostRoute(served('api.anthropic.com'), '/v1/messages')).toEqual({ provider: 'anthropic', upstreamPath: '/v1/messages', apiPath: '/v1/messages', host: 'api.anthropic.com' });
  });

  test('a gateway upstream\'s own path prefix is taken off', () => {
    const gw = modelHosts({ openai: upstream('openai', 'https://gateway.example/openai') });
    const target = gw.classify('gateway.example', 443) as Extract<ReturnType<typeof gw.classify>, { kind: 'served' }>;
    expect(hostRoute(target, '/openai/v1/responses')).toMatchObject({ provider: 'openai', upstreamPath: '/v1/responses', host: 'gateway.example' });
    expect(hostRoute(target, '/v1/responses')).toBeUndefined();
  });
});
