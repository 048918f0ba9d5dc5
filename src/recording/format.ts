// The session file: JSON Lines, one event a line, versioned from the first line.
// Every line carries `seq` and `hash` (sha256 chained to the previous line; see hash-chain.ts).

import type { Provider } from '../providers.js';
import type { BypassEvent, EgressEvent, WsCloseEvent, WsMessageEvent, WsUpgradeEvent } from './format-connections.js';

// The lines of connections that are not single exchanges (WebSocket connections, egress tunnels, refusals).
export type * from './format-connections.js';

export const FORMAT = 'guardrun-session';
export const FORMAT_VERSION = 2;

/** Bodies larger than this are not recorded (`{ omitted, bytes }`), requests and answers alike. */
export const RECORD_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * A body as recorded: JSON when it parsed, text when it was UTF-8, base64 otherwise. Always masked.
 * On disk (format 2) a large JSON request body is recorded in parts: `json` is then a template (the body with
 * its `lists` fields null and its `refs` strings null) and a reader puts the parts back (see body-parts.ts);
 * what a reader hands on is always the whole body, without `refs` or `lists`.
 */
export type RecordedBody =
  | { json: unknown; refs?: BlobRefs; lists?: Record<string, RecordedList> }
  | { text: string }
  | { base64: string }
  | { omitted: string; bytes: number };

/** JSON pointers (RFC 6901, relative to the value they sit beside) → the id of the `blob` holding that string. */
export type BlobRefs = Record<string, string>;

/**
 * A top-level array of a request body (`messages`, `input`, `tools`, `system`, `functions`) recorded as the first
 * `take` items of the same field of the earlier request `from` (all of them when `take` is absent), followed by
 * `items`. Either part may be absent: no `from` means the list starts empty.
 */
export interface RecordedList {
  /** The `id` of an earlier request (in this file) whose field this list continues. */
  from?: number;
  take?: number;
  items?: RecordedItem[];
}

/** One item of a list: its JSON with the long strings taken out into blobs (`refs`). */
export interface RecordedItem {
  json: unknown;
  refs?: BlobRefs;
}

/**
 * A long string of a request body, stored once in the file and referred to by its id from every request that
 * sends it (format 2). `id` is the sha256 (hex) of the exact text of `json` as written in the line.
 */
export interface BlobEvent {
  type: 'blob';
  id: string;
  json: unknown;
}

export interface TokenUsage {
  /** Every input token, cached and cache-written ones included. */
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  /** Anthropic cache writes, OpenAI cache_write_tokens: billed above the input price. */
  cacheWriteInputTokens?: number;
  /** Of the cache writes, those with Anthropic's 1-hour TTL (billed at 2x input). */
  cacheWrite1hInputTokens?: number;
  /** Of the output, reasoning / thinking tokens (already counted in outputTokens). */
  reasoningTokens?: number;
  /** Server-side web searches, billed per call (Anthropic `server_tool_use`, OpenAI `web_search_call` items). */
  webSearches?: number;
  totalTokens?: number;
  /** A processing tier other than the standard one, as the provider reported it (`flex`, `priority`, `batch`). */
  serviceTier?: string;
  /** Anthropic `speed` when not `standard` (`fast`). */
  speed?: string;
  /** Anthropic `inference_geo` when not global (`us`). */
  inferenceGeo?: string;
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
  /** The policy in force: its source and sha256, and the values the command line set for this run (`--budget`). */
  policy?: { source: string; sha256: string; overrides?: Record<string, number | null> };
  /** Set when this run answered from a recording (`guardrun replay FILE -- cmd`). */
  replayOf?: { file: string; session: string };
  /** The agent adapter applied to the command (`codex`, `claude`); absent for the generic case. */
  agent?: string;
  /** Providers the run let go around guardrun (`--allow-unguarded` with a detected agent lacking that key). */
  unguarded?: Provider[];
  /** The child's other traffic: through guardrun's egress proxy, with model hosts intercepted (false with --no-intercept), and the sandbox it ran in (--sandbox). */
  egress?: { intercept: boolean; sandbox?: 'bubblewrap' | 'sandbox-exec' };
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
  /** The `Content-Encoding` the body arrived with (`zstd`, `gzip, br`); `body` is then the decoded body. */
  contentEncoding?: string;
  /** Size of the body as it arrived, before decoding; set with `contentEncoding`. */
  encodedBytes?: number;
  body?: RecordedBody;
  bodySha256?: string;
  /** `websocket` for a client event of a WebSocket connection (method `WS`); absent for HTTP. */
  transport?: 'websocket';
  /** The WebSocket connection it came on (its `ws.upgrade` line); absent for HTTP and for a refused upgrade. */
  connection?: number;
  /** The model host the agent addressed when guardrun intercepted the call through its egress proxy (`api.openai.com`); absent for base-URL calls. */
  host?: string;
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
  /** True when estimateUsd uses the guessed price of an unknown model (priced as `priceEntry`). */
  priceIsGuess?: boolean;
  /** The price entry the estimate used, when it is not the model's own (a guess, a `cost.prices` glob). */
  priceEntry?: string;
  /** The session's settled spend when decided. */
  spendUsd?: number;
  /** The estimates of the other requests in flight when decided (reserved against the budget). */
  reservedUsd?: number;
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
  /** The HTTP status the agent received. */
  status: number;
  /** The upstream's status, when the agent received another (guardrun answered in its place: a withheld plain answer, a failed relay). */
  upstreamStatus?: number;
  headers: Record<string, string>;
  body?: RecordedBody;
  events?: StreamChunk[];
  /** The upstream's events, only when `events` (what the agent received) differ from them: masking rewrote an event, guardrun withheld or added one. */
  upstreamEvents?: StreamChunk[];
  /** Usage the provider reported (for an answer cut short, what arrived before the cut). */
  usage?: TokenUsage;
  /** Usage guardrun estimated because the provider reported none, or only part of it. */
  usageEstimated?: TokenUsage;
  /** USD this exchange counts towards the spend. */
  costUsd?: number;
  /** True when costUsd rests on estimated usage rather than the provider's report. */
  costEstimated?: boolean;
  /** True when costUsd uses the guessed price of an unknown model. */
  priceIsGuess?: boolean;
  /** The price entry used when it is not the model's own (a guess's model, a `cost.prices` glob). */
  priceEntry?: string;
  /** The billing tier applied when not standard (`flex`, `priority`, `fast`), and its factor over standard prices. */
  tier?: string;
  tierFactor?: number;
  ttfbMs?: number;
  durationMs: number;
  /** guardrun's own time on the exchange (policy, tokenizer, masking, recording), without forwarding or human waits. */
  guardMs?: number;
  /** Set when guardrun answered itself (denied, upstream unreachable, client gone). */
  error?: { code: string; message: string };
  /** Where the answer came from: the upstream, guardrun, or a recording (replay). */
  source: 'upstream' | 'guardrun' | 'replay';
  /** As on the request: `websocket` when `events` are WebSocket messages (each `data` one message's text, not SSE). */
  transport?: 'websocket';
  connection?: number;
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
  /** The part of costUsd that rests on estimates (estimated usage or a guessed price). */
  costEstimatedUsd?: number;
  durationMs: number;
}

/** Written after `session.end` by `guardrun --sign`: an HMAC of the closing line's hash (see recording/seal.ts). */
export interface SessionSeal {
  type: 'session.seal';
  alg: 'HMAC-SHA256';
  /** Which signing key (a digest of it, never the key). */
  keyId: string;
  /** The hash of the `session.end` line this seals. */
  sealed: string;
  mac: string;
}

export type SessionEvent = SessionStart | BlobEvent | RequestEvent | DecisionEvent | ResponseEvent | WsUpgradeEvent | WsMessageEvent | WsCloseEvent | EgressEvent | BypassEvent | ChildExitEvent | SessionEnd | SessionSeal;

/** A line as written: the event plus its place in the chain. */
export type SessionLine = SessionEvent & { seq: number; hash: string };
