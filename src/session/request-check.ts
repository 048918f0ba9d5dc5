// The request side of the guard: gather the facts, run the policy, settle asks, redact what must not leave.
import type { Approver } from '../approval/types.js';
import { boundRequest, estimateRequest, type RequestEstimate } from '../cost/estimate.js';
import { endpointKind } from '../cost/endpoint-kind.js';
import type { TokenCounter } from '../cost/tokens.js';
import type { Evaluator } from '../policy/evaluate.js';
import { extractRequestTexts } from '../policy/extract.js';
import type { RequestFacts } from '../policy/types.js';
import { maskDeep } from '../proxy/record-exchange.js';
import type { Exchange, RequestVerdict } from '../proxy/types.js';
import type { Decider } from '../recording/format.js';
import type { Recorder } from '../recording/recorder.js';
import { applyFindings, type Finding, type Scanner } from '../secrets/scan.js';
import { lastUserText } from './excerpt.js';
import { settle } from './settle.js';

export interface RequestCheckContext {
  evaluator: Evaluator;
  scanner: Scanner;
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
}

/** A body's text, its secrets and its masked form. */
export interface BodyScan {
  text: string;
  findings: Finding[];
  masked: string;
}

export function isTextBody(ex: Exchange): boolean {
  return ex.body.length > 0 && (ex.json !== undefined || ex.contentType.startsWith('text/'));
}

export function scanBody(text: string, scanner: Scanner): BodyScan {
  const findings = scanner.find(text);
  return { text, findings, masked: findings.length === 0 ? text : applyFindings(text, findings) };
}

export async function checkRequest(ex: Exchange, scan: BodyScan | undefined, ctx: RequestCheckContext): Promise<RequestCheckResult> {
  const text = scan?.text;
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
    { id: ex.id, phase: 'request', endpoint: ex.endpoint, model: ex.model, decision, estimateUsd: estimate?.usd, estimateIsBound: estimate?.bound, spendUsd: ctx.spendUsd, excerpt: ctx.maskText(lastUserText(ex.json)) },
    ctx.approver,
    ctx.recorder,
  );
  if (!settled.allow) {
    const message = ctx.maskText(`guardrun denied this request (${settled.rule}): ${settled.reason}`);
    return { verdict: { allow: false, error: { status: 403, code: settled.rule, message } }, facts, decidedBy: settled.decidedBy, humanMs: settled.humanMs };
  }
  // Guardrun's own keys never leave, whatever the policy; other secrets are redacted when the policy says so.
  const redact = findings.filter((f) => ctx.scanner.detectors.find((d) => d.id === f.detector)?.exact || policy.secrets.outbound === 'redact');
  const humanMs = settled.humanMs;
  if (redact.length === 0 || text === undefined) return { verdict: { allow: true }, facts, humanMs };
  const redacted = redact.length === findings.length ? scan!.masked : applyFindings(text, redact);
  return { verdict: { allow: true, body: Buffer.from(validJson(redacted, text, ex.json !== undefined, ctx), 'utf8') }, facts, humanMs };
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

/** The redacted body, kept valid JSON (masking string by string if a match crossed JSON syntax). */
function validJson(masked: string, text: string, isJson: boolean, ctx: RequestCheckContext): string {
  if (!isJson) return masked;
  try {
    JSON.parse(masked);
    return masked;
  } catch {
    return JSON.stringify(maskDeep(JSON.parse(text), ctx.maskText));
  }
}
