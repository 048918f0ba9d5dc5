// Whether an egress connection may be opened, and how: the policy's `network` lists (an ask goes to the
// approver like any other ask; in CI it is denied), then the address check, or the user's own proxy.
import type { ApprovalAnswer, ApprovalRequest } from '../../approval/types.js';
import type { Decider } from '../../recording/format.js';
import { resolveDialable } from './address-guard.js';
import type { NetworkDecider } from './network-decision.js';
import type { ParentProxies, ParentProxy } from './parent-proxy.js';
import { formatTarget, type Target } from './target.js';

export interface Admitted {
  ok: true;
  rule: string;
  pattern?: string;
  decidedBy: Decider;
  /** Dial this address directly… */
  address?: string;
  /** …or go through the user's proxy. */
  parent?: ParentProxy;
  /** The policy allows it but the name does not resolve (`ENOTFOUND`): nothing to dial, answered 502. */
  unresolved?: string;
}

export interface Refused {
  ok: false;
  /** 403: the policy, a human, CI, or a local address refused it. */
  status: number;
  rule: string;
  pattern?: string;
  reason: string;
  decidedBy: Decider;
}

export interface AdmitContext {
  decider: NetworkDecider;
  parents: ParentProxies;
  /** Asks a human (or CI, which denies). Never rejects. */
  ask(q: ApprovalRequest): Promise<ApprovalAnswer>;
  /** The session's spend so far, for the prompt. */
  spendUsd(): number;
  /** Resolves names (tests replace it). */
  resolve?: (host: string) => Promise<string[]>;
}

/** One question per target at a time: connections that arrive while it is asked wait for the same answer. */
export function createAdmission(ctx: AdmitContext): (target: Target, scheme: 'https' | 'http', id: number) => Promise<Admitted | Refused> {
  const asking = new Map<string, Promise<ApprovalAnswer>>();
  return async (target, scheme, id) => {
    const shown = formatTarget(target);
    const verdict = ctx.decider.decide(target);
    let decidedBy: Decider = 'policy';
    if (verdict.kind === 'deny') return { ok: false, status: 403, rule: verdict.rule, pattern: verdict.pattern, reason: verdict.reason, decidedBy };
    if (verdict.kind === 'ask') {
      let pending = asking.get(shown);
      if (!pending) {
        pending = ctx.ask({
          id, kind: 'egress', phase: 'request', endpoint: `CONNECT ${shown}`, model: shown, spendUsd: ctx.spendUsd(),
          reasons: [{ rule: verdict.rule, reason: verdict.reason }],
          excerpt: `the agent opens a connection to ${shown} (not a model call: guardrun passes it on unread)`,
        });
        asking.set(shown, pending);
        void pending.finally(() => asking.delete(shown));
      }
      const answer = await pending;
      if (answer.kind === 'deny') return { ok: false, status: 403, rule: verdict.rule, reason: answer.reason, decidedBy: answer.fromGrant ? 'session-grant' : answer.by };
      decidedBy = answer.fromGrant ? 'session-grant' : 'human';
    }
    const parent = ctx.parents.for(target, scheme);
    const resolved = await resolveDialable(target.host, target.port, ctx.decider.allowsAddress, ctx.resolve);
    if ('refused' in resolved) {
      const reason = `${shown} is a loopback or link-local address (${resolved.addresses.join(', ')}); guardrun dials those only when network.allow names the address itself, e.g. "${resolved.addresses[0].includes(':') ? `[${resolved.addresses[0]}]` : resolved.addresses[0]}:${target.port}"`;
      return { ok: false, status: 403, rule: 'network.loopback', reason, decidedBy: 'policy' };
    }
    // Through a parent proxy the proxy resolves the name; guardrun's own lookup only served the address check.
    if (parent) return { ok: true, rule: verdict.rule, pattern: verdict.pattern, decidedBy, parent };
    if ('error' in resolved) return { ok: true, rule: verdict.rule, pattern: verdict.pattern, decidedBy, unresolved: resolved.error };
    return { ok: true, rule: verdict.rule, pattern: verdict.pattern, decidedBy, address: resolved.address };
  };
}
