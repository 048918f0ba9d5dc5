import { describe, expect, it } from 'vitest';
import { SpendLedger } from './spend-ledger.js';

const totals = () => ({ costUsd: 0, estimatedUsd: 0 });

describe('SpendLedger', () => {
  it('holds a reservation until it is settled with the billed cost', () => {
    const t = totals();
    const ledger = new SpendLedger<object>(t);
    const a = {};
    const b = {};
    ledger.reserve(a, 0.01);
    ledger.reserve(b, 0.02);
    expect(ledger.reservedUsd()).toBeCloseTo(0.03, 12);
    ledger.settle(a, 0.012, false);
    expect(ledger.reservedUsd()).toBeCloseTo(0.02, 12);
    expect(ledger.spentUsd()).toBeCloseTo(0.012, 12);
    ledger.settle(b, 0.005, true);
    expect(ledger.reservedUsd()).toBe(0); // exactly 0 once nothing is held, no float drift
    expect(t).toEqual({ costUsd: 0.017, estimatedUsd: 0.005 });
  });

  it('releases a reservation without charging (denied, never sent)', () => {
    const t = totals();
    const ledger = new SpendLedger<object>(t);
    const a = {};
    ledger.reserve(a, 0.5);
    ledger.release(a);
    ledger.release(a);
    expect(ledger.reservedUsd()).toBe(0);
    expect(t.costUsd).toBe(0);
  });

  it('replaces a second reservation of the same key, and ignores nonsense amounts', () => {
    const ledger = new SpendLedger<object>(totals());
    const a = {};
    ledger.reserve(a, 0.1);
    ledger.reserve(a, 0.3);
    ledger.reserve({}, Number.NaN);
    ledger.reserve({}, -1);
    expect(ledger.reservedUsd()).toBeCloseTo(0.3, 12);
    expect(ledger.reservation(a)).toBe(0.3);
  });

  it('settles a key that held nothing (a request decided before the prices loaded)', () => {
    const t = totals();
    new SpendLedger<object>(t).settle({}, 0.25, false);
    expect(t.costUsd).toBe(0.25);
  });
});
