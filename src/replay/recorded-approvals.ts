// During a re-run, an ask that a human allowed in the recording stays allowed: the same question (phase,
// endpoint, model, excerpt, and no rule the human was not asked about) gets the recorded answer once.
// Anything else goes to the real approver (a terminal prompt, or a deny in CI).
import type { ApprovalAnswer, ApprovalRequest, Approver } from '../approval/types.js';
import type { DecisionEvent } from '../recording/format.js';
import { lastUserText } from '../session/excerpt.js';
import type { RecordedExchange } from './exchanges.js';
import { apiPathOf } from './recorded-facts.js';
import { recordedToolCalls } from './stream-tool-calls.js';

interface Approval {
  decision: DecisionEvent;
  endpoint: string;
  model?: string;
  excerpt: string;
  used: boolean;
}

export function replayApprovals(exchanges: readonly RecordedExchange[], inner: Approver, mask: (text: string) => string): Approver {
  const approvals: Approval[] = [];
  for (const ex of exchanges) {
    if (!ex.request) continue;
    for (const d of ex.decisions) {
      if (d.verdict !== 'allow' || (d.decidedBy !== 'human' && d.decidedBy !== 'session-grant')) continue;
      approvals.push({ decision: d, endpoint: ex.request.endpoint, model: ex.request.model, excerpt: excerptOf(ex, d.phase, mask), used: false });
    }
  }
  return {
    mode: inner.mode,
    async ask(q: ApprovalRequest): Promise<ApprovalAnswer> {
      const hit = approvals.find(
        (a) => !a.used && a.decision.phase === q.phase && a.endpoint === q.endpoint && a.model === q.model && a.excerpt === q.excerpt && q.reasons.every((r) => a.decision.rules.includes(r.rule)),
      );
      if (!hit) return inner.ask(q);
      hit.used = true;
      // Recorded as an earlier grant (no prompt was shown in this run).
      return { kind: 'allow', scope: hit.decision.scope ?? 'once', by: 'human', humanMs: 0, fromGrant: true };
    },
    close: () => inner.close(),
  };
}

/** The excerpt the live guard showed for this question (session/request-check.ts, session-guard.ts). */
function excerptOf(ex: RecordedExchange, phase: 'request' | 'response', mask: (text: string) => string): string {
  const req = ex.request!;
  if (phase === 'request') return mask(lastUserText(req.body && 'json' in req.body ? req.body.json : undefined));
  if (!ex.response) return '';
  return mask(recordedToolCalls(req.provider, apiPathOf(req), ex.response).map((c) => `tool ${c.name}: ${c.arguments}`).join('\n'));
}
