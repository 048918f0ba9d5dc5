// Checks `cost.unknown-price`, `cost.threshold`, `cost.budget`: asks before spending much, or past the budget.
// A request without an estimate (e.g. GET /v1/models) passes all three.
import type { Policy } from '../schema.js';
import { ALLOW, type CostEstimate, type RequestCheck, type Verdict } from '../types.js';

export const COST_THRESHOLD_CHECK = 'cost.threshold';
export const COST_BUDGET_CHECK = 'cost.budget';
export const COST_UNKNOWN_PRICE_CHECK = 'cost.unknown-price';

function usd(amount: number): string {
  return `$${amount < 0.01 && amount > 0 ? amount.toPrecision(2) : amount.toFixed(2)}`;
}

/**
 * The part of an estimate that the limits count (and that is reserved against the budget while the request is
 * in flight): its USD, except a guessed price under `cost.unknown_model: allow`, which holds nothing back.
 */
export function limitedUsd(cost: Policy['cost'], estimate: CostEstimate | undefined): number | undefined {
  if (!estimate || estimate.usd === undefined) return undefined;
  if (estimate.priceIsGuess && cost.unknown_model === 'allow') return undefined;
  return estimate.usd;
}

export function createCostChecks(cost: Policy['cost']): RequestCheck[] {
  const unknownPrice: RequestCheck = {
    id: COST_UNKNOWN_PRICE_CHECK,
    phase: 'request',
    evaluate(facts): Verdict {
      const e = facts.estimate;
      if (!e || e.priceKnown || cost.unknown_model === 'allow') return ALLOW;
      const model = facts.model ?? 'unknown';
      if (cost.unknown_model === 'guess') {
        if (e.usd !== undefined) return ALLOW;
        // Nothing to guess from: without any estimate the limits could not hold it.
        return { kind: 'ask', rule: COST_UNKNOWN_PRICE_CHECK, reason: `no price is known or can be guessed for model "${model}", so its cost cannot be estimated` };
      }
      const guessed = e.priceIsGuess && e.priceEntry ? ` (its guessed price is ${e.priceEntry}'s)` : '';
      return {
        kind: cost.unknown_model,
        rule: COST_UNKNOWN_PRICE_CHECK,
        reason: `no price is known for model "${model}"${guessed} (cost.unknown_model: ${cost.unknown_model})`,
      };
    },
  };
  const threshold: RequestCheck = {
    id: COST_THRESHOLD_CHECK,
    phase: 'request',
    evaluate(facts): Verdict {
      const estimate = limitedUsd(cost, facts.estimate);
      const limit = cost.approve_over_usd;
      if (estimate === undefined || limit === null || estimate <= limit) return ALLOW;
      const guessed = facts.estimate?.priceIsGuess ? ` (priced as ${facts.estimate.priceEntry}, a guess)` : '';
      return { kind: 'ask', rule: COST_THRESHOLD_CHECK, reason: `this request is estimated at ${usd(estimate)}${guessed}, over cost.approve_over_usd ${usd(limit)}` };
    },
  };
  const budget: RequestCheck = {
    id: COST_BUDGET_CHECK,
    phase: 'request',
    evaluate(facts): Verdict {
      const limit = cost.session_budget_usd;
      if (!facts.estimate || limit === null) return ALLOW;
      const reserved = facts.reservedUsd ?? 0;
      const committed = facts.spendUsd + reserved;
      // Without a price the estimate counts as 0: the budget still stops requests once it is spent.
      const counted = limitedUsd(cost, facts.estimate);
      const estimate = counted ?? 0;
      if (counted === undefined ? committed < limit : committed + estimate <= limit) return ALLOW;
      const inFlight = reserved > 0 ? ` + ${usd(reserved)} in flight` : '';
      return {
        kind: 'ask',
        rule: COST_BUDGET_CHECK,
        reason: `spent ${usd(facts.spendUsd)}${inFlight} + this request's ${usd(estimate)} would pass cost.session_budget_usd ${usd(limit)}`,
      };
    },
  };
  return [unknownPrice, threshold, budget];
}
