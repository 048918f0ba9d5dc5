// Runs a policy's checks over one request or response: deny beats ask beats allow; a check that throws denies.
// Every check runs (no early exit) so the session file shows all that applied.
import { createRequestChecks, createResponseChecks } from './checks/index.js';
import type { Policy } from './schema.js';
import { compileSecretPatterns, type SecretPattern } from './secret-patterns.js';
import type { CheckResult, Decision, RequestCheck, RequestFacts, ResponseCheck, ResponseFacts, Verdict } from './types.js';

export interface Evaluator {
  readonly policy: Policy;
  /** The policy's own secret patterns, compiled (no `g` flag), for the secret detectors. */
  readonly secretPatterns: readonly SecretPattern[];
  request(facts: RequestFacts): Decision;
  response(facts: ResponseFacts): Decision;
}

export interface EvaluatorOptions {
  /** Checks run after the built-in ones (for extensions and tests). */
  extraChecks?: Array<RequestCheck | ResponseCheck>;
}

/** Compiles every glob and regex of the policy once; the returned functions are pure and cheap to call. */
export function createEvaluator(policy: Policy, options: EvaluatorOptions = {}): Evaluator {
  const extra = options.extraChecks ?? [];
  const requestChecks = [...createRequestChecks(policy), ...extra.filter((c): c is RequestCheck => c.phase === 'request')];
  const responseChecks = [...createResponseChecks(policy), ...extra.filter((c): c is ResponseCheck => c.phase === 'response')];
  return {
    policy,
    secretPatterns: compileSecretPatterns(policy),
    request: (facts) => runChecks(requestChecks, facts),
    response: (facts) => runChecks(responseChecks, facts),
  };
}

/** Runs checks in order and combines their verdicts. Exported for callers with their own check lists. */
export function runChecks<F>(checks: ReadonlyArray<{ id: string; evaluate(facts: F): Verdict | Verdict[] }>, facts: F): Decision {
  const results: CheckResult[] = [];
  for (const check of checks) {
    for (const verdict of safeEvaluate(check, facts)) {
      results.push(verdict.kind === 'allow' ? { check: check.id, verdict: 'allow', ...(verdict.note ? { reason: verdict.note } : {}) } : { check: check.id, verdict: verdict.kind, rule: verdict.rule, reason: verdict.reason });
    }
  }
  const denies = results.filter((r) => r.verdict === 'deny');
  const asks = results.filter((r) => r.verdict === 'ask');
  const verdict = denies.length > 0 ? 'deny' : asks.length > 0 ? 'ask' : 'allow';
  const deciding = denies.length > 0 ? denies : asks;
  const reason = deciding.length > 0 ? deciding.map((r) => r.reason).join('; ') : undefined;
  return { verdict, results, asks, denies, ...(reason !== undefined ? { reason } : {}) };
}

/** Fail closed: a throw, or anything that is not a verdict, becomes a deny naming the check. */
function safeEvaluate<F>(check: { id: string; evaluate(facts: F): Verdict | Verdict[] }, facts: F): Verdict[] {
  let out: unknown;
  try {
    out = check.evaluate(facts);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return [{ kind: 'deny', rule: check.id, reason: `check failed: ${detail}` }];
  }
  const verdicts = Array.isArray(out) ? out : [out];
  if (verdicts.length === 0) return [{ kind: 'allow' }];
  return verdicts.map((v): Verdict => {
    if (isVerdict(v)) return v;
    return { kind: 'deny', rule: check.id, reason: 'check failed: it returned no verdict' };
  });
}

function isVerdict(value: unknown): value is Verdict {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { kind?: unknown; rule?: unknown; reason?: unknown };
  if (v.kind === 'allow') return true;
  return (v.kind === 'ask' || v.kind === 'deny') && typeof v.rule === 'string' && typeof v.reason === 'string';
}
