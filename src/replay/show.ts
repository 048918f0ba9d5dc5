// The reading of a session that `guardrun replay FILE` prints: one entry per exchange, the totals, the
// chain check and the problems. Also the `--json` document (documented in docs/session-format.md).
import type { Decider, RecordedBody, StreamChunk, TokenUsage } from '../recording/format.js';
import type { LineProblem, RecordedSession } from '../recording/reader.js';
import { verifyChain, type ChainReport } from '../recording/verify-chain.js';
import { outcomeOf, outlineSession, upstreamErrorOf, type OutcomeKind, type RecordedExchange } from './exchanges.js';
import { apiPathOf } from './recorded-facts.js';
import { streamText } from './stream-text.js';

export const SHOW_DOCUMENT_VERSION = 1;
export type OnlyFilter = 'denied' | 'approved' | 'errors';
export const ONLY_FILTERS: readonly OnlyFilter[] = ['denied', 'approved', 'errors'];

export interface ExchangeView {
  id: number;
  /** ISO time the request arrived; offset from the session's start. */
  time?: string;
  offsetMs?: number;
  method?: string;
  path?: string;
  provider?: string;
  model?: string;
  stream?: boolean;
  /** `websocket` for a client event of a WebSocket connection (method `WS`), with the connection's number. */
  transport?: 'websocket';
  connection?: number;
  outcome: OutcomeKind;
  /** "allowed", "denied by no-shell", "approved by a human", "denied in CI (cost.threshold asked)", … */
  label: string;
  decision?: { phase: 'request' | 'response'; verdict: 'allow' | 'deny'; decidedBy: Decider; rules: string[]; reason?: string; humanMs?: number };
  status?: number;
  error?: { code: string; message: string };
  /** From the body of an upstream error answer (status >= 400): its error code (or type) and message. */
  upstreamError?: { code?: string; message?: string };
  source?: 'upstream' | 'guardrun' | 'replay';
  /** Usage the provider reported. */
  usage?: TokenUsage;
  /** Usage guardrun estimated where the provider reported none (or only part). */
  usageEstimated?: TokenUsage;
  costUsd?: number;
  /** costUsd rests on estimated usage. */
  costEstimated?: boolean;
  /** costUsd uses the guessed price of an unknown model (priced as `priceEntry`). */
  priceIsGuess?: boolean;
  priceEntry?: string;
  /** The billing tier when not standard (`flex`, `priority`, `fast`). */
  tier?: string;
  ttfbMs?: number;
  durationMs?: number;
  /** With `--full`: the bodies as recorded (masked). */
  requestBody?: RecordedBody;
  responseBody?: RecordedBody;
  /** With `--full`, for a streamed answer: its text and tool calls, assembled from the events. */
  responseText?: string;
  /** With `--events`: a streamed answer's events as recorded. */
  responseEvents?: StreamChunk[];
}

export interface ShowTotals {
  requests: number;
  denied: number;
  approved: number;
  errors: number;
  costUsd: number;
  /** The part of costUsd priced from usage the provider reported, at a known price. */
  reportedUsd: number;
  /** The part of costUsd that rests on estimates (usage guardrun estimated, or a guessed price). */
  estimatedUsd: number;
  durationMs?: number;
  childExit?: { code: number | null; signal: string | null; error?: string };
  exitCode?: number;
}

/** The session as every `--json` document of `guardrun replay` describes it (show, verify, verify-only). */
export interface SessionInfo {
  id: string; guardrun: string; formatVersion: number; sourceVersion: number; time: string; command: string[]; cwd: string;
  providers: string[]; upstreams: Record<string, string>; policy?: { source: string; sha256: string }; replayOf?: { file: string; session: string };
  /** The agent adapter applied (`codex`, `claude`), and providers the run let go around guardrun. */
  agent?: string; unguarded?: string[];
}

export function sessionInfo(session: RecordedSession): SessionInfo {
  const h = session.header;
  return {
    id: h.session, guardrun: h.guardrun, formatVersion: h.version, sourceVersion: session.sourceVersion, time: h.time, command: h.command ?? [], cwd: h.cwd,
    providers: h.providers ?? [], upstreams: (h.upstreams ?? {}) as Record<string, string>, policy: h.policy, replayOf: h.replayOf,
    agent: h.agent, unguarded: h.unguarded,
  };
}

export interface ShowDocument {
  guardrunReplay: typeof SHOW_DOCUMENT_VERSION;
  mode: 'show';
  file: string;
  session: SessionInfo;
  complete: boolean;
  truncated: boolean;
  problems: LineProblem[];
  chain: ChainReport;
  exchanges: ExchangeView[];
  totals: ShowTotals;
}

export interface DescribeOptions {
  /** Bodies as recorded, and streamed answers as assembled text. */
  full?: boolean;
  /** Streamed answers' raw events as recorded. */
  events?: boolean;
  only?: OnlyFilter;
}

export function describeSession(session: RecordedSession, options: DescribeOptions = {}): ShowDocument {
  const outline = outlineSession(session);
  const start = Date.parse(session.header.time);
  const views = outline.exchanges.map((ex) => viewOf(ex, start, options));
  const end = outline.end;
  // Without the closing line: up to the last event that carries a time.
  const lastTime = [...session.events].reverse().find((e) => 'time' in e.event)?.event as { time: string } | undefined;
  const duration = end?.durationMs ?? (lastTime ? Date.parse(lastTime.time) - start : undefined);
  return {
    guardrunReplay: SHOW_DOCUMENT_VERSION,
    mode: 'show',
    file: session.file,
    session: sessionInfo(session),
    complete: session.complete,
    truncated: session.truncated,
    problems: session.problems,
    chain: verifyChain(session.lines),
    exchanges: options.only ? views.filter((v) => matches(v, options.only!)) : views,
    totals: {
      requests: views.filter((v) => v.method !== undefined).length,
      denied: views.filter((v) => v.outcome === 'denied').length,
      approved: views.filter(isApproved).length,
      errors: views.filter((v) => v.outcome === 'error' || v.outcome === 'no-response').length,
      costUsd: sum(views, () => true),
      reportedUsd: sum(views, (v) => !isEstimated(v)),
      estimatedUsd: sum(views, isEstimated),
      durationMs: Number.isFinite(duration) ? duration : undefined,
      childExit: outline.childExit ? { code: outline.childExit.code, signal: outline.childExit.signal, error: outline.childExit.error } : undefined,
      exitCode: end?.exitCode,
    },
  };
}

/** A cost that is not the provider's own figure at a known price. */
export function isEstimated(v: Pick<ExchangeView, 'costEstimated' | 'priceIsGuess'>): boolean {
  return v.costEstimated === true || v.priceIsGuess === true;
}

function sum(views: ExchangeView[], which: (v: ExchangeView) => boolean): number {
  return Math.round(views.reduce((total, v) => total + (which(v) ? (v.costUsd ?? 0) : 0), 0) * 1e12) / 1e12;
}

function matches(v: ExchangeView, only: OnlyFilter): boolean {
  if (only === 'denied') return v.outcome === 'denied';
  if (only === 'approved') return isApproved(v);
  return v.outcome === 'error' || v.outcome === 'no-response';
}

/** A human said yes (now or by an earlier "allow for the session"), whatever the upstream answered then. */
function isApproved(v: ExchangeView): boolean {
  return v.decision?.verdict === 'allow' && (v.decision.decidedBy === 'human' || v.decision.decidedBy === 'session-grant');
}

function viewOf(ex: RecordedExchange, start: number, options: DescribeOptions): ExchangeView {
  const req = ex.request;
  const res = ex.response;
  const outcome = outcomeOf(ex);
  const d = outcome.decision;
  const view: ExchangeView = {
    id: ex.id,
    time: req?.time,
    offsetMs: req && Number.isFinite(start) ? Date.parse(req.time) - start : undefined,
    method: req?.method,
    path: req?.path,
    provider: req?.provider,
    model: req?.model,
    stream: req?.stream,
    transport: req?.transport,
    connection: req?.connection,
    outcome: outcome.kind,
    label: outcome.label,
    decision: d ? { phase: d.phase, verdict: d.verdict, decidedBy: d.decidedBy, rules: d.rules, reason: d.reason, humanMs: d.humanMs } : undefined,
    status: res?.status,
    error: res?.error,
    upstreamError: res ? upstreamErrorOf(res) : undefined,
    source: res?.source,
    usage: res?.usage,
    usageEstimated: res?.usageEstimated,
    costUsd: res?.costUsd,
    costEstimated: res?.costEstimated,
    priceIsGuess: res?.priceIsGuess,
    priceEntry: res?.priceEntry,
    tier: res?.tier,
    ttfbMs: res?.ttfbMs,
    durationMs: res?.durationMs,
  };
  if (options.full) {
    view.requestBody = req?.body;
    view.responseBody = res?.body;
    if (req && res?.events) view.responseText = streamText(req.provider, apiPathOf(req), res.events.map((e) => e.data));
  }
  if (options.events) view.responseEvents = res?.events;
  return view;
}
