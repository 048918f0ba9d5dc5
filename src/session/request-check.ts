// The request side of the guard: gather the facts, run the policy, settle asks, redact what must not leave.
import type { Approver } from '../approval/types.js';
import { estimateRequest } from '../cost/estimate.js';
import { endpointKind } from '../cost/endpoint-kind.js';
import type { TokenCounter } from '../cost/tokens.js';
import type { Evaluator } from '../policy/evaluate.js';
import { extractRequestTexts } from '../policy/extract.js';
import type { RequestFacts } from '../policy/types.js';
import { maskDeep } from '../proxy/record-exchange.js';
import type { Exchange, RequestVerdict } from '../proxy/types.js';
import type { Decider } from '../recording/format.js';
import type { Recorder } from '../recording/recorder.js';
import type { Scanner } from '../secrets/scan.js';
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
}

export async function checkRequest(ex: Exchange, ctx: RequestCheckContext): Promise<RequestCheckResult> {
  const text = ex.json !== undefined || ex.contentType.startsWith('text/') ? ex.body.toString('utf8') : undefined;
  const findings = text === undefined ? [] : ctx.scanner.find(text);
  const policy = ctx.evaluator.policy;
  const priced = ex.json !== undefined && endpointKind(ex.provider, ex.apiPath) !== undefined;
  const estimate = priced ? estimateRequest(ex.provider, ex.apiPath, ex.model, ex.json, ctx.counter, policy.cost.assume_output_tokens) : undefined;
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
  const decision = ctx.evaluator.request(facts);
  const settled = await settle(
    { id: ex.id, phase: 'request', endpoint: ex.endpoint, model: ex.model, decision, estimateUsd: estimate?.usd, spendUsd: ctx.spendUsd, excerpt: ctx.maskText(lastUserText(ex.json)) },
    ctx.approver,
    ctx.recorder,
  );
  if (!settled.allow) {
    const message = ctx.maskText(`guardrun denied this request (${settled.rule}): ${settled.reason}`);
    return { verdict: { allow: false, error: { status: 403, code: settled.rule, message } }, facts, decidedBy: settled.decidedBy };
  }
  // Guardrun's own keys never leave, whatever the policy; other secrets are redacted when the policy says so.
  const redact = findings.filter((f) => ctx.scanner.detectors.find((d) => d.id === f.detector)?.exact || policy.secrets.outbound === 'redact');
  if (redact.length === 0 || text === undefined) return { verdict: { allow: true }, facts };
  return { verdict: { allow: true, body: Buffer.from(redactBody(text, ex.json !== undefined, ctx), 'utf8') }, facts };
}

/** The body with secrets replaced; JSON stays valid (masking string by string if a match crossed JSON syntax). */
function redactBody(text: string, isJson: boolean, ctx: RequestCheckContext): string {
  const masked = ctx.scanner.mask(text).text;
  if (!isJson) return masked;
  try {
    JSON.parse(masked);
    return masked;
  } catch {
    return JSON.stringify(maskDeep(JSON.parse(text), ctx.maskText));
  }
}
