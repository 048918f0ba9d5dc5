// Turns a policy decision into allow or deny: asks go to the approver; every outcome is written to the session file.
import type { Approver } from '../approval/types.js';
import type { Decision } from '../policy/types.js';
import type { Decider, DecisionEvent } from '../recording/format.js';
import type { Recorder } from '../recording/recorder.js';

export interface SettleInput {
  id: number;
  phase: 'request' | 'response';
  endpoint: string;
  model: string | undefined;
  decision: Decision;
  estimateUsd?: number;
  /** For a response: the estimate recorded for its request, shown in the approval prompt (not written again here). */
  requestEstimateUsd?: number;
  /** The estimate is the tokenizer-free upper bound (it was far enough below every limit). */
  estimateIsBound?: boolean;
  /** The estimate uses a guessed price (priced as `priceEntry`). */
  priceIsGuess?: boolean;
  priceEntry?: string;
  spendUsd: number;
  /** Reserved by other requests in flight. */
  reservedUsd?: number;
  /** What the person asked is shown of the request (masked); made only when someone is asked. */
  excerpt: () => string;
  /** Masks what is written down: reasons may quote the request (a model name, a path). */
  mask: (text: string) => string;
}

export type Settled = ({ allow: true } | { allow: false; rule: string; reason: string; decidedBy: Decider }) & { humanMs?: number };

export async function settle(input: SettleInput, approver: Approver, recorder: Recorder): Promise<Settled> {
  const { decision } = input;
  const event: DecisionEvent = {
    type: 'decision', id: input.id, phase: input.phase, verdict: 'allow', decidedBy: 'policy',
    checks: decision.results.map((r) => ({ id: r.check, verdict: r.verdict, reason: r.reason === undefined ? undefined : input.mask(r.reason) })),
    rules: [...decision.denies, ...decision.asks].map((r) => r.rule ?? r.check),
    estimateUsd: input.estimateUsd, estimateIsBound: input.estimateIsBound || undefined,
    priceIsGuess: input.priceIsGuess || undefined, priceEntry: input.priceEntry === undefined ? undefined : input.mask(input.priceEntry),
    spendUsd: round(input.spendUsd), reservedUsd: input.reservedUsd ? round(input.reservedUsd) : undefined,
  };
  let settled: Settled;
  if (decision.verdict === 'allow') {
    settled = { allow: true };
  } else if (decision.verdict === 'deny') {
    const first = decision.denies[0];
    settled = { allow: false, rule: first.rule ?? first.check, reason: decision.reason ?? 'denied by policy', decidedBy: 'policy' };
  } else {
    const reasons = decision.asks.map((a) => ({ rule: a.rule ?? a.check, reason: a.reason ?? '' }));
    const answer = await approver.ask({
      id: input.id, phase: input.phase, endpoint: input.mask(input.endpoint), model: input.model === undefined ? undefined : input.mask(input.model),
      estimateUsd: input.estimateUsd ?? input.requestEstimateUsd, spendUsd: input.spendUsd, reasons: reasons.map((r) => ({ ...r, reason: input.mask(r.reason) })), excerpt: input.excerpt(),
    });
    if (answer.kind === 'allow') {
      settled = { allow: true };
      event.decidedBy = answer.fromGrant ? 'session-grant' : 'human';
      event.scope = answer.scope;
      if (!answer.fromGrant) event.humanMs = answer.humanMs;
    } else {
      settled = { allow: false, rule: reasons[0].rule, reason: answer.reason, decidedBy: answer.fromGrant ? 'session-grant' : answer.by };
      if (!answer.fromGrant) event.humanMs = answer.humanMs;
    }
  }
  if (!settled.allow) {
    event.verdict = 'deny';
    event.decidedBy = settled.decidedBy;
    event.reason = settled.reason;
  } else if (decision.verdict === 'ask') {
    event.reason = decision.reason;
  }
  if (event.reason !== undefined) event.reason = input.mask(event.reason);
  recorder.write(event);
  return settled.allow ? { ...settled, humanMs: event.humanMs } : { ...settled, reason: input.mask(settled.reason), humanMs: event.humanMs };
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
