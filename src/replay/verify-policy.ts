// Policy regression test: every recorded request and response re-decided under another policy, offline,
// with the recorded spend progression; recorded answers to asks (a human's, CI's, a timeout's) stand when
// the same rules ask again.
import { createPriceBook } from '../cost/price-book.js';
import { createTokenCounter } from '../cost/tokens.js';
import { createEvaluator } from '../policy/evaluate.js';
import type { LoadedPolicy } from '../policy/load.js';
import type { Decision } from '../policy/types.js';
import type { Decider, DecisionEvent } from '../recording/format.js';
import type { RecordedSession } from '../recording/reader.js';
import { BUILTIN_DETECTORS, compileDetectors } from '../secrets/detectors.js';
import { createScanner } from '../secrets/scan.js';
import { outlineSession, type RecordedExchange } from './exchanges.js';
import { apiPathOf, recordedRequestFacts } from './recorded-facts.js';
import { recordedToolCalls } from './stream-tool-calls.js';

export interface DecisionSummary {
  verdict: 'allow' | 'ask' | 'deny';
  /** Who settled it: the policy, or the recorded answer to an ask. Absent for a bare ask (a human would be asked). */
  decidedBy?: Decider;
  /** Rule / check ids that asked or denied, sorted. */
  rules: string[];
  reason?: string;
}

export interface DecisionComparison {
  id: number;
  phase: 'request' | 'response';
  endpoint: string;
  model?: string;
  recorded: DecisionSummary;
  now: DecisionSummary;
  differs: boolean;
}

export interface VerifyResult {
  policy: { source: string; sha256: string };
  /** Every decision compared (request phase for each request, response phase where either side has one). */
  decisions: DecisionComparison[];
  differences: DecisionComparison[];
  /** Things that could not be re-checked, for people. */
  notes: string[];
}

/**
 * Re-decides every recorded exchange under `loaded`. Estimates use today's prices (the policy's `cost.prices`
 * over the bundled data); spend and in-flight reservations are the recorded ones, as the live guard saw them.
 */
export async function verifySession(session: RecordedSession, loaded: LoadedPolicy): Promise<VerifyResult> {
  const evaluator = createEvaluator(loaded.policy);
  const patterns = evaluator.secretPatterns.map((p) => ({ id: p.id, regex: `/${p.regex.source}/${p.regex.flags}` }));
  const scanner = createScanner(compileDetectors({ patterns, builtins: BUILTIN_DETECTORS }));
  const book = createPriceBook({ prices: loaded.policy.cost.prices, policySource: loaded.source });
  await book.whenReady();
  const ctx = { policy: loaded.policy, scanner, counter: createTokenCounter(), book };
  const hasResponseRules = loaded.policy.rules.some((r) => r.on === 'response');
  const decisions: DecisionComparison[] = [];
  const notes: string[] = [];

  for (const ex of outlineSession(session).exchanges) {
    const req = ex.request;
    if (!req) continue;
    const refused = refusedUnread(ex);
    if (refused) {
      notes.push(`#${ex.id}: not re-checked: guardrun refused it before any policy check (${refused})`);
      continue;
    }
    const reserved = ex.decisions.find((d) => d.phase === 'request')?.reservedUsd ?? 0;
    const facts = recordedRequestFacts(req, ex.spendBeforeUsd, ctx, reserved);
    const recordedRequest = recordedSummary(ex, 'request');
    const nowRequest = settleNow(evaluator.request(facts), recordedRequest);
    decisions.push(compare(ex, 'request', recordedRequest, nowRequest));
    if (nowRequest.verdict === 'deny') continue; // it would not reach the upstream: no response to judge

    const recordedResponse = recordedSummary(ex, 'response');
    const hadResponseDecision = ex.decisions.some((d) => d.phase === 'response');
    if (!ex.response) continue;
    const calls = recordedToolCalls(req.provider, apiPathOf(req), ex.response);
    if (calls.length === 0) {
      // A tool call guardrun withheld from a stream never reached the agent, so it is not in the recording.
      if (hadResponseDecision) notes.push(`#${ex.id}: the recorded response decision was kept: the tool calls it judged are not in the recording`);
      continue;
    }
    const now = hasResponseRules ? settleNow(evaluator.response({ request: facts, toolCalls: calls }), recordedResponse) : allowSummary();
    if (!hadResponseDecision && now.verdict === 'allow' && now.rules.length === 0) continue;
    decisions.push(compare(ex, 'response', recordedResponse, now));
  }
  return {
    policy: { source: loaded.source, sha256: loaded.sha256 },
    decisions,
    differences: decisions.filter((d) => d.differs),
    notes,
  };
}

/** The recorded decision of one phase; no decision line means it was let through (or failed, see below). */
function recordedSummary(ex: RecordedExchange, phase: 'request' | 'response'): DecisionSummary {
  const d = ex.decisions.find((x) => x.phase === phase);
  if (d) return summaryOf(d);
  const err = ex.response?.source === 'guardrun' ? ex.response.error : undefined;
  // The live guard writes no decision when its check pipeline throws: it denies with guardrun_check_error.
  if (phase === 'request' && err?.code === 'guardrun_check_error') return { verdict: 'deny', decidedBy: 'error', rules: [err.code], reason: err.message };
  return allowSummary();
}

/**
 * The code of guardrun's refusal when it answered a request itself before the policy saw it (a body it could
 * not decode, repeated JSON keys): no policy decides on a body nobody could read.
 */
function refusedUnread(ex: RecordedExchange): string | undefined {
  const code = ex.response?.source === 'guardrun' ? ex.response.error?.code : undefined;
  if (ex.decisions.length > 0 || !code) return undefined;
  return /^guardrun_(body_|duplicate_json_keys$)/.test(code) ? code : undefined;
}

function summaryOf(d: DecisionEvent): DecisionSummary {
  const asked = d.decidedBy !== 'policy';
  return {
    verdict: d.verdict,
    decidedBy: d.decidedBy,
    rules: sorted(d.rules),
    reason: d.reason ?? (asked ? undefined : d.checks.filter((c) => c.verdict !== 'allow').map((c) => c.reason).join('; ') || undefined),
  };
}

/** Today's decision; an ask takes the recorded answer when the recording asked for the same rules (or more). */
function settleNow(decision: Decision, recorded: DecisionSummary): DecisionSummary {
  const rules = sorted([...decision.denies, ...decision.asks].map((r) => r.rule ?? r.check));
  if (decision.verdict !== 'ask') return { verdict: decision.verdict, decidedBy: 'policy', rules, reason: decision.reason };
  const answered = recorded.decidedBy !== undefined && recorded.decidedBy !== 'policy';
  if (answered && rules.every((r) => recorded.rules.includes(r))) {
    return { verdict: recorded.verdict, decidedBy: recorded.decidedBy, rules, reason: decision.reason };
  }
  return { verdict: 'ask', rules, reason: decision.reason };
}

function compare(ex: RecordedExchange, phase: 'request' | 'response', recorded: DecisionSummary, now: DecisionSummary): DecisionComparison {
  const differs = recorded.verdict !== now.verdict || recorded.rules.join('\n') !== now.rules.join('\n');
  return { id: ex.id, phase, endpoint: ex.request!.endpoint, model: ex.request!.model, recorded, now, differs };
}

function allowSummary(): DecisionSummary {
  return { verdict: 'allow', decidedBy: 'policy', rules: [] };
}

function sorted(rules: string[]): string[] {
  return [...new Set(rules)].sort();
}
