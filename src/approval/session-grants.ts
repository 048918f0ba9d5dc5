// "Allow / deny for the rest of this session": standing answers keyed by rule id and model.
import type { ApprovalReason } from './types.js';

export interface SessionGrant {
  rule: string;
  /** Undefined when the request named no model; such a grant only covers model-less requests. */
  model: string | undefined;
}

export interface SessionGrants {
  /** Grants every asking rule for this model. */
  add(reasons: readonly ApprovalReason[], model: string | undefined): void;
  /** True when every asking rule has a grant for this model (false when nothing asked). */
  covers(reasons: readonly ApprovalReason[], model: string | undefined): boolean;
  /** Refuses every asking rule for this model from now on ("deny for the rest of this session"). */
  refuse(reasons: readonly ApprovalReason[], model: string | undefined): void;
  /** True when any asking rule was refused for this model: one refusal is enough to deny. */
  refused(reasons: readonly ApprovalReason[], model: string | undefined): boolean;
  list(): SessionGrant[];
}

// A NUL cannot occur in a rule id or model name, so the key is unambiguous.
const keyOf = (rule: string, model: string | undefined): string => `${rule}\u0000${model ?? ''}\u0000${model === undefined ? 0 : 1}`;

export function createSessionGrants(): SessionGrants {
  const grants = new Map<string, SessionGrant>();
  const refusals = new Set<string>();
  return {
    refuse(reasons, model) {
      for (const { rule } of reasons) refusals.add(keyOf(rule, model));
    },
    refused(reasons, model) {
      return reasons.some(({ rule }) => refusals.has(keyOf(rule, model)));
    },
    add(reasons, model) {
      for (const { rule } of reasons) grants.set(keyOf(rule, model), { rule, model });
    },
    covers(reasons, model) {
      return reasons.length > 0 && reasons.every(({ rule }) => grants.has(keyOf(rule, model)));
    },
    list() {
      return [...grants.values()];
    },
  };
}
