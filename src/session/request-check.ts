// The request side of the guard: gather the facts, run the policy, settle asks, redact what must not leave.
import type { Approver } from '../approval/types.js';
import { boundRequest, estimateRequestAsync, type RequestEstimate } from '../cost/estimate.js';
import { endpointKind } from '../cost/endpoint-kind.js';
import type { PriceBook } from '../cost/price-book.js';
import type { TokenCounter } from '../cost/tokens.js';
import { limitedUsd } from '../policy/checks/cost.js';
import type { Evaluator } from '../policy/evaluate.js';
import type { Policy } from '../policy/schema.js';
import { extractRequestTexts } from '../policy/extract.js';
import type { RequestFacts } from '../policy/types.js';
import type { Exchange, RequestVerdict } from '../proxy/types.js';
import type { Decider } from '../recording/format.js';
import type { Recorder } from '../recording/recorder.js';
import type { Scanner } from '../secrets/scan.js';
import { redactWith, type BodyScan } from './body-scan.js';
import { scanSurface, type PlacedFinding } from './surface-scan.js';
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
  book: PriceBook;
  /** The session's spend, read at the moment of the decision; `reserve` holds this request's estimate. */
  budget: { spentUsd(): number; reservedUsd(): number; reserve(usd: number): void; release(): void };
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
  // The body (JSON, text, form fields), then everything else that leaves: path, query, headers, multipart parts.
  const surface = scanSurface(ex, ctx.scanner);
  const bodyFindings: PlacedFinding[] = ex.bodyKind === 'form' ? [] : (scan?.findings ?? []).map((f) => ({ detector: f.detector, where: 'body' }));
  const findings: PlacedFinding[] = [...bodyFindings, ...surface.findings];
  const policy = ctx.evaluator.policy;
  const priced = ex.json !== undefined && endpointKind(ex.provider, ex.apiPath) !== undefined;
  // The price data loads in the background at start-up; a request waits for it only if a limit needs a price.
  if (priced && !ctx.book.ready && needsPrice(policy.cost)) await ctx.book.whenReady();
  // The estimate may wait for the token worker. From the spend read after it to the reservation nothing awaits:
  // the spend read is the spend the reservation joins.
  let estimate = priced && ctx.book.ready ? await estimateFor(ex, ctx) : undefined;
  let spendUsd = ctx.budget.spentUsd();
  let reservedUsd = ctx.budget.reservedUsd();
  const facts: RequestFacts = {
    method: ex.method,
    path: ex.endpoint.slice(ex.method.length + 1),
    endpoint: ex.endpoint,
    provider: ex.provider,
    model: ex.model,
    stream: ex.stream,
    body: ex.json,
    texts: requestTexts(ex),
    secretFindings: findings,
    unredactable: surface.unredactable,
    uninspected: ex.uninspected,
    estimate,
    spendUsd,
    reservedUsd,
  };
  let decision = ctx.evaluator.request(facts);
  if (decision.verdict === 'ask' && estimate?.bound) {
    // A person will see the estimate: count the tokens for real, and decide again on the exact figure (and the spend then).
    estimate = await exactEstimate(ex, ctx);
    facts.estimate = estimate;
    facts.spendUsd = spendUsd = ctx.budget.spentUsd();
    facts.reservedUsd = reservedUsd = ctx.budget.reservedUsd();
    decision = ctx.evaluator.request(facts);
  }
  // Reserve before settling: while a person is asked, or the answer streams, others see this request's share.
  const reserve = decision.verdict === 'deny' ? undefined : limitedUsd(policy.cost, estimate);
  if (reserve !== undefined) ctx.budget.reserve(reserve);
  const settled = await settle(
    {
      id: ex.id, phase: 'request', endpoint: ex.endpoint, model: ex.model, decision, estimateUsd: estimate?.usd, estimateIsBound: estimate?.bound,
      priceIsGuess: estimate?.priceIsGuess, priceEntry: estimate?.priceIsGuess ? estimate.priceEntry : undefined,
      spendUsd, reservedUsd, excerpt: () => ctx.maskText(lastUserText(ex.json)), mask: ctx.maskText,
    },
    ctx.approver,
    ctx.recorder,
  );
  if (!settled.allow) {
    ctx.budget.release();
    const message = ctx.maskText(`guardrun denied this request (${settled.rule}): ${settled.reason}`);
    return { verdict: { allow: false, error: { status: 403, code: settled.rule, message } }, facts, decidedBy: settled.decidedBy, humanMs: settled.humanMs, reason: ctx.maskText(settled.reason) };
  }
  // Guardrun's own keys never leave, whatever the policy; other secrets are redacted when the policy says so.
  const humanMs = settled.humanMs;
  if (findings.length === 0) return { verdict: { allow: true }, facts, humanMs };
  if (policy.secrets.outbound === 'redact') {
    const body = ex.bodyKind === 'form' ? surface.maskedForm : bodyFindings.length > 0 ? scan?.masked : undefined;
    return { verdict: redacted(body, surface.maskedPath, surface.maskedHeaders), facts, humanMs };
  }
  const exact = new Set(ctx.keyScanner.detectors.map((d) => d.id));
  if (!findings.some((f) => exact.has(f.detector))) return { verdict: { allow: true }, facts, humanMs };
  const own = scanSurface(ex, ctx.keyScanner);
  const body = ex.bodyKind === 'form' ? own.maskedForm : scan && bodyFindings.some((f) => exact.has(f.detector)) ? redactWith(scan, ctx.keyScanner) : undefined;
  return { verdict: redacted(body, own.maskedPath, own.maskedHeaders), facts, humanMs };
}

function redacted(body: string | undefined, path: string | undefined, headers: Record<string, string> | undefined): RequestVerdict {
  const verdict: RequestVerdict & { allow: true } = { allow: true };
  if (body !== undefined) verdict.body = Buffer.from(body, 'utf8');
  if (path !== undefined) verdict.path = path;
  if (headers !== undefined) verdict.headers = headers;
  return verdict;
}

/** What request rules read: the texts of a JSON body for the model, or the whole text body, plus form and multipart text parts. */
function requestTexts(ex: Exchange): string[] {
  const texts = extractRequestTexts(ex.json);
  if (ex.bodyKind === 'text' && ex.text !== undefined) texts.push(ex.text);
  for (const part of ex.parts ?? []) texts.push(part.text);
  return texts;
}

/** A limit or an unknown-model rule that needs the price before deciding. */
function needsPrice(cost: Policy['cost']): boolean {
  return cost.approve_over_usd !== null || cost.session_budget_usd !== null || cost.unknown_model === 'ask' || cost.unknown_model === 'deny';
}

/**
 * The cost estimate the policy needs. Tokenizing costs ~0.1 ms per KB of prose (far more for some texts), so an
 * upper bound comes first (texts counted on earlier requests at their count, new ones at their size: exact when
 * nothing is new); the new texts are counted, off the event loop, only when that bound could cross a threshold or
 * the budget. The tokenizer itself (~130 ms of CPU and ~60 MB in its worker thread) starts loading once twice
 * the bound would cross one: a session whose requests stay far below its limits never loads it.
 */
async function estimateFor(ex: Exchange, ctx: RequestCheckContext): Promise<RequestEstimate & { bound: boolean }> {
  const { cost } = ctx.evaluator.policy;
  const { missing, encoding, ...bound } = boundRequest(ex.provider, ex.apiPath, ex.model, ex.json, ctx.counter, cost.assume_output_tokens, ctx.book);
  const usd = bound.usd;
  const committedUsd = ctx.budget.spentUsd() + ctx.budget.reservedUsd();
  if (usd !== undefined && !withinLimits(2 * usd, committedUsd, cost)) ctx.counter.warm(encoding);
  if (missing.length === 0) return { ...bound, bound: false };
  if ((usd !== undefined && withinLimits(usd, committedUsd, cost) && cost.count_tokens === 'when-needed') || usd === undefined) return { ...bound, bound: true };
  return exactEstimate(ex, ctx);
}

/** A request estimated at `usd` stays under the approval threshold and, with what is spent and reserved, the budget. */
function withinLimits(usd: number, committedUsd: number, cost: Policy['cost']): boolean {
  return (cost.approve_over_usd === null || usd <= cost.approve_over_usd) && (cost.session_budget_usd === null || committedUsd + usd <= cost.session_budget_usd);
}

/** Input counted by the tokenizer (in the worker); `bound` stays true when part of it had to be bounded. */
async function exactEstimate(ex: Exchange, ctx: RequestCheckContext): Promise<RequestEstimate & { bound: boolean }> {
  const estimate = await estimateRequestAsync(ex.provider, ex.apiPath, ex.model, ex.json, ctx.counter, ctx.evaluator.policy.cost.assume_output_tokens, ctx.book);
  return { ...estimate, bound: estimate.inputBounded === true };
}
