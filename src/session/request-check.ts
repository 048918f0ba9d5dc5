// The request side of the guard: gather the facts, run the policy, settle asks, redact what must not leave.
import type { Approver } from '../approval/types.js';
import { boundRequest, estimateRequest, type RequestEstimate } from '../cost/estimate.js';
import { endpointKind } from '../cost/endpoint-kind.js';
import type { TokenCounter } from '../cost/tokens.js';
import type { Evaluator } from '../policy/evaluate.js';
import { extractRequestTexts } from '../policy/extract.js';
import type { RequestFacts } from '../policy/types.js';
import type { Exchange, RequestVerdict } from '../proxy/types.js';
import type { Decider } from '../recording/format.js';
import type { Recorder } from '../recording/recorder.js';
import type { Scanner } from '../secrets/scan.js';
import { redactWith, type BodyScan } from './body-scan.js';
import { lastUserText } from './excerpt.js';
import { settle } from './settle.js';

export interface RequestCheckContext {
  evaluator: Evaluator;
  scanner: Scanner;
  /** Only guardrun's own keys (real and dummy): always redacted from what leaves. */
  keyScanner: Scanner;
  counter: TokenCounter;
  approver: Approver;
  recorder: Recorder;
  spendUsd: number;
  maskText(text: string): string;
}

export interface RequestCheckResult {
  verdict: RequestVerdict;
  facts: RequestFacts;
  decidedBy?: Decider;
  humanMs?: number;
  /** For a denial: the reason alone (masked), without the "guardrun denied this request (rule)" frame. */
  reason?: string;
}

export async function checkRequest(ex: Exchange, scan: BodyScan | undefined, ctx: RequestCheckContext): Promise<RequestCheckResult> {
  const findings = scan?.findings ?? [];
  const policy = ctx.evaluator.policy;
  const priced = ex.json !== undefined && endpointKind(ex.provider, ex.apiPath) !== undefined;
  let estimate = priced ? estimateFor(ex, ctx) : undefined;
  const facts: RequestFacts = {
    method: ex.method,
    path: ex.endpoint.slice(ex.method.length + 1),
    endpoint: ex.endpoint,
    provider: ex.provider,
    model: ex.model,
    stream: ex.stream,
    body: ex.json,
    texts: extractRequestTexts(ex.json),
    secretFindings: findings.map((f) => ({ detector: f.detector })),
    estimate,
    spendUsd: ctx.spendUsd,
  };
  let decision = ctx.evaluator.request(facts);
  if (decision.verdict === 'ask' && estimate?.bound) {
    // A person will see the estimate: count the tokens for real, and decide again on the exact figure.
    estimate = { ...estimateRequest(ex.provider, ex.apiPath, ex.model, ex.json, ctx.counter, policy.cost.assume_output_tokens), bound: false };
    facts.estimate = estimate;
    decision = ctx.evaluator.request(facts);
  }
  const settled = await settle(
    { id: ex.id, phase: 'request', endpoint: ex.endpoint, model: ex.model, decision, estimateUsd: estimate?.usd, estimateIsBound: estimate?.bound, spendUsd: ctx.spendUsd, excerpt: ctx.maskText(lastUserText(ex.json)), mask: ctx.maskText },
    ctx.approver,
    ctx.recorder,
  );
  if (!settled.allow) {
    const message = ctx.maskText(`guardrun denied this request (${settled.rule}): ${settled.reason}`);
    return { verdict: { allow: false, error: { status: 403, code: settled.rule, message } }, facts, decidedBy: settled.decidedBy, humanMs: settled.humanMs, reason: ctx.maskText(settled.reason) };
  }
  // Guardrun's own keys never leave, whatever the policy; other secrets are redacted when the policy says so.
  const humanMs = settled.humanMs;
  if (!scan || findings.length === 0) return { verdict: { allow: true }, facts, humanMs };
  if (policy.secrets.outbound === 'redact') return { verdict: { allow: true, body: Buffer.from(scan.masked, 'utf8') }, facts, humanMs };
  const exact = new Set(ctx.keyScanner.detectors.map((d) => d.id));
  if (!findings.some((f) => exact.has(f.detector))) return { verdict: { allow: true }, facts, humanMs };
  return { verdict: { allow: true, body: Buffer.from(redactWith(scan, ctx.keyScanner), 'utf8') }, facts, humanMs };
}

/**
 * The cost estimate the policy needs. The tokenizer costs ~0.5 ms per KB of new text, so a cheap upper bound
 * (bytes ≥ tokens) comes first; tokens are counted only when that bound could cross a threshold or the budget.
 */
function estimateFor(ex: Exchange, ctx: RequestCheckContext): RequestEstimate & { bound: boolean } {
  const { cost } = ctx.evaluator.policy;
  const bound = boundRequest(ex.provider, ex.apiPath, ex.model, ex.json, ex.body.length, cost.assume_output_tokens);
  const usd = bound.usd;
  const withinLimits =
    usd !== undefined &&
    (cost.approve_over_usd === null || usd <= cost.approve_over_usd) &&
    (cost.session_budget_usd === null || ctx.spendUsd + usd <= cost.session_budget_usd);
  if ((withinLimits && cost.count_tokens === 'when-needed') || !bound.priceKnown) return { ...bound, bound: true };
  return { ...estimateRequest(ex.provider, ex.apiPath, ex.model, ex.json, ctx.counter, cost.assume_output_tokens), bound: false };
}
