// The shapes the proxy hands to the rest of guardrun: one exchange, and the guard that rules on it.
import type { IncomingMessage } from 'node:http';
import type { Provider } from '../providers.js';
import type { Recorder } from '../recording/recorder.js';
import type { Route } from './route.js';
import type { Upstream } from './upstream.js';
import type { TokenUsage } from '../recording/format.js';
import type { ScannedParts } from '../recording/parts-index.js';
import type { ProxyError } from './error-response.js';
import type { SseEvent } from './response/sse.js';
import type { BodyKind, BodyPart } from './body/read-body.js';

export interface Exchange {
  id: number;
  provider: Provider;
  method: string;
  /** Path as the agent sent it, with query. */
  path: string;
  /** Provider API path without query (`/v1/chat/completions`, `/v1/messages`). */
  apiPath: string;
  /** `METHOD /path` as the agent addressed guardrun (`POST /anthropic/v1/messages`), for policies. */
  endpoint: string;
  model: string | undefined;
  stream: boolean;
  contentType: string;
  body: Buffer;
  /** The parsed JSON body, when it was JSON. */
  json: unknown;
  /** The body decoded as UTF-8, when it was decoded to parse it (so it is not decoded twice). */
  text: string | undefined;
  startedMs: number;
  /** guardrun's own time on this exchange so far (classify, policy, tokenizer, recording), excluding waits for a human. */
  guardMs: number;
  /** How the request arrived; absent for HTTP. A WebSocket exchange is one client event (`method` is `WS`). */
  transport?: 'websocket';
  /** For WebSocket exchanges: the connection's number in the session (its `ws.upgrade` line). */
  connection?: number;
  /** How an HTTP body was read (proxy/body/read-body.ts); absent for WebSocket events (JSON). */
  bodyKind?: BodyKind;
  /** The readable parts of a form or multipart body: checked (secrets, request rules) like a body. */
  parts?: BodyPart[];
  /** What guardrun could not read (a binary body, binary multipart files): `secrets.uninspectable` decides. */
  uninspected?: string[];
  /** A multipart body's parts (names, types, sizes): recorded instead of its bytes. */
  bodySummary?: string;
  /** The request headers that go upstream (no credentials, no hop-by-hop headers): checked for secrets. */
  headers?: Record<string, string | string[]>;
  /** The model host the agent addressed when guardrun intercepted the call (`api.openai.com`); absent on the base URL. */
  host?: string;
}

/**
 * The guard's answer. Allowed with changes when secrets were redacted: `body` replaces the body, `path` the path
 * and query (as the agent addressed guardrun), `headers` the values of those headers.
 */
export type RequestVerdict = { allow: true; body?: Buffer; path?: string; headers?: Record<string, string> } | { allow: false; error: ProxyError };

/** Filters the answer on its way to the agent: masking, tool-call hold-back. Must not throw (fail closed inside). */
export interface ResponseFilter {
  /** True once the filter refused something in this answer (a held tool call, a body replaced by an error). */
  readonly denied: boolean;
  /** True once the filter ended the stream (after an error event): the relay stops reading the upstream. */
  readonly closed: boolean;
  /** True while tool-call events are held back for a decision (a WebSocket relay holds the connection's other events behind them). */
  readonly holding: boolean;
  /** A stream event in; the raw event texts to send now (possibly none while holding back). */
  event(event: SseEvent): Promise<string[]>;
  /** The stream ended; whatever is still held. */
  end(): Promise<string[]>;
  /** A whole (non-stream) text body; a replacement, or an error to answer instead. */
  body(text: string): Promise<{ text: string } | { error: ProxyError }>;
  /**
   * Raw event texts of this answer's stream masked for the session file as one stream (a secret split over
   * events is masked too), with every secret the session knows; one text out for each in. Never rejects.
   */
  forRecord(events: readonly string[]): Promise<string[]>;
}

export interface ExchangeResult {
  status: number;
  /** The usage the provider reported (for a stream cut short, only what arrived before the cut). */
  usage: TokenUsage | undefined;
  /** False when `usage` is not the provider's final figure (a stream cut before its last usage event). Default true. */
  usageFinal?: boolean;
  /** The request reached the upstream, so the provider may bill it. */
  forwarded: boolean;
  /** The answer ended before its end (the agent left, the upstream broke, a drain hit its bound). */
  cut?: boolean;
  /** The generated text guardrun saw, relayed or read after the agent left: for an estimate when usage is missing or partial. */
  outputText?: string;
  denied: boolean;
}

/** What an exchange was charged, for its response line and the session's spend. */
export interface Charge {
  /** USD counted towards the spend; undefined when nothing was billed (not forwarded, an error answer, no model named). */
  costUsd?: number;
  /** The usage guardrun estimated because the provider reported none (or only part, before a cut). */
  usageEstimated?: TokenUsage;
  /** `costUsd` rests on estimated usage (`usageEstimated`, or the request's estimate for an answer cut short). */
  costEstimated?: boolean;
  /** `costUsd` uses the guessed price of an unknown model. */
  priceIsGuess?: boolean;
  /** The price entry used when it is not the model's own (a guess's model, a `cost.prices` glob). */
  priceEntry?: string;
  /** The billing tier applied, when not standard (`flex`, `priority`, `fast, us`), and its factor. */
  tier?: string;
  tierFactor?: number;
}

/** A request body's text and its masked form, computed once per exchange (scanning 200 KB twice would show). */
export interface ScannedText {
  text: string;
  readonly masked: string;
  /** Set when the body is to be recorded in parts (a large JSON body; see recording/parts-index.ts). */
  parts?: ScannedParts;
}

/** What the proxy asks of the session: decisions, filters, and where results go. */
export interface Guard {
  checkRequest(exchange: Exchange): Promise<RequestVerdict>;
  /**
   * Whether the policy's `endpoints` lists let `endpoint` (`METHOD /path`) through: the endpoint check alone,
   * with no side effect. A WebSocket upgrade asks it before connecting; a refusal then goes through checkRequest.
   */
  endpointAllowed(endpoint: string): boolean;
  openResponse(exchange: Exchange): ResponseFilter;
  /** True when response filters mask with the full scanner, so a filtered body needs no second pass to be recorded. */
  readonly masksResponses: boolean;
  /** Masks what goes to the agent (every secret with mask_responses, else guardrun's own keys). */
  maskOutgoing(text: string): string;
  /** True when the text holds a real key or the dummy key (for bodies that cannot be masked, like binary). */
  hasOwnKey(text: string): boolean;
  /** Masks secrets in text bound for the session file or a message. */
  maskText(text: string): string;
  /** The request body scanned once for secrets (undefined for binary bodies); shared by recording and checks. */
  scanRequest(exchange: Exchange): ScannedText | undefined;
  /**
   * The exchange is over: settles its reservation with what it cost (reported usage priced, else an estimate;
   * see session/charge.ts) and returns the charge for its response line. Never rejects.
   */
  finish(exchange: Exchange, result: ExchangeResult): Promise<Charge>;
  /** Time a human spent answering prompts for this exchange (so it is not counted as guardrun's own time). */
  humanMs(exchange: Exchange): number;
}

/** What every transport (HTTP, WebSocket, intercepted TLS) is given: the keys, the upstreams, the record and the guard. */
export interface TransportOptions {
  /** The session's dummy key: the only credential accepted from the agent. */
  dummyKey: string;
  /** The real key per provider (absent: guardrun holds none, and answers 401 with the fix). */
  keys: Partial<Record<Provider, string>>;
  upstreams: Partial<Record<Provider, Upstream>>;
  recorder: Recorder;
  guard: Guard;
  /** Largest request body (HTTP) or message (WebSocket) accepted, in bytes. */
  maxBodyBytes: number;
  /** Picks the route of a request; default: by path prefix (`/v1`, `/anthropic`). Intercepted connections route by host (proxy/intercept/). */
  route?: (url: string, req: IncomingMessage) => Route | undefined;
  /** Told of each request (HTTP or WebSocket upgrade) as it arrives at a handler, before anything is read. */
  onRequest?: () => void;
}
