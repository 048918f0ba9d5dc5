import { describe, expect, test } from 'vitest';
import type { RequestRule } from '../schema.js';
import { requestFacts } from '../test-facts.js';
import { createRequestRuleChecks } from './request-rules.js';

const rules: RequestRule[] = [
  { id: 'ok-ticket', on: 'request', match: { text: 'TICKET-OK-\\d+' }, action: 'allow' },
  { id: 'no-prod', on: 'request', match: { text: '(?i)production database password' }, action: 'deny', message: 'Do not send production credentials.' },
  { id: 'codenames', on: 'request', match: { words: ['bluebird', 'project falcon'] }, action: 'ask' },
  { id: 'both', on: 'request', match: { text: 'alpha', words: ['omega'] }, action: 'deny' },
];
const checks = createRequestRuleChecks(rules);
const byId = (id: string) => checks.find((c) => c.id === `rule:${id}`)!;

describe('request rules', () => {
  test('one check per rule with id rule:<id>', () => {
    expect(checks.map((c) => c.id)).toEqual(['rule:ok-ticket', 'rule:no-prod', 'rule:codenames', 'rule:both']);
    expect(checks.every((c) => c.phase === 'request')).toBe(true);
  });

  test.each([
    ['no-prod', ['here is the PRODUCTION Database Password: x'], 'deny'],
    ['no-prod', ['staging database password'], 'allow'],
    ['codenames', ['about Project  Falcon'], 'ask'],
    ['codenames', ['bluebirds everywhere'], 'allow'],
    ['both', ['alpha', 'and omega'], 'deny'], // conditions may hold in different texts
    ['both', ['alpha only'], 'allow'],
    ['both', ['omega only'], 'allow'],
    ['no-prod', [], 'allow'],
  ])('%s on %j → %s', (id, texts, kind) => {
    expect(byId(id).evaluate(requestFacts({ texts }))).toMatchObject({ kind });
  });

  test('the rule message is the reason', () => {
    expect(byId('no-prod').evaluate(requestFacts({ texts: ['production database password'] }))).toEqual({
      kind: 'deny',
      rule: 'rule:no-prod',
      reason: 'Do not send production credentials.',
    });
    expect(byId('codenames').evaluate(requestFacts({ texts: ['bluebird'] }))).toMatchObject({ reason: 'the request matched rule codenames (words)' });
  });

  test('an earlier allow rule exempts the request from the rules below it', () => {
    const texts = ['TICKET-OK-12: rotate the production database password'];
    expect(byId('no-prod').evaluate(requestFacts({ texts }))).toEqual({ kind: 'allow' });
    expect(byId('no-prod').evaluate(requestFacts({ texts: ['TICKET-OK-x production database password'] }))).toMatchObject({ kind: 'deny' });
  });

  test('an allow rule below does not exempt', () => {
    const [deny] = createRequestRuleChecks([
      { id: 'd', on: 'request', match: { text: 'x' }, action: 'deny' },
      { id: 'a', on: 'request', match: { text: 'x' }, action: 'allow' },
    ]);
    expect(deny.evaluate(requestFacts({ texts: ['x'] }))).toMatchObject({ kind: 'deny' });
  });

  test('a long re-sent text decides the same every turn (texts found not to match are remembered)', () => {
    const context = 'x '.repeat(500);
    for (let turn = 0; turn < 3; turn++) {
      expect((byId('no-prod').evaluate(requestFacts({ texts: [context] })) as { kind: string }).kind).toBe('allow');
      expect((byId('no-prod').evaluate(requestFacts({ texts: [context, `${context} production database password`] })) as { kind: string }).kind).toBe('deny');
    }
  });
});

describe('request rules read normalised text too', () => {
  test.each([
    ['codenames', 'blue\u200bbird', 'zero-width space'],
    ['codenames', 'blue\u00adbird', 'soft hyphen'],
    ['codenames', 'Blue\u2060bird', 'word joiner'],
    ['codenames', 'b\u04c0uebird', 'Cyrillic palochka for l'],
    ['codenames', 'bluebi\u0433d'.replace('\u0433', 'r'), 'plain (control)'],
    ['codenames', 'bluеbird', 'Cyrillic е'],
    ['codenames', 'ｂｌｕｅｂｉｒｄ', 'fullwidth'],
    ['codenames', '𝐛𝐥𝐮𝐞𝐛𝐢𝐫𝐝', 'mathematical bold'],
    ['codenames', 'blue\u0301bird', 'combining accent'],
    ['codenames', 'project\u00a0falcon', 'no-break space in a phrase'],
    ['codenames', 'b\u200el\u200fuebird', 'bidi marks'],
    ['codenames', 'bluebird\ufe0f', 'variation selector'],
    ['no-prod', 'production d\u0430tabase password', 'Cyrillic а in a regex rule'],
    ['no-prod', 'production data\u200bbase password', 'zero-width space in a regex rule'],
  ])('%s matches %j (%s)', (id, text, _why) => {
    expect(byId(id).evaluate(requestFacts({ texts: [text] })), JSON.stringify(text)).toMatchObject({ kind: id === 'no-prod' ? 'deny' : 'ask' });
  });

  test('a word written with non-ASCII letters still matches as written, and normalised', () => {
    const [check] = createRequestRuleChecks([{ id: 'cafe', on: 'request', match: { words: ['café'] }, action: 'deny' }]);
    for (const text of ['un café noir', 'un cafe\u0301 noir', 'un cafe noir']) expect(check.evaluate(requestFacts({ texts: [text] })), text).toMatchObject({ kind: 'deny' });
    expect(check.evaluate(requestFacts({ texts: ['cafeteria'] }))).toMatchObject({ kind: 'allow' });
  });
});
