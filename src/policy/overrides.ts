// Cost limits given for one run on the command line (`--budget`, `--approve-over`), over the policy file's.
import { GuardrunError } from '../errors.js';
import type { LoadedPolicy } from './load.js';

export interface CostOverrides {
  /** `cost.session_budget_usd` for this run; null: no budget. */
  budgetUsd?: number | null;
  /** `cost.approve_over_usd` for this run; null: never ask. */
  approveOverUsd?: number | null;
}

/**
 * The policy with the overrides applied; the session file records them next to the policy's source and hash
 * (`policy.overrides`), so a replay knows the limits in force.
 */
export function applyCostOverrides(loaded: LoadedPolicy, o: CostOverrides): LoadedPolicy {
  const overrides: Record<string, number | null> = {};
  if (o.budgetUsd !== undefined) overrides.session_budget_usd = o.budgetUsd;
  if (o.approveOverUsd !== undefined) overrides.approve_over_usd = o.approveOverUsd;
  if (Object.keys(overrides).length === 0) return loaded;
  const cost = { ...loaded.policy.cost, ...overrides };
  return { ...loaded, policy: { ...loaded.policy, cost }, overrides: { ...loaded.overrides, ...overrides } };
}

/**
 * A USD amount from the command line: a number ≥ 0 (`2`, `0.25`, `$5`), or `none` / `off` for no limit (null).
 * Throws E_USAGE naming the flag otherwise.
 */
export function parseUsdFlag(flag: string, value: string): number | null {
  const text = value.trim().replace(/^\$/, '');
  if (/^(none|off)$/i.test(text)) return null;
  const usd = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(usd)) {
    throw new GuardrunError('E_USAGE', `${flag} expects an amount in USD, got "${value}"`, `give a number such as ${flag} 2 or ${flag} 0.25 (or ${flag} none for no limit)`);
  }
  return usd;
}
