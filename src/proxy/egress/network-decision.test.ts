import { describe, expect, test } from 'vitest';
import { canonicalIp, createNetworkDecider } from './network-decision.js';

const decider = (allow: string[], deny: string[] = [], unknown: 'allow' | 'ask' | 'deny' = 'allow') => createNetworkDecider({ allow, deny, unknown });

describe('the network decision', () => {
  test.each([
    // [allow, deny, unknown, host, port, verdict, rule, pattern]
    [[], [], 'allow', 'example.com', 443, 'allow', 'network.unknown', undefined],
    [[], [], 'deny', 'example.com', 443, 'deny', 'network.unknown', undefined],
    [[], [], 'ask', 'example.com', 443, 'ask', 'network.unknown', undefined],
    [['*.github.com'], [], 'deny', 'api.github.com', 443, 'allow', 'network.allow', '*.github.com'],
    [['*.github.com'], [], 'deny', 'github.com', 443, 'deny', 'network.unknown', undefined],
    [['*.GitHub.com'], [], 'deny', 'api.github.com', 443, 'allow', 'network.allow', '*.GitHub.com'],
    [['registry.npmjs.org:443'], [], 'deny', 'registry.npmjs.org', 80, 'deny', 'network.unknown', undefined],
    [['registry.npmjs.org:*'], [], 'deny', 'registry.npmjs.org', 80, 'allow', 'network.allow', 'registry.npmjs.org:*'],
    [['*'], ['*.evil.example'], 'allow', 'a.evil.example', 443, 'deny', 'network.deny', '*.evil.example'],
    [['a.evil.example'], ['*.evil.example'], 'allow', 'a.evil.example', 443, 'deny', 'network.deny', '*.evil.example'],
    [['[::1]:8080'], [], 'deny', '::1', 8080, 'allow', 'network.allow', '[::1]:8080'],
  ] as const)('allow %j deny %j unknown %s: %s:%i is %s by %s', (allow, deny, unknown, host, port, kind, rule, pattern) => {
    const v = decider([...allow], [...deny], unknown).decide({ host, port });
    expect(v).toMatchObject({ kind, rule });
    expect(v.pattern).toBe(pattern);
    expect(v.reason).toContain(`${host.includes(':') ? `[${host}]` : host}:${port}`);
  });

  test('only an address written out in network.allow lets guardrun dial it (not a glob, not a name)', () => {
    expect(decider(['127.0.0.1:8080']).allowsAddress('127.0.0.1', 8080)).toBe(true);
    expect(decider(['127.0.0.1:8080']).allowsAddress('127.0.0.1', 9090)).toBe(false);
    expect(decider(['127.0.0.1']).allowsAddress('127.0.0.1', 9090)).toBe(true);
    expect(decider(['127.0.0.*']).allowsAddress('127.0.0.1', 80)).toBe(false);
    expect(decider(['*']).allowsAddress('127.0.0.1', 80)).toBe(false);
    expect(decider(['localhost:80']).allowsAddress('127.0.0.1', 80)).toBe(false);
    expect(decider(['[0:0:0:0:0:0:0:1]:80']).allowsAddress('::1', 80)).toBe(true);
    expect(decider(['169.254.169.254']).allowsAddress('169.254.169.254', 80)).toBe(true);
  });

  test('IPv6 addresses have one spelling', () => {
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('FE80:0:0:0:0:0:0:1')).toBe('fe80::1');
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
  });
});
