// CI mode: nobody can be asked, so every ask is denied at once with a reason that says so.
import type { ApprovalAnswer, ApprovalRequest, Approver } from './types.js';

/** The reason a CI deny carries: it reaches the agent (error message) and the exit summary. */
export function ciDenyReason(q: ApprovalRequest, why: string): string {
  const asked = q.reasons.length > 0 ? q.reasons.map((r) => `${r.rule}: ${r.reason}`).join('; ') : 'policy';
  return `approval was needed (${asked}) but ${nobodyToAsk(why)}, so the request was denied`;
}

/** Why nobody was asked, in words: the user's own choice (--ci, CI) reads differently from a missing terminal. */
function nobodyToAsk(why: string): string {
  if (why === '--ci') return 'nobody is asked in CI mode (--ci was given)';
  if (why === 'CI is set') return 'nobody is asked in CI mode (the CI variable is set)';
  return `no terminal was available to ask (${why})`;
}

/** `why` says why there is no terminal: "CI is set", "--ci", "no terminal (/dev/tty: ENXIO)". */
export function createCiApprover(why: string): Approver {
  return {
    mode: 'ci',
    async ask(q: ApprovalRequest): Promise<ApprovalAnswer> {
      return { kind: 'deny', by: 'ci', reason: ciDenyReason(q, why) };
    },
    close() {},
  };
}
