// Checks `cost.unknown-price`, `cost.threshold`, `cost.budget`: asks before spending much, or past the budget.
// A request without an estimate (e.g. GET /v1/models) passes all three.
import type { Policy } from '../schema.js';
import { ALLOW, type RequestCheck, type Verdict } from '../types.js';

export const COST_THRESHOLD_CHECK = 'cost.threshold';
export const COST_BUDGET_CHECK = 'cost.budget';
export const COST_UNKNOWN_PRICE_CHECK = 'cost.unknown-price';

function usd(amount: number): string {
  return `$${amount < 0.01 && amount > 0 ? amount.toPrecision(2) : amount.toFixed(2)}`;
}

export function createCostChecks(cost: Policy['cost']): RequestCheck[] {
  const unknownPrice: RequestCheck = {
    id: COST_UNKNOWN_PRICE_CHECK,
    phase: 'request',
    evaluate(facts): Verdict {
      if (!facts.estimate || facts.estimate.priceKnown || cost.unknown_model === 'allow') return ALLOW;
      return {
        kind: cost.unknown_model,
        rule: COST_UNKNOWN_PRICE_CHECK,
        reason: `no price is known for model "${facts.model ?? 'unknown'}", so its cost cannot be estimated (cost.unknown_model: ${cost.unknown_model})`,
      };
    },
  };
  const threshold: RequestCheck = {
    id: COST_THRESHOLD_CHECK,
    phase: 'request',
    evaluate(facts): Verdict {
      const estimate = facts.estimate?.usd;
      const limit = cost.approve_over_usd;
      if (estimate === undefined || limit === null || estimate <= limit) return ALLOW;
      return { kind: 'ask', rule: COST_THRESHOLD_CHECK, reason: `this request is estimated at ${usd(estimate)}, over cost.approve_over_usd ${usd(limit)}` };
    },
  };
  const budget: RequestCheck = {
    id: COST_BUDGET_CHECK,
    phase: 'request',
    evaluate(facts): Verdict {
      const limit = cost.session_budget_usd;
      if (!facts.estimate || limit === null) return ALLOW;
      // Without a price the estimate counts as 0: the budget still stops requests once it is spent.
      const estimate = facts.estimate.usd ?? 0;
      if (facts.estimate.usd === undefined ? facts.spendUsd < limit : facts.spendUsd + estimate <= limit) return ALLOW;
      return {
        kind: 'ask',
        rule: COST_BUDGET_CHECK,
        reason: `spent ${usd(facts.spendUsd)} + this request's ${usd(estimate)} would pass cost.session_budget_usd ${usd(limit)}`,
      };
    },
  };
  return [unknownPrice, threshold, budget];
}
