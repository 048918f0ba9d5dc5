import { describe, expect, test } from 'vitest';
import type { Policy } from '../schema.js';
import { requestFacts } from '../test-facts.js';
import type { CostEstimate } from '../types.js';
import { createCostChecks } from './cost.js';

const cost: Policy['cost'] = { approve_over_usd: 0.5, session_budget_usd: 5, assume_output_tokens: 4096, unknown_model: 'ask', count_tokens: 'when-needed', prices: {} };
const guessing: Policy['cost'] = { ...cost, unknown_model: 'guess' };
const priced = (usd: number): CostEstimate => ({ usd, priceKnown: true, inputTokens: 1000, outputTokens: 4096 });
const guessed = (usd: number): CostEstimate => ({ usd, priceKnown: false, priceIsGuess: true, priceEntry: 'gpt-5.6-sol', inputTokens: 1000, outputTokens: 4096 });
const unpriced: CostEstimate = { priceKnown: false, inputTokens: 1000, outputTokens: 4096 };

function verdicts(policyCost: Policy['cost'], estimate: CostEstimate | undefined, spendUsd = 0, reservedUsd = 0) {
  const checks = createCostChecks(policyCost);
  return Object.fromEntries(checks.map((c) => [c.id, (c.evaluate(requestFacts({ estimate, spendUsd, reservedUsd })) as { kind: string }).kind]));
}

describe('cost checks', () => {
  test('ids are stable', () => {
    expect(createCostChecks(cost).map((c) => c.id)).toEqual(['cost.unknown-price', 'cost.threshold', 'cost.budget']);
  });

  test.each([
    ['no estimate (e.g. GET /v1/models)', cost, undefined, 0, { 'cost.unknown-price': 'allow', 'cost.threshold': 'allow', 'cost.budget': 'allow' }],
    ['cheap', cost, priced(0.01), 0, { 'cost.unknown-price': 'allow', 'cost.threshold': 'allow', 'cost.budget': 'allow' }],
    ['exactly at the threshold', cost, priced(0.5), 0, { 'cost.threshold': 'allow' }],
    ['over the threshold', cost, priced(0.51), 0, { 'cost.threshold': 'ask', 'cost.budget': 'allow' }],
    ['threshold off', { ...cost, approve_over_usd: null }, priced(100), 0, { 'cost.threshold': 'allow' }],
    ['spend + estimate exactly the budget', cost, priced(0.25), 4.75, { 'cost.budget': 'allow' }],
    ['spend + estimate past the budget', cost, priced(0.3), 4.75, { 'cost.budget': 'ask', 'cost.threshold': 'allow' }],
    ['budget off', { ...cost, session_budget_usd: null }, priced(0.3), 1000, { 'cost.budget': 'allow' }],
    ['unknown price → ask', cost, unpriced, 0, { 'cost.unknown-price': 'ask', 'cost.threshold': 'allow', 'cost.budget': 'allow' }],
    ['unknown price → deny', { ...cost, unknown_model: 'deny' as const }, unpriced, 0, { 'cost.unknown-price': 'deny' }],
    ['unknown price → allow', { ...cost, unknown_model: 'allow' as const }, unpriced, 0, { 'cost.unknown-price': 'allow' }],
    ['unknown price once the budget is spent', { ...cost, unknown_model: 'allow' as const }, unpriced, 5, { 'cost.budget': 'ask' }],
    ['guessed price → allowed, and it counts', guessing, guessed(0.01), 0, { 'cost.unknown-price': 'allow', 'cost.threshold': 'allow', 'cost.budget': 'allow' }],
    ['guessed price over the threshold → ask', guessing, guessed(0.6), 0, { 'cost.unknown-price': 'allow', 'cost.threshold': 'ask' }],
    ['guessed price past the budget → ask', guessing, guessed(0.3), 4.8, { 'cost.budget': 'ask' }],
    ['guess, but nothing to guess from → ask', guessing, unpriced, 0, { 'cost.unknown-price': 'ask' }],
    ['allow: a guessed price holds nothing back', { ...cost, unknown_model: 'allow' as const }, guessed(0.6), 4.8, { 'cost.unknown-price': 'allow', 'cost.threshold': 'allow', 'cost.budget': 'allow' }],
    ['ask: a guessed price still asks', cost, guessed(0.01), 0, { 'cost.unknown-price': 'ask' }],
  ])('%s', (_name, policyCost, estimate, spend, expected) => {
    expect(verdicts(policyCost, estimate, spend)).toMatchObject(expected);
  });

  test.each([
    ['in-flight reservations count: spend + reserved + estimate within the budget', 4, 0.75, 0.25, 'allow'],
    ['in-flight reservations count: one cent past', 4, 0.76, 0.25, 'ask'],
    ['nothing spent, but the budget is all reserved', 0, 5, 0.01, 'ask'],
  ])('%s', (_name, spend, reserved, estimate, expected) => {
    expect(verdicts(cost, priced(estimate), spend, reserved)['cost.budget']).toBe(expected);
  });

  test('reasons carry the amounts', () => {
    const [, threshold, budget] = createCostChecks(cost);
    expect(threshold.evaluate(requestFacts({ estimate: priced(1.234) }))).toEqual({
      kind: 'ask',
      rule: 'cost.threshold',
      reason: 'this request is estimated at $1.23, over cost.approve_over_usd $0.50',
    });
    expect(budget.evaluate(requestFacts({ estimate: priced(0.4), spendUsd: 4.9 }))).toEqual({
      kind: 'ask',
      rule: 'cost.budget',
      reason: "spent $4.90 + this request's $0.40 would pass cost.session_budget_usd $5.00",
    });
    expect(budget.evaluate(requestFacts({ estimate: priced(0.4), spendUsd: 4, reservedUsd: 0.9 }))).toMatchObject({
      reason: "spent $4.00 + $0.90 in flight + this request's $0.40 would pass cost.session_budget_usd $5.00",
    });
  });
});
