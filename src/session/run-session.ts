// One guarded run: proxy up, child started with a dummy key, everything recorded, all closed on every path.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { DEFAULT_UPSTREAMS, UPSTREAM_ENV, type Provider } from '../providers.js';
import { startProxy, type ProxyServer } from '../proxy/server.js';
import { createUpstream, type Upstream, type UpstreamPool } from '../proxy/upstream.js';
import type { UpstreamSockets } from '../proxy/websocket/upstream-socket.js';
import { FORMAT, FORMAT_VERSION, type SessionStart } from '../recording/format.js';
import { createRecorder } from '../recording/recorder.js';
import { defaultSessionPath } from '../recording/session-path.js';
import { keyIdOf, sealMac } from '../recording/seal.js';
import { createDummyKey } from '../secrets/dummy-key.js';
import type { HeldKey } from '../secrets/keystore.js';
import { VERSION } from '../version.js';
import { notStarted, spawnChild, type ChildExit, type RunningChild } from './child.js';
import { endProcessesSync, leftoverProcesses } from './process-tree.js';
import { childEnv } from './child-env.js';
import { runWithheld } from './env-secrets.js';
import { isolateKernelKeyring } from '../secrets/kernel-keyring-isolation.js';
import { createSessionGuard, newSessionStats, noApprover, type ChildControl, type GuardSetup, type SessionGuard, type SessionStats } from './session-guard.js';
import { preloadPriceData } from '../cost/price-data.js';
import { resumeTree, stopTree } from '../approval/pause.js';
import type { ChildPlan, PlanContext } from '../agents/types.js';
import type { FirstByteTimeouts } from '../proxy/http/send-upstream.js';
import { prepareEgress, type SessionEgress } from '../proxy/egress/setup.js';
import { rehearse } from './warm-up.js';
import type { EgressSummary } from '../proxy/egress/egress-log.js';
import { DEFAULT_POLICY } from '../policy/default.js';
import type { Policy } from '../policy/schema.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { PROXY_VARIABLE } from '../sandbox/inner-script.js';

export interface SessionOptions {
  command: string[];
  keys: HeldKey[];
  cwd: string;
  /** The environment the child's is derived from (guardrun's own). */
  env: NodeJS.ProcessEnv;
  /** Variables to keep from the child (the --key-env sources). */
  removeFromChildEnv?: string[];
  /** Upstream URL per provider; default from GUARDRUN_*_UPSTREAM in env, else the public APIs. */
  upstreams?: Partial<Record<Provider, string>>;
  sessionFile?: string;
  /** Policy, approvals and masking; see session-guard.ts. */
  guard?: GuardSetup;
  /** Grace period between SIGTERM and SIGKILL for the child. */
  killGraceMs?: number;
  /** Start-header extras (e.g. replayOf). */
  header?: Partial<SessionStart>;
  /** Answer from something other than the network, per provider (replay answers from a recording). */
  upstreamPools?: Partial<Record<Provider, UpstreamPool>>;
  /** The same for WebSocket connections. */
  upstreamSockets?: Partial<Record<Provider, UpstreamSockets>>;
  /**
   * Turns the command into the child's argv and extra environment once the proxy listens (an agent adapter,
   * see src/agents/). May create private files; its `cleanup` runs when the child is gone, on every path.
   */
  prepareChild?: (ctx: PlanContext) => ChildPlan;
  /** Providers the run lets go around guardrun (--allow-unguarded): their base URL and dummy key are not set. */
  unguardedProviders?: Provider[];
  /** Aborted with a signal's name (e.g. `SIGTERM`) when the run should stop: checked just before the child starts, so a
   * signal that arrives while the session is set up ends it with 128+N and no child, the session file closed. */
  signal?: AbortSignal;
  /** Seal the file with this key: an HMAC of the closing line's hash, written as its last line (--sign). */
  sealKey?: string;
  /** Variables kept in the child's environment although their values look like credentials (--pass-env). */
  passEnv?: string[];
  /** Start the child in a new kernel session keyring, guardrun's keys unlinked from the persistent one (a key came from the kernel keyring). */
  isolateKernelKeyring?: boolean;
  /** Intercept the child's connections to model hosts into the guard (default true); false refuses them instead (--no-intercept). */
  intercept?: boolean;
  /** Run the child in this sandbox (--sandbox, src/sandbox/): no network but guardrun's proxy, no key store, no stored logins. */
  sandbox?: Sandbox;
}

export interface SessionResult {
  exitCode: number;
  child: ChildExit;
  sessionFile: string;
  sessionId: string;
  stats: SessionStats;
  /** Set when the session file could not be written to the end (e.g. `ENOSPC: no space left on device`). */
  recordError?: string;
  /** The hash of the file's last line: keep it elsewhere to prove later that the record was not rewritten. */
  finalHash: string;
  /** The child's traffic through the egress proxy: connections, refusals, and attempts to reach a model host around the guard. */
  egress: EgressSummary;
}

export interface RunningSession {
  sessionId: string;
  sessionFile: string;
  origin: string;
  child: RunningChild;
  done: Promise<SessionResult>;
  /** Forwards a signal to the child (SIGTERM/SIGHUP/SIGQUIT first close any open prompt, which would keep it stopped). */
  signal(sig: NodeJS.Signals): void;
  /** Things the user should know about how the session was set up (e.g. an upstream URL that was adjusted). */
  notices: string[];
  /** Ctrl-C on the terminal (the child got it too): stops the run when it follows a Ctrl-C at a prompt within seconds. */
  interrupt(): void;
  /** For a crash of guardrun itself: stop the child, write the closing line, close the file. Synchronous. */
  finalizeSync(reason: 'crash' | 'signal', exitCode: number): void;
}

/** How long after the child starts the warm-up begins (see startSession). */
const WARM_UP_AFTER_MS = 15;

export async function startSession(o: SessionOptions): Promise<RunningSession> {
  const sessionId = randomBytes(6).toString('hex');
  const startedAt = new Date();
  const dummyKey = createDummyKey();
  const providers = o.keys.map((k) => k.provider);
  const upstreams = resolveUpstreams(providers, o.upstreams, o.env, o.upstreamPools, o.upstreamSockets);
  const chosen = o.sessionFile ? { path: resolve(o.cwd, o.sessionFile) } : defaultSessionPath(o.cwd, o.env, startedAt, sessionId);
  const sessionFile = chosen.path;
  const recorder = createRecorder(sessionFile);
  const stats: SessionStats = newSessionStats();
  let proxy: ProxyServer | undefined;
  let child: RunningChild | undefined;
  // Prompts pause the child's whole process tree so its output cannot garble them nor read the keystrokes.
  let stopRun = (): void => undefined;
  const control: ChildControl = {
    pause: async () => {
      if (child?.pid) await stopTree(child.pid); // wait until stopped, so no write lands inside the prompt
    },
    resume: () => void (child?.pid && resumeTree(child.pid)),
    stop: () => stopRun(),
  };
  const approver = o.guard?.approver ? o.guard.approver(control) : noApprover();
  let egress: SessionEgress | undefined;
  let guard: SessionGuard | undefined;
  try {
    guard = createSessionGuard({ keys: o.keys, dummyKey, stats, recorder, policy: o.guard?.policy, approver });
    const masked = guard.maskText;
    egress = await prepareEgress({
      sessionId, recorder, mask: masked, upstreams, network: (o.guard?.policy?.policy ?? DEFAULT_POLICY).network,
      intercept: o.intercept !== false, parentEnv: o.env, ask: (q) => approver.ask(q), spendUsd: () => stats.costUsd,
    });
    recorder.write({
      type: 'session.start', format: FORMAT, version: FORMAT_VERSION, guardrun: VERSION, session: sessionId,
      time: startedAt.toISOString(), command: o.command.map((arg) => masked(arg)), cwd: o.cwd,
      upstreams: Object.fromEntries(Object.entries(upstreams).map(([p, u]) => [p, u.url])), providers,
      policy: o.guard?.policy ? { source: o.guard.policy.source, sha256: o.guard.policy.sha256, overrides: o.guard.policy.overrides } : undefined,
      egress: { intercept: egress.intercepting, sandbox: o.sandbox?.kind }, ...o.header,
    });
    proxy = await startProxy({
      dummyKey, keys: Object.fromEntries(o.keys.map((k) => [k.provider, k.value])), upstreams, recorder, guard, maxBodyBytes: 64 * 1024 * 1024,
      firstByteTimeouts: firstByteTimeouts(o.guard?.policy?.policy ?? DEFAULT_POLICY),
      egress: egress.proxy,
      loopbackTls: egress.loopbackTls,
    });
    // ~830 KB of price data: parsed on the next turn, while the child starts.
    preloadPriceData();
  } catch (error) {
    recorder.close();
    approver.close();
    guard?.close();
    await proxy?.close();
    egress?.cleanup();
    throw error;
  }
  const sessionEgress = egress;
  const sessionGuard = guard;
  const openProxy = proxy;
  /** The child cannot be started after all (an adapter or the sandbox refused): the record is closed, nothing is left. */
  const abortBeforeChild = async (error: unknown): Promise<never> => {
    recorder.write({ type: 'session.end', time: new Date().toISOString(), reason: 'crash', exitCode: (error as { exitCode?: number }).exitCode ?? 70, requests: 0, denied: 0, costUsd: 0, durationMs: Date.now() - startedAt.getTime() });
    recorder.close();
    approver.close();
    await openProxy.close();
    sessionGuard.close();
    sessionEgress.cleanup();
    await o.sandbox?.close();
    throw error;
  };

  // Credentials under names guardrun does not know are withheld too (env-secrets.ts); the user hears which.
  const withheld = runWithheld({ env: o.env, realKeys: o.keys.map((k) => k.value), passEnv: o.passEnv, removeFromChildEnv: o.removeFromChildEnv });
  // Inside the Linux sandbox guardrun is reached through the sandbox's relay, not its own loopback address.
  const origin = o.sandbox ? o.sandbox.childOrigin(proxy.port) : proxy.origin;
  const env = childEnv({
    parent: o.env, origin, dummyKey, sessionId, providers,
    realKeys: o.keys.map((k) => k.value), remove: [...(o.removeFromChildEnv ?? []), ...withheld], unguarded: o.unguardedProviders,
  });
  Object.assign(env, sessionEgress.childEnv(origin, dummyKey));
  const notices: string[] = [];
  if (withheld.length > 0) notices.push(`withheld from the agent's environment (their values look like credentials): ${withheld.join(', ')}; --pass-env NAME keeps one`);
  let plan: ChildPlan | undefined;
  const stopped = o.signal?.aborted ? String(o.signal.reason) as NodeJS.Signals : undefined;
  if (!stopped && o.prepareChild) {
    try {
      plan = o.prepareChild({ origin, dummyKey, sessionId, env: { ...env }, cwd: o.cwd });
    } catch (error) {
      await abortBeforeChild(error);
    }
    for (const [name, value] of Object.entries(plan!.env)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
  }
  let command = plan?.command ?? o.command;
  // The sandbox starts the agent in a fresh kernel keyring itself; otherwise guardrun does, when a key came from one.
  if (o.isolateKernelKeyring && !stopped && !o.sandbox) {
    const isolated = isolateKernelKeyring(command, o.env, o.cwd);
    if (isolated) command = isolated.command;
    else notices.push('a key came from the kernel keyring, which the agent can read without keyctl (install keyutils so guardrun can start it in a keyring of its own)');
  }
  let childEnvironment = env;
  if (!stopped && o.sandbox) {
    try {
      const wrapped = await o.sandbox.wrap(command, { ...env, [PROXY_VARIABLE]: env.HTTPS_PROXY }, proxy.port, sessionFile);
      command = wrapped.command;
      childEnvironment = wrapped.env;
    } catch (error) {
      plan?.cleanup();
      await abortBeforeChild(error);
    }
  }
  const sandbox = o.sandbox;
  const running = stopped
    ? notStarted(stopped)
    : spawnChild(command, childEnvironment, o.cwd, o.killGraceMs ?? 10_000, sandbox ? { detached: true, deliver: sandbox.deliver } : {});
  // Warm-up for the first request, once the child has had a moment (a command like `true` is gone by then, and
  // its run pays nothing): the tokenizer's ranks load in a worker thread, the HTTP client on the event loop, and a
  // rehearsal runs made-up requests through a copy of the request path (warm-up.ts). No agent sends a request
  // sooner (node alone takes ~40 ms to start).
  const warm = setTimeout(() => {
    sessionGuard.warmUp();
    for (const u of Object.values(upstreams)) u?.pool.warm?.();
    // Dropped at the agent's first model request, or when the child is gone first.
    void rehearse(o.guard?.policy, Promise.race([openProxy.firstRequest, running.exited.then(() => undefined)]));
  }, WARM_UP_AFTER_MS);
  warm.unref();
  void running.exited.then(() => clearTimeout(warm));
  child = running;
  let finished = false;
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    plan?.cleanup();
    sessionEgress.cleanup();
  };

  const finish = (reason: 'exit' | 'signal' | 'crash', exitCode: number, exit?: ChildExit): void => {
    if (finished) return;
    finished = true;
    if (exit && !exit.notStarted) recorder.write({ type: 'child.exit', time: new Date().toISOString(), code: exit.code, signal: exit.signal, error: exit.spawnError?.message });
    recorder.write({
      type: 'session.end', time: new Date().toISOString(), reason, exitCode, requests: stats.requests, denied: stats.denied,
      costUsd: round(stats.costUsd), costEstimatedUsd: stats.estimatedUsd > 0 ? round(stats.estimatedUsd) : undefined, durationMs: Date.now() - startedAt.getTime(),
    });
    if (o.sealKey !== undefined) {
      const sealed = recorder.lastHash;
      recorder.write({ type: 'session.seal', alg: 'HMAC-SHA256', keyId: keyIdOf(o.sealKey), sealed, mac: sealMac(o.sealKey, sessionId, sealed) });
    }
    recorder.close();
  };

  // Set when guardrun was asked to stop (SIGTERM/SIGHUP/SIGQUIT, Ctrl-C twice): the agent's whole tree ends then.
  let stopping = false;
  const graceMs = Math.min(o.killGraceMs ?? 10_000, 3_000);

  const done = (async (): Promise<SessionResult> => {
    const exit = await running.exited;
    cleanup();
    approver.close();
    // A stopped run leaves nothing behind: grandchildren (re-parented when the child exited) end too.
    if (stopping || exit.notStarted) endProcessesSync(leftoverProcesses(sessionId, undefined), graceMs);
    await openProxy.close();
    await sandbox?.close();
    sessionGuard.close();
    finish(exit.signal || exit.notStarted ? 'signal' : 'exit', exit.exitCode, exit);
    const failed = recorder.failure;
    return { exitCode: exit.exitCode, child: exit, sessionFile, sessionId, stats, recordError: failed ? `${failed.code ?? 'error'}: ${failed.message}` : undefined, finalHash: recorder.lastHash, egress: sessionEgress.summary() };
  })();

  const signal = (sig: NodeJS.Signals): void => {
    // A prompt may have the child stopped: close it (pending asks are denied, the child resumed) first.
    if (sig !== 'SIGINT') {
      approver.close();
      stopping = true;
    }
    running.signal(sig);
  };
  stopRun = () => signal('SIGTERM');

  return {
    sessionId, sessionFile, origin: openProxy.origin, child: running, done,
    notices: [
      ...(chosen.notice ? [chosen.notice] : []),
      ...notices,
      ...Object.values(upstreams).filter((u) => u.strippedV1).map((u) => `the ${u.provider} upstream URL ended in /v1, which guardrun dropped (agents' paths already start with /v1): using ${u.url}`),
      ...(sessionEgress.problem ? [sessionEgress.problem] : []),
    ],
    signal,
    interrupt() {
      // The child had this Ctrl-C from the terminal itself (a sandboxed one did not: it is not in the terminal's
      // process group, so it is passed on); a second one soon after a Ctrl-C at a prompt means "stop".
      if (sandbox) running.signal('SIGINT');
      if (approver.recentCtrlC?.()) signal('SIGTERM');
    },
    finalizeSync(reason, exitCode) {
      approver.close();
      finish(reason, exitCode);
      running.killSync();
      endProcessesSync(leftoverProcesses(sessionId, running.pid), graceMs);
      cleanup();
    },
  };
}

/** Starts a session and waits for it: the library's one-call form. */
export async function runSession(o: SessionOptions): Promise<SessionResult> {
  const running = await startSession(o);
  return running.done;
}

function resolveUpstreams(
  providers: Provider[],
  given: Partial<Record<Provider, string>> | undefined,
  env: NodeJS.ProcessEnv,
  pools: Partial<Record<Provider, UpstreamPool>> | undefined,
  sockets: Partial<Record<Provider, UpstreamSockets>> | undefined,
): Partial<Record<Provider, Upstream>> {
  const out: Partial<Record<Provider, Upstream>> = {};
  for (const provider of providers) {
    const url = given?.[provider] ?? env[UPSTREAM_ENV[provider]] ?? DEFAULT_UPSTREAMS[provider];
    out[provider] = createUpstream(provider, url, pools?.[provider], sockets?.[provider]);
  }
  return out;
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** The policy's `upstream` timeouts, in ms. */
function firstByteTimeouts(policy: Policy): FirstByteTimeouts {
  return { stream: policy.upstream.first_byte_timeout_s * 1000, unstreamed: policy.upstream.first_byte_timeout_unstreamed_s * 1000 };
}
