// The guarded child: spawn, signals, and the exit code guardrun passes on.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

export interface ChildExit {
  /** The exit code guardrun should use: the child's, 128+N for signal N, 127 not found, 126 not executable. */
  exitCode: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started. */
  spawnError?: { code: 'ENOENT' | 'EACCES' | string; message: string };
}

export interface RunningChild {
  pid: number | undefined;
  exited: Promise<ChildExit>;
  /** Sends a signal; for SIGTERM/SIGHUP a SIGKILL follows after the grace period if the child is still there. */
  signal(sig: NodeJS.Signals): void;
  /** Pauses (SIGSTOP) or resumes (SIGCONT) the child, e.g. while a prompt owns the terminal. */
  pause(): void;
  resume(): void;
}

export function spawnChild(command: string[], env: NodeJS.ProcessEnv, cwd: string, graceMs: number): RunningChild {
  const [file, ...args] = command;
  const child: ChildProcess = spawn(file, args, { stdio: 'inherit', env, cwd });
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
      if ((sig === 'SIGTERM' || sig === 'SIGHUP' || sig === 'SIGINT') && !killTimer && !done) {
        killTimer = setTimeout(() => send('SIGKILL'), graceMs);
        killTimer.unref();
      }
    },
    pause: () => send('SIGSTOP'),
    resume: () => send('SIGCONT'),
  };
}
