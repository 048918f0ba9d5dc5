import { describe, expect, test } from 'vitest';
import type { ApprovalAnswer, ApprovalRequest } from '../../approval/types.js';
import { createCiApprover } from '../../approval/ci-approver.js';
import { createAdmission } from './admit.js';
import { createNetworkDecider } from './network-decision.js';
import { parentProxies } from './parent-proxy.js';

const publicAddress = async () => ['93.184.216.34'];

describe('admitting an egress connection', () => {
  test('network.unknown: ask asks once for connections that arrive together, and all get the answer', async () => {
    const asked: ApprovalRequest[] = [];
    let answer!: (a: ApprovalAnswer) => void;
    const admit = createAdmission({
      decider: createNetworkDecider({ allow: [], deny: [], unknown: 'ask' }),
      parents: parentProxies({}),
      ask: (q) => {
        asked.push(q);
        return new Promise((resolve) => (answer = resolve));
      },
      spendUsd: () => 0.25,
      resolve: publicAddress,
    });
    const first = admit({ host: 'example.com', port: 443 }, 'https', 1);
    const second = admit({ host: 'example.com', port: 443 }, 'https', 2);
    await new Promise((r) => setTimeout(r, 10));
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ id: 1, kind: 'egress', endpoint: 'CONNECT example.com:443', model: 'example.com:443', spendUsd: 0.25, reasons: [{ rule: 'network.unknown' }] });
    answer({ kind: 'allow', scope: 'once', by: 'human', humanMs: 5 });
    expect(await first).toMatchObject({ ok: true, decidedBy: 'human', address: '93.184.216.34' });
    expect(await second).toMatchObject({ ok: true, decidedBy: 'human' });
    // Asked again later: an "allow once" covers the connections that waited for it, not the next one.
    void admit({ host: 'example.com', port: 443 }, 'https', 3);
    await new Promise((r) => setTimeout(r, 10));
    expect(asked).toHaveLength(2);
    answer({ kind: 'deny', by: 'human', reason: 'no', humanMs: 1 });
  });

  test('in CI an ask is a deny that says why', async () => {
    const admit = createAdmission({ decider: createNetworkDecider({ allow: [], deny: [], unknown: 'ask' }), parents: parentProxies({}), ask: createCiApprover('--ci').ask, spendUsd: () => 0, resolve: publicAddress });
    expect(await admit({ host: 'example.com', port: 443 }, 'https', 1)).toMatchObject({ ok: false, status: 403, rule: 'network.unknown', decidedBy: 'ci', reason: expect.stringMatching(/--ci was given/) });
  });

  test('a denied host is never resolved nor asked about', async () => {
    const admit = createAdmission({
      decider: createNetworkDecider({ allow: [], deny: ['*.example'], unknown: 'ask' }),
      parents: parentProxies({}),
      ask: () => { throw new Error('not asked'); },
      spendUsd: () => 0,
      resolve: () => { throw new Error('not resolved'); },
    });
    expect(await admit({ host: 'a.example', port: 443 }, 'https', 1)).toMatchObject({ ok: false, status: 403, rule: 'network.deny', pattern: '*.example', decidedBy: 'policy' });
  });

  test('through the user\'s proxy: chained, and a local address is still refused', async () => {
    const admit = createAdmission({ decider: createNetworkDecider({ allow: [], deny: [], unknown: 'allow' }), parents: parentProxies({ HTTPS_PROXY: 'http://proxy.corp:3128' }), ask: () => { throw new Error('no'); }, spendUsd: () => 0, resolve: publicAddress });
    const chained = await admit({ host: 'example.com', port: 443 }, 'https', 1);
    expect(chained).toMatchObject({ ok: true, parent: { label: 'proxy.corp:3128' } });
    expect('address' in chained && chained.address).toBeFalsy();
    expect(await admit({ host: '127.0.0.1', port: 22 }, 'https', 2)).toMatchObject({ ok: false, rule: 'network.loopback' });
  });

  test('a name that does not resolve is allowed by the policy but unreachable', async () => {
    const admit = createAdmission({ decider: createNetworkDecider({ allow: [], deny: [], unknown: 'allow' }), parents: parentProxies({}), ask: () => { throw new Error('no'); }, spendUsd: () => 0, resolve: async () => { throw Object.assign(new Error(), { code: 'ENOTFOUND' }); } });
    expect(await admit({ host: 'nowhere.invalid', port: 443 }, 'https', 1)).toMatchObject({ ok: true, unresolved: 'ENOTFOUND' });
  });
});
