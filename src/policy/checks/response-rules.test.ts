import { describe, expect, test } from 'vitest';
import type { ResponseRule } from '../schema.js';
import { responseFacts } from '../test-facts.js';
import { createResponseRuleChecks } from './response-rules.js';

const rules: ResponseRule[] = [
  { id: 'clean-build', on: 'response', match: { tool: '^(shell|bash)$', arguments: '^\\{"cmd":"rm -rf \\./build"\\}$' }, action: 'allow' },
  { id: 'destructive', on: 'response', match: { tool: '^(shell|bash|exec)$', arguments: 'rm\\s+-rf|mkfs|dd\\s+if=' }, action: 'ask' },
  { id: 'no-deploy', on: 'response', match: { tool: '(?i)^deploy' }, action: 'deny' },
  { id: 'no-curl-anywhere', on: 'response', match: { arguments: 'curl\\s' }, action: 'deny', message: 'No network from tools.' },
];
const checks = createResponseRuleChecks(rules);
const byId = (id: string) => checks.find((c) => c.id === `rule:${id}`)!;

describe('response rules', () => {
  test('one response-phase check per rule', () => {
    expect(checks.map((c) => c.id)).toEqual(['rule:clean-build', 'rule:destructive', 'rule:no-deploy', 'rule:no-curl-anywhere']);
    expect(checks.every((c) => c.phase === 'response')).toBe(true);
  });

  test.each([
    ['destructive', [{ name: 'shell', arguments: '{"cmd":"rm -rf /"}' }], 'ask'],
    ['destructive', [{ name: 'exec', arguments: '{"cmd":"dd if=/dev/zero"}' }], 'ask'],
    ['destructive', [{ name: 'shell', arguments: '{"cmd":"ls"}' }], 'allow'],
    ['destructive', [{ name: 'shellx', arguments: '{"cmd":"rm -rf /"}' }], 'allow'], // tool must match too
    ['destructive', [], 'allow'],
    ['no-deploy', [{ name: 'DeployProd', arguments: '{}' }], 'deny'],
    ['no-deploy', [{ name: 'predeploy', arguments: '{}' }], 'allow'],
    ['no-curl-anywhere', [{ name: 'anything', arguments: '{"c":"curl http://x"}' }], 'deny'],
  ])('%s on %j → %s', (id, calls, kind) => {
    expect(byId(id).evaluate(responseFacts(calls))).toMatchObject({ kind });
  });

  test('an allow rule exempts only the calls it matches', () => {
    const clean = { name: 'shell', arguments: '{"cmd":"rm -rf ./build"}' };
    const sneaky = { name: 'shell', arguments: '{"cmd":"rm -rf ./build; rm -rf ~"}' };
    expect(byId('destructive').evaluate(responseFacts([clean]))).toEqual({ kind: 'allow' });
    expect(byId('destructive').evaluate(responseFacts([sneaky]))).toMatchObject({ kind: 'ask' });
    expect(byId('destructive').evaluate(responseFacts([clean, { name: 'bash', arguments: 'mkfs' }]))).toEqual({
      kind: 'ask',
      rule: 'rule:destructive',
      reason: 'the model\'s call to tool "bash" matched rule destructive',
    });
  });

  test('the message replaces the default reason', () => {
    expect(byId('no-curl-anywhere').evaluate(responseFacts([{ name: 'x', arguments: 'curl x' }]))).toEqual({ kind: 'deny', rule: 'rule:no-curl-anywhere', reason: 'No network from tools.' });
  });
});
