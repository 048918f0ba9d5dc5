// The session file: JSON Lines, one event a line, versioned from the first line.
// Every line carries `seq` and `hash` (sha256 chained to the previous line; see hash-chain.ts).

import type { Provider } from '../providers.js';

export const FORMAT = 'guardrun-session';
export const FORMAT_VERSION = 1;

/** A body as recorded: JSON when it parsed, text when it was UTF-8, base64 otherwise. Always masked. */
export type RecordedBody =
  | { json: unknown }
  | { text: string }
  | { base64: string }
  | { omitted: string; bytes: number };

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  /** Anthropic cache writes, OpenAI cache_write_tokens: billed above the input price. */
  cacheWriteInputTokens?: number;
  totalTokens?: number;
}

export interface SessionStart {
  type: 'session.start';
  format: typeof FORMAT;
  version: number;
  guardrun: string;
  session: string;
  time: string;
  command: string[];
  cwd: string;
  upstreams: Partial<Record<Provider, string>>;
  providers: Provider[];
  policy?: { source: string; sha256: string };
  /** Set when this run answered from a recording (`guardrun replay FILE -- cmd`). */
  replayOf?: { file: string; session: string };
  /** The agent adapter applied to the command (`codex`, `claude`); absent for the generic case. */
  agent?: string;
  /** Providers the run let go around guardrun (`--allow-unguarded` with a detected agent lacking that key). */
  unguarded?: Provider[];
}

export interface RequestEvent {
  type: 'request';
  id: number;
  time: string;
  method: string;
  /** Path as the agent sent it, including the query string. */
  path: string;
  provider: Provider;
  endpoint: string;
  model?: string;
  stream: boolean;
  headers: Record<string, string>;
  body?: RecordedBody;
  bodySha256?: string;
}

export type Decider = 'policy' | 'human' | 'ci' | 'timeout' | 'session-grant' | 'error';

export interface DecisionEvent {
  type: 'decision';
  id: number;
  phase: 'request' | 'response';
  verdict: 'allow' | 'deny';
  checks: Array<{ id: string; verdict: 'allow' | 'ask' | 'deny'; reason?: string }>;
  rules: string[];
  decidedBy: Decider;
  scope?: 'once' | 'session';
  reason?: string;
  humanMs?: number;
  estimateUsd?: number;
  /** True when estimateUsd is the tokenizer-free upper bound (body bytes as input tokens), not a token count. */
  estimateIsBound?: boolean;
  spendUsd?: number;
}

/** One server-sent event as it reached the agent, with its offset from the first byte. */
export interface StreamChunk {
  t: number;
  data: string;
}

export interface ResponseEvent {
  type: 'response';
  id: number;
  time: string;
  status: number;
  headers: Record<string, string>;
  body?: RecordedBody;
  events?: StreamChunk[];
  usage?: TokenUsage;
  costUsd?: number;
  ttfbMs?: number;
  durationMs: number;
  /** guardrun's own time on the exchange (policy, tokenizer, masking, recording), without forwarding or human waits. */
  guardMs?: number;
  /** Set when guardrun answered itself (denied, upstream unreachable, client gone). */
  error?: { code: string; message: string };
  /** Where the answer came from: the upstream, guardrun, or a recording (replay). */
  source: 'upstream' | 'guardrun' | 'replay';
}

export interface ChildExitEvent {
  type: 'child.exit';
  time: string;
  code: number | null;
  signal: string | null;
  error?: string;
}

export interface SessionEnd {
  type: 'session.end';
  time: string;
  reason: 'exit' | 'signal' | 'crash';
  exitCode: number;
  requests: number;
  denied: number;
  costUsd: number;
  durationMs: number;
}

export type SessionEvent = SessionStart | RequestEvent | DecisionEvent | ResponseEvent | ChildExitEvent | SessionEnd;

/** A line as written: the event plus its place in the chain. */
export type SessionLine = SessionEvent & { seq: number; hash: string };
