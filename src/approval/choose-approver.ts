// Terminal or CI: `--ci`, a set `CI` variable, or no controlling terminal means nobody can be asked.
import { closeSync, constants, openSync } from 'node:fs';
import tty from 'node:tty';
import { createCiApprover } from './ci-approver.js';
import type { SessionGrants } from './session-grants.js';
import { createTerminalApprover } from './terminal-approver.js';
import type { Approver } from './types.js';

export interface ChooseApproverOptions {
  /** `--ci` */
  ci: boolean;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  pause?: () => void | Promise<void>;
  resume?: () => void | Promise<void>;
  /** Stops the run (Ctrl-C twice at a prompt). */
  stopRun?: () => void;
  ttyPath?: string;
  grants?: SessionGrants;
}

export interface ChosenApprover {
  approver: Approver;
  mode: 'terminal' | 'ci';
  /** Why this mode: "--ci", "CI is set", "no terminal (/dev/tty: ENXIO)", or "terminal /dev/tty". */
  why: string;
  /** In `ci` mode, how the exit summary tags the denials: `ci` when CI mode was chosen (--ci, CI), `no terminal` when there was none. */
  tag?: 'ci' | 'no terminal';
}

/** `CI` counts as set unless empty, "0" or "false" (any case). */
export function ciVariableSet(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/** Undefined when `ttyPath` opens as a terminal; otherwise the error code (ENXIO when there is no controlling terminal). */
export function probeTerminal(ttyPath: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(ttyPath, constants.O_RDWR);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
  try {
    return tty.isatty(fd) ? undefined : 'ENOTTY';
  } finally {
    closeSync(fd);
  }
}

export function chooseApprover(options: ChooseApproverOptions): ChosenApprover {
  const ttyPath = options.ttyPath ?? '/dev/tty';
  const ci = (why: string, tag: ChosenApprover['tag']): ChosenApprover => ({ approver: createCiApprover(why), mode: 'ci', why, tag });
  if (options.ci) return ci('--ci', 'ci');
  if (ciVariableSet(options.env)) return ci('CI is set', 'ci');
  const failure = probeTerminal(ttyPath);
  if (failure) return ci(`no terminal (${ttyPath}: ${failure})`, 'no terminal');
  const approver = createTerminalApprover({
    timeoutMs: options.timeoutMs,
    ttyPath,
    pause: options.pause,
    resume: options.resume,
    stopRun: options.stopRun,
    grants: options.grants,
    env: options.env,
  });
  return { approver, mode: 'terminal', why: `terminal ${ttyPath}` };
}
