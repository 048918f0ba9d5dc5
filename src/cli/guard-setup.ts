// The policy and the approver for a run, from the CLI's flags (shared by run, demo and replay).
import { chooseApprover } from '../approval/choose-approver.js';
import { createSessionGrants } from '../approval/session-grants.js';
import { loadPolicy } from '../policy/load.js';
import { applyCostOverrides, type CostOverrides } from '../policy/overrides.js';
import type { GuardSetup } from '../session/session-guard.js';
import type { CliIO } from './io.js';

/** The guard of a run, and why nobody could be asked once the run chose its approver. */
export interface CliGuardSetup extends GuardSetup {
  /** How the exit summary tags asks denied at once (`ci`, `no terminal`); undefined with a terminal. */
  nobodyToAsk(): 'ci' | 'no terminal' | undefined;
}

export async function guardSetup(flags: { policy?: string; ci?: boolean; cost?: CostOverrides }, io: CliIO): Promise<CliGuardSetup> {
  const policy = applyCostOverrides(await loadPolicy({ file: flags.policy, cwd: io.cwd, env: io.env }), flags.cost ?? {});
  let nobodyToAsk: 'ci' | 'no terminal' | undefined;
  return {
    policy,
    approver: (child) => {
      const chosen = chooseApprover({
        ci: flags.ci === true,
        env: io.env,
        timeoutMs: policy.policy.approval.timeout_s * 1000,
        pause: child.pause,
        resume: child.resume,
        stopRun: child.stop,
        grants: createSessionGrants(),
      });
      nobodyToAsk = chosen.mode === 'ci' ? chosen.tag : undefined;
      return chosen.approver;
    },
    nobodyToAsk: () => nobodyToAsk,
  };
}
