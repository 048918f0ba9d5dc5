// The guarded child: spawn, signals, and the exit code guardrun passes on.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { alive } from './process-tree.js';
import { findCommand } from './find-command.js';

export interface ChildExit {
  /** The exit code guardrun should use: the child's, 128+N for signal N, 127 not found, 126 not executable. */
  exitCode: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started. */
  spawnError?: { code: 'ENOENT' | 'EACCES' | string; message: string };
  /** The child was never started: guardrun was asked to stop (this signal) while it set up the session. */
  notStarted?: NodeJS.Signals;
}

export interface RunningChild {
  pid: number | undefined;
  exited: Promise<ChildExit>;
  /** Sends a signal; for SIGTERM/SIGHUP/SIGQUIT a SIGKILL follows after the grace period if the child is still there. */
  signal(sig: NodeJS.Signals): void;
  /** Crash path: SIGTERM, wait synchronously up to the grace period (at most 3 s), then SIGKILL. */
  killSync(): void;
  /** Pauses (SIGSTOP) or resumes (SIGCONT) the child, e.g. while a prompt owns the terminal. */
  pause(): void;
  resume(): void;
}

/**
 * On Linux the child is started through util-linux `setpriv --pdeathsig SIGTERM`, which sets PR_SET_PDEATHSIG
 * (prctl(2)) and then execs the command in the same process: if guardrun itself dies (even by SIGKILL), the
 * kernel sends the agent SIGTERM instead of leaving it running with a dead proxy. Where setpriv is missing,
 * the command is started directly.
 */
function withDeathSignal(command: string[], env: NodeJS.ProcessEnv, cwd: string): string[] {
  if (process.platform !== 'linux') return command;
  const setpriv = findCommand('setpriv', { PATH: `${env.PATH ?? ''}:/usr/bin:/bin` }, cwd);
  return setpriv.ok ? [setpriv.path, '--pdeathsig', 'SIGTERM', '--', ...command] : command;
}

/** How a sandboxed child is run (src/sandbox/): in its own process group, signals delivered inside the sandbox. */
export interface SpawnVia {
  /** Its own process group, so the terminal's Ctrl-C reaches guardrun, which forwards it (the sandbox wrapper would die of it). */
  detached?: boolean;
  /** Delivers a signal to the agent itself; false when it could not (the signal then goes to the child process). */
  deliver?: (sig: NodeJS.Signals, childPid: number) => boolean;
}

export function spawnChild(command: string[], env: NodeJS.ProcessEnv, cwd: string, graceMs: number, via: SpawnVia = {}): RunningChild {
  const [file, ...args] = withDeathSignal(command, env, cwd);
  const child: ChildProcess = spawn(file, args, { stdio: 'inherit', env, cwd, detached: via.detached === true });
  let killTimer: NodeJS.Timeout | undefined;
  let done = false;

  const exited = new Promise<ChildExit>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      const code = error.code === 'ENOENT' ? 127 : error.code === 'EACCES' ? 126 : 126;
      resolve({ exitCode: code, code: null, signal: null, spawnError: { code: error.code ?? 'UNKNOWN', message: error.message } });
    });
    child.once('exit', (code, signal) => {
      if (done) return;
      done = true;
      if (killTimer) clearTimeout(killTimer);
      const exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1);
      resolve({ exitCode, code, signal });
    });
  });

  const send = (sig: NodeJS.Signals): void => {
    if (done || child.pid === undefined) return;
    if (via.deliver && sig !== 'SIGKILL' && sig !== 'SIGSTOP' && sig !== 'SIGCONT' && via.deliver(sig, child.pid)) return;
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  };

  return {
    pid: child.pid,
    exited,
    signal(sig) {
      send(sig);
      // SIGINT is the user's "stop what you are doing": an agent may take its time, so no SIGKILL follows it.
      if ((sig === 'SIGTERM' || sig === 'SIGHUP' || sig === 'SIGQUIT') && !killTimer && !done) {
        killTimer = setTimeout(() => send('SIGKILL'), graceMs);
        killTimer.unref();
      }
    },
    pause: () => send('SIGSTOP'),
    resume: () => send('SIGCONT'),
    killSync() {
      // guardrun is going down now (crash): no event loop to wait on, so poll, then make sure.
      if (done || child.pid === undefined) return;
      send('SIGCONT');
      send('SIGTERM');
      const deadline = Date.now() + Math.min(graceMs, 3_000);
      const nap = new Int32Array(new SharedArrayBuffer(4));
      while (Date.now() < deadline && alive(child.pid)) Atomics.wait(nap, 0, 0, 50);
      if (alive(child.pid)) send('SIGKILL');
    },
  };
}

/** A child that was never started because `sig` asked guardrun to stop first: it "exits" at once with 128+N. */
export function notStarted(sig: NodeJS.Signals): RunningChild {
  const exitCode = 128 + (constants.signals[sig] ?? 0);
  return {
    pid: undefined,
    exited: Promise.resolve({ exitCode, code: null, signal: null, notStarted: sig }),
    signal: () => undefined,
    killSync: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
  };
}
