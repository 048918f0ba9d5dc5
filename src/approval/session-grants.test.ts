import { describe, expect, it } from 'vitest';
import { createSessionGrants } from './session-grants.js';

const r = (rule: string) => ({ rule, reason: `${rule} asked` });

describe('createSessionGrants', () => {
  it('covers a request only when every asking rule has a grant for that model', () => {
    const grants = createSessionGrants();
    expect(grants.covers([r('cost.threshold')], 'gpt-4o')).toBe(false);
    grants.add([r('cost.threshold')], 'gpt-4o');
    expect(grants.covers([r('cost.threshold')], 'gpt-4o')).toBe(true);
    expect(grants.covers([r('cost.threshold')], 'gpt-4o-mini')).toBe(false);
    expect(grants.covers([r('cost.threshold'), r('rule:no-shell')], 'gpt-4o')).toBe(false);
    grants.add([r('rule:no-shell')], 'gpt-4o');
    expect(grants.covers([r('cost.threshold'), r('rule:no-shell')], 'gpt-4o')).toBe(true);
  });

  it('does not cover an ask with no reasons, and keeps model-less grants apart', () => {
    const grants = createSessionGrants();
    grants.add([r('endpoint')], undefined);
    expect(grants.covers([], undefined)).toBe(false);
    expect(grants.covers([r('endpoint')], undefined)).toBe(true);
    expect(grants.covers([r('endpoint')], '')).toBe(false);
    expect(grants.covers([r('endpoint')], 'gpt-4o')).toBe(false);
  });

  it('lists the grants once each', () => {
    const grants = createSessionGrants();
    grants.add([r('a'), r('b')], 'm');
    grants.add([r('a')], 'm');
    expect(grants.list()).toEqual([
      { rule: 'a', model: 'm' },
      { rule: 'b', model: 'm' },
    ]);
  });

  it('refusals: one refused asking rule is enough to deny, for that model only', () => {
    const grants = createSessionGrants();
    grants.refuse([{ rule: 'rule:no-shell', reason: '' }], 'gpt-4o');
    expect(grants.refused([{ rule: 'cost.threshold', reason: '' }, { rule: 'rule:no-shell', reason: '' }], 'gpt-4o')).toBe(true);
    expect(grants.refused([{ rule: 'rule:no-shell', reason: '' }], 'gpt-4.1')).toBe(false);
    expect(grants.refused([{ rule: 'cost.threshold', reason: '' }], 'gpt-4o')).toBe(false);
  });
});
