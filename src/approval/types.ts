// What guardrun asks a human (or CI) about one request, and the answers it can get back.

export interface ApprovalReason {
  /** The check or rule id that asked (`cost.threshold`, `rule:no-shell`…). */
  rule: string;
  /** One sentence a person reads. */
  reason: string;
}

export interface ApprovalRequest {
  /** Request number in the session (for `egress`, the connection's number). */
  id: number;
  /** `egress`: a connection through the egress proxy (network.unknown: ask), not a model request; `model` is then `host:port`. */
  kind?: 'egress';
  phase: 'request' | 'response';
  /** `POST /v1/chat/completions` */
  endpoint: string;
  model?: string;
  /**
   * USD. For `phase: 'request'`, this request's estimate (undefined when no price is known). For `phase: 'response'`
   * (a tool call the answer holds), the estimate recorded for the request it answers, if it had one: an answer's
   * cost is only known once it completes.
   */
  estimateUsd?: number;
  /** Session spend so far. */
  spendUsd: number;
  /** Which rule(s) asked and why. */
  reasons: ApprovalReason[];
  /** Already masked by the caller: the last user message, or `tool shell: {...args}`. */
  excerpt: string;
}

export type ApprovalAnswer =
  /** `fromGrant`: answered by an earlier "allow for the rest of this session" without a new prompt. */
  | { kind: 'allow'; scope: 'once' | 'session'; by: 'human'; humanMs: number; fromGrant?: boolean }
  /** `fromGrant`: answered by an earlier "deny for the rest of this session" without a new prompt. */
  | { kind: 'deny'; by: 'human' | 'timeout' | 'ci' | 'error'; reason: string; humanMs?: number; fromGrant?: boolean };

export interface Approver {
  readonly mode: 'terminal' | 'ci';
  /** Never rejects: every failure becomes a deny. */
  ask(q: ApprovalRequest): Promise<ApprovalAnswer>;
  /** Releases the terminal (and resumes a paused child) so guardrun can exit. */
  close(): void;
  /** True within a few seconds of a Ctrl-C that denied at a prompt: another Ctrl-C then means "stop the run". */
  recentCtrlC?(): boolean;
}
