// `guardrun replay FILE -- cmd`: a guarded run whose upstream is the recording. No network, no real key;
// the policy still applies; the run writes its own session file, marked as a replay of the original.
import { randomBytes } from 'node:crypto';
import { EXIT } from '../errors.js';
import { createEvaluator } from '../policy/evaluate.js';
import { DEFAULT_POLICY } from '../policy/default.js';
import { DEFAULT_UPSTREAMS, isProvider, type Provider } from '../providers.js';
import type { RecordedSession } from '../recording/reader.js';
import { BUILTIN_DETECTORS, compileDetectors } from '../secrets/detectors.js';
import type { HeldKey } from '../secrets/keystore.js';
import { createScanner } from '../secrets/scan.js';
import { startSession, type RunningSession, type SessionOptions, type SessionResult } from '../session/run-session.js';
import { noApprover, type GuardSetup } from '../session/session-guard.js';
import { outlineSession, type RecordedExchange } from './exchanges.js';
import { replayApprovals } from './recorded-approvals.js';
import { createReplayPools, type Divergence } from './replay-pool.js';
import { createReplaySockets } from './replay-sockets.js';

export interface RerunOptions {
  session: RecordedSession;
  command: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Policy and approver for the re-run (as for a normal run). */
  guard?: GuardSetup;
  sessionFile?: string;
  /** Keep the recorded timing (time to first byte, stream event offsets). */
  realtime?: boolean;
  killGraceMs?: number;
  /** As SessionOptions.signal: a stop asked for before the child starts. */
  signal?: AbortSignal;
  /** As SessionOptions.prepareChild: the agent adapter, so a recognised agent talks to the replay proxy too. */
  prepareChild?: SessionOptions['prepareChild'];
  /** The adapter applied, for the new session file's first line. */
  agent?: string;
}

export interface RerunResult {
  result: SessionResult;
  /** Requests (and WebSocket messages) the recording had no answer for; each got `guardrun_replay_no_match` (a 409, or an error event). */
  divergences: Divergence[];
  /** Recorded answers no request asked for (the agent stopped earlier, or asked something else). */
  unused: RecordedExchange[];
  /** Requests answered from the recording. */
  answered: number;
  /** EXIT.replayMismatch when anything diverged, else the child's exit code. */
  exitCode: number;
}

export interface RunningRerun {
  session: RunningSession;
  done: Promise<RerunResult>;
}

export async function startRerun(o: RerunOptions): Promise<RunningRerun> {
  const { exchanges } = outlineSession(o.session);
  const providers = recordedProviders(o.session, exchanges);
  const upstreams: Partial<Record<Provider, string>> = {};
  const prefixes: Partial<Record<Provider, string>> = {};
  for (const p of providers) {
    const url = o.session.header.upstreams?.[p] ?? DEFAULT_UPSTREAMS[p];
    upstreams[p] = url;
    prefixes[p] = pathPrefix(url);
  }
  // The recorder masked with the built-ins and the policy's patterns; the new policy's patterns are the best guess.
  const policy = o.guard?.policy?.policy ?? DEFAULT_POLICY;
  const patterns = createEvaluator(policy).secretPatterns.map((p) => ({ id: p.id, regex: `/${p.regex.source}/${p.regex.flags}` }));
  const keys: HeldKey[] = providers.map((provider) => ({ provider, value: `sk-guardrun-replay-${randomBytes(16).toString('hex')}`, source: 'replay' }));
  const scanner = createScanner(compileDetectors({ exact: keys.map((k) => ({ id: `${k.provider}-real-key`, value: k.value })), patterns, builtins: BUILTIN_DETECTORS }));
  const mask = (text: string): string => scanner.mask(text).text;
  const divergences: Divergence[] = [];
  let requests = 0;
  const nextRequest = (): number => ++requests;
  const replay = createReplayPools({ exchanges, prefixes, mask, realtime: o.realtime, divergences, nextRequest });
  const sockets = createReplaySockets({ session: o.session, exchanges, prefixes, mask, realtime: o.realtime, divergences, nextRequest });
  const base = o.guard;
  const guard: GuardSetup = {
    policy: base?.policy,
    approver: (child) => replayApprovals(exchanges, base?.approver ? base.approver(child) : noApprover(), mask),
  };
  const session = await startSession({
    command: o.command,
    keys,
    cwd: o.cwd,
    env: o.env,
    upstreams,
    upstreamPools: replay.pools,
    upstreamSockets: sockets.sockets,
    sessionFile: o.sessionFile,
    guard,
    killGraceMs: o.killGraceMs,
    signal: o.signal,
    prepareChild: o.prepareChild,
    header: { replayOf: { file: o.session.file, session: o.session.header.session }, ...(o.agent ? { agent: o.agent } : {}) },
  });
  const done = session.done.then((result): RerunResult => ({
    result,
    divergences: [...divergences],
    unused: [...replay.unused(), ...sockets.unused()].sort((a, b) => a.id - b.id),
    answered: replay.answered() + sockets.answered(),
    exitCode: divergences.length > 0 ? EXIT.replayMismatch : result.exitCode,
  }));
  return { session, done };
}

export async function rerunSession(o: RerunOptions): Promise<RerunResult> {
  return (await startRerun(o)).done;
}

function recordedProviders(session: RecordedSession, exchanges: readonly RecordedExchange[]): Provider[] {
  const named = [...(session.header.providers ?? []), ...exchanges.map((e) => e.request?.provider)];
  const out = [...new Set(named.filter((p): p is Provider => typeof p === 'string' && isProvider(p)))];
  return out.length > 0 ? out : ['openai'];
}

/** The path prefix createUpstream keeps from an upstream URL (`https://gw.example/openai/` → `/openai`). */
function pathPrefix(url: string): string {
  try {
    return new URL(url).pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}
