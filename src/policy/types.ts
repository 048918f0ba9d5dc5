// The vocabulary of policy decisions: what a check sees (facts), what it says (verdict), what comes out (decision).
import type { Provider } from '../providers.js';

export type VerdictKind = 'allow' | 'ask' | 'deny';

/**
 * `rule` names what fired (the check id); `reason` is one sentence a person reads. An allow may carry a `note`:
 * what the check did while allowing (secrets redacted), recorded as the check's reason on the decision line.
 */
export type Verdict = { kind: 'allow'; note?: string } | { kind: 'ask'; rule: string; reason: string } | { kind: 'deny'; rule: string; reason: string };

export interface SecretFinding {
  /** Detector id, e.g. `openai-key` or a policy pattern id. */
  detector: string;
  /** Where it is: `body`, `query`, `path`, `header x-debug`, `multipart file "file" (.env)`… (absent: the body). */
  where?: string;
}

export interface CostEstimate {
  /** Estimated cost of this request in USD (with a guessed price for an unknown model); absent when no price could be found or guessed. */
  usd?: number;
  /** A price from the policy's `cost.prices` or the bundled data; false for a guess or no price. */
  priceKnown: boolean;
  /** `usd` rests on the guessed price of an unknown model (the most expensive of its family). */
  priceIsGuess?: boolean;
  /** The price entry used (`gpt-5.6-sol` when guessing for `gpt-6.2-sol`). */
  priceEntry?: string;
  inputTokens: number;
  outputTokens: number;
}

/** Everything the request checks look at; built by the proxy before the policy runs. */
export interface RequestFacts {
  method: string;
  /** Path as the agent addressed guardrun, without query (`/v1/chat/completions`, `/anthropic/v1/messages`). */
  path: string;
  /** `METHOD /path`, method upper-case, path without query: what `endpoints` globs match. */
  endpoint: string;
  provider: Provider;
  model?: string;
  stream: boolean;
  /** Parsed JSON body, or undefined when there was none or it was not JSON. */
  body: unknown;
  /** The texts that go to the model (see extract.ts). */
  texts: string[];
  secretFindings: SecretFinding[];
  /** Places that held a secret and cannot be redacted (multipart parts): with `outbound: redact` the request is refused. */
  unredactable?: string[];
  /** What guardrun could not read (a binary body, binary multipart files); `secrets.uninspectable` decides. */
  uninspected?: string[];
  estimate?: CostEstimate;
  /** What this session has spent so far (USD): the billed cost of the answers that have completed. */
  spendUsd: number;
  /** The estimates of the requests still in flight (reserved against the budget until they settle). Default 0. */
  reservedUsd?: number;
}

export interface ToolCall {
  name: string;
  /** The arguments as the model wrote them (a JSON string for function tools). */
  arguments: string;
}

export interface ResponseFacts {
  request: RequestFacts;
  toolCalls: ToolCall[];
}

interface CheckBase {
  /** Stable id: appears in session files and decisions (`endpoint`, `rule:<id>`, `cost.budget`…). */
  id: string;
}
export interface RequestCheck extends CheckBase {
  phase: 'request';
  evaluate(facts: RequestFacts): Verdict | Verdict[];
}
export interface ResponseCheck extends CheckBase {
  phase: 'response';
  evaluate(facts: ResponseFacts): Verdict | Verdict[];
}
export type Check = RequestCheck | ResponseCheck;

export interface CheckResult {
  check: string;
  verdict: VerdictKind;
  rule?: string;
  reason?: string;
}

export interface Decision {
  /** deny beats ask beats allow. */
  verdict: VerdictKind;
  /** One entry per check (more when a check returned several verdicts), in check order. */
  results: CheckResult[];
  asks: CheckResult[];
  denies: CheckResult[];
  /** A sentence for people: the denies' reasons, or else the asks' reasons, joined with "; ". */
  reason?: string;
}

export const ALLOW: Verdict = Object.freeze({ kind: 'allow' });
