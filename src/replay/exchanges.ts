// A session's events grouped into exchanges (request, decisions, response), with what the policy decided.
import type { ChildExitEvent, DecisionEvent, RequestEvent, ResponseEvent, SessionEnd } from '../recording/format.js';
import type { RecordedSession } from '../recording/reader.js';

export interface RecordedExchange {
  id: number;
  request?: RequestEvent;
  /** Line of the request in the file. */
  line?: number;
  /** In file order: the request-phase decision, then any response-phase one. */
  decisions: DecisionEvent[];
  response?: ResponseEvent;
  /** What the session had spent (sum of recorded response costs) when this request arrived. */
  spendBeforeUsd: number;
}

export interface SessionOutline {
  exchanges: RecordedExchange[];
  childExit?: ChildExitEvent;
  end?: SessionEnd;
}

export function outlineSession(session: RecordedSession): SessionOutline {
  const byId = new Map<number, RecordedExchange>();
  const get = (id: number): RecordedExchange => {
    let ex = byId.get(id);
    if (!ex) {
      ex = { id, decisions: [], spendBeforeUsd: 0 };
      byId.set(id, ex);
    }
    return ex;
  };
  let spent = 0;
  let childExit: ChildExitEvent | undefined;
  let end: SessionEnd | undefined;
  for (const { line, event } of session.events) {
    switch (event.type) {
      case 'request': {
        const ex = get(event.id);
        ex.request = event;
        ex.line = line;
        ex.spendBeforeUsd = spent;
        break;
      }
      case 'decision':
        get(event.id).decisions.push(event);
        break;
      case 'response':
        get(event.id).response = event;
        if (typeof event.costUsd === 'number') spent += event.costUsd;
        break;
      case 'child.exit':
        childExit = event;
        break;
      case 'session.end':
        end = event;
        break;
    }
  }
  const exchanges = [...byId.values()].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.id - b.id);
  return { exchanges, childExit, end };
}

export type OutcomeKind = 'allowed' | 'approved' | 'denied' | 'error' | 'no-response';

export interface Outcome {
  kind: OutcomeKind;
  /** Words for people: "allowed", "denied by no-prod-credentials", "approved by a human", "denied in CI (cost.threshold asked)". */
  label: string;
  /** The decision that settled it, when one was recorded. */
  decision?: DecisionEvent;
}

/** What happened to an exchange: a deny in either phase wins, then a human approval, then an error. */
export function outcomeOf(ex: RecordedExchange): Outcome {
  const deny = ex.decisions.find((d) => d.verdict === 'deny');
  if (deny) return { kind: 'denied', label: denyLabel(deny), decision: deny };
  const approval = ex.decisions.find((d) => d.decidedBy === 'human' || d.decidedBy === 'session-grant');
  const response = ex.response;
  if (response?.source === 'guardrun' && response.error && isDenialCode(response.error.code)) {
    // A denial without its decision line: the check itself failed (guardrun_check_error), or an old file.
    return { kind: 'denied', label: `denied (${response.error.code})` };
  }
  if (!response) return { kind: 'no-response', label: 'no response recorded', decision: approval };
  if (response.status >= 400 || response.error) {
    const code = response.error?.code ?? upstreamErrorOf(response)?.code;
    return { kind: 'error', label: code ? `error: ${code}` : 'upstream error', decision: approval };
  }
  const redacted = redactionNote(ex.decisions);
  if (approval) return { kind: 'approved', label: `${approvalLabel(approval)}${redacted}`, decision: approval };
  return { kind: 'allowed', label: `allowed${redacted}`, decision: ex.decisions[0] };
}

/** `; redacted 2 secrets (…) in the body` when the request's secrets check redacted what it found (secrets.outbound: redact). */
function redactionNote(decisions: readonly DecisionEvent[]): string {
  const note = decisions.find((d) => d.phase === 'request')?.checks.find((c) => c.id === 'secrets' && c.verdict === 'allow' && c.reason)?.reason;
  return note ? `; ${note}` : '';
}

/** The `{ error: { code | type, message } }` of an OpenAI or Anthropic error body. */
export function upstreamErrorOf(response: ResponseEvent): { code?: string; message?: string } | undefined {
  if (response.status < 400 || !response.body || !('json' in response.body)) return undefined;
  const error = (response.body.json as { error?: { code?: unknown; type?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error !== 'object') return undefined;
  const code = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : undefined;
  return { code, message: typeof error.message === 'string' ? error.message : undefined };
}

/** guardrun's own non-policy conditions are errors, not denials. */
function isDenialCode(code: string): boolean {
  return !/^guardrun_(upstream|client|internal|body|replay|unknown|invalid|no_key)/.test(code);
}

function approvalLabel(d: DecisionEvent): string {
  const phase = d.phase === 'response' ? ' (tool call)' : '';
  if (d.decidedBy === 'session-grant') return `approved by an earlier "allow for the session"${phase}`;
  return `approved by a human${d.scope === 'session' ? ' for the session' : ''}${phase}`;
}

function denyLabel(d: DecisionEvent): string {
  const rule = d.rules[0] ?? d.checks.find((c) => c.verdict !== 'allow')?.id ?? 'policy';
  const what = d.phase === 'response' ? 'tool call denied' : 'denied';
  switch (d.decidedBy) {
    case 'human':
      return `${what} by a human (${rule} asked)`;
    case 'ci':
      return `${what} in CI (${rule} asked)`;
    case 'timeout':
      return `timed out (${rule} asked)`;
    case 'error':
      return `${what}: approval failed (${rule} asked)`;
    default:
      return `${what} by ${rule}`;
  }
}
