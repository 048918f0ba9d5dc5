// What every command that runs a child shares: process signals and crashes wired to the session, and --kill-timeout.
// The signal handlers go in first, before the key lookup, the session file or the child exist: a SIGTERM in the
// first moments of a run must reach guardrun's own handling, not kill guardrun and orphan what it started.
import { GuardrunError } from '../errors.js';
import type { RunningSession } from '../session/run-session.js';
import type { CommandContext } from './context.js';
import { colorsFor, formatError } from './output.js';

export function parseKillTimeout(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new GuardrunError('E_USAGE', `--kill-timeout must be a number of seconds, not "${value}"`, 'e.g. --kill-timeout 10');
  }
  return seconds;
}

/** Signals guardrun handles itself; each is forwarded to the child once there is one. */
const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGINT'] as const;

export interface SignalTrap {
  /** Aborted (reason: the signal's name) when a stopping signal arrives before a session is attached. */
  readonly early: AbortSignal;
  /** From now on signals go to this session; a signal that arrived earlier is delivered at once. */
  attach(session: RunningSession): void;
  /** Removes every handler. */
  release(): void;
}

/**
 * Installs guardrun's signal and crash handlers at once. Until a session is attached, a SIGTERM, SIGHUP or
 * SIGQUIT (or SIGINT off a terminal) is held and `early` is aborted, so the session can stop before it starts
 * the child; after, each is forwarded to the session (which kills the child after the grace period).
 */
const ignore = (): void => undefined;

export function trapSignals(ctx: CommandContext): SignalTrap {
  const controller = new AbortController();
  let session: RunningSession | undefined;
  let pending: NodeJS.Signals | undefined;
  // On a terminal, Ctrl-C reaches the whole foreground process group, the child included: forwarding it
  // again would deliver it twice. Without one (a pipe, a service manager), SIGINT is forwarded.
  const onTerminal = Boolean(ctx.io.stdin.isTTY || ctx.io.stdout.isTTY || ctx.io.stderr.isTTY);
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of FORWARDED) {
    handlers.set(sig, () => {
      if (sig === 'SIGINT' && onTerminal && session) return session.interrupt();
      if (session) return session.signal(sig);
      pending ??= sig;
      if (!controller.signal.aborted) controller.abort(sig);
    });
  }
  const onCrash = (error: unknown): void => {
    session?.finalizeSync('crash', 70);
    ctx.io.stderr.write(formatError(error, colorsFor(ctx.io.stderr, ctx.io.env)));
    process.exit(70);
  };
  for (const [sig, handler] of handlers) process.on(sig, handler);
  // A file-size limit (ulimit -f) must show as a write error the recorder handles, not kill guardrun (SIGXFSZ).
  process.on('SIGXFSZ', ignore);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  return {
    early: controller.signal,
    attach(s) {
      session = s;
      if (pending) s.signal(pending);
    },
    release() {
      for (const [sig, handler] of handlers) process.off(sig, handler);
      process.off('SIGXFSZ', ignore);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
    },
  };
}
