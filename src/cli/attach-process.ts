// What every command that runs a child shares: process signals and crashes wired to the session, and --kill-timeout.
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

/** Wires process signals and crashes to the session. */
export function attachProcess(session: RunningSession, ctx: CommandContext): () => void {
  const forward = (sig: NodeJS.Signals) => () => session.signal(sig);
  const onTerm = forward('SIGTERM');
  const onHup = forward('SIGHUP');
  // On a terminal, Ctrl-C reaches the whole foreground process group, the child included: forwarding it
  // again would deliver it twice. Without one (a pipe, a service manager), SIGINT is forwarded.
  const onTerminal = Boolean(ctx.io.stdin.isTTY || ctx.io.stdout.isTTY || ctx.io.stderr.isTTY);
  const onInt = onTerminal ? () => undefined : forward('SIGINT');
  const onCrash = (error: unknown): void => {
    session.finalizeSync('crash', 70);
    ctx.io.stderr.write(formatError(error, colorsFor(ctx.io.stderr, ctx.io.env)));
    process.exit(70);
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  process.on('SIGINT', onInt);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  return () => {
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onHup);
    process.off('SIGINT', onInt);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  };
}

