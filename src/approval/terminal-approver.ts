// Asks the human on the controlling terminal (/dev/tty, never the child's stdin), one question at a
// time, with the child paused while the prompt is open. Every failure becomes a deny; ask never rejects.
import { Chalk, type ChalkInstance } from 'chalk';
import { closeSync, constants, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import tty from 'node:tty';
import { inquirerPrompt, type PromptFn, type PromptIo } from './inquirer-prompt.js';
import { createSessionGrants, type SessionGrants } from './session-grants.js';
import type { ApprovalAnswer, ApprovalRequest, Approver } from './types.js';

/** An open terminal: `input`/`output` are tty streams in real use. */
export interface TerminalIo {
  input: NodeJS.ReadableStream & { isRaw?: boolean; setRawMode?(mode: boolean): unknown };
  output: PromptIo['output'];
  close(): void;
}

export interface TerminalApproverOptions {
  /** A question not answered within this many ms of being shown is denied (`by: 'timeout'`). */
  timeoutMs: number;
  ttyPath?: string;
  /** Called (and awaited) before the prompt is drawn: stop the child's process tree. */
  pause?: () => void | Promise<void>;
  /** Called after the answer: continue the child. Must be idempotent: close() calls it too when a prompt is open. */
  resume?: () => void | Promise<void>;
  /** "Allow for the rest of this session" adds grants here; questions they cover (also queued ones) get no prompt. Default: a fresh set. */
  grants?: SessionGrants;
  /** For NO_COLOR / FORCE_COLOR; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Injected by unit tests; defaults to the @inquirer prompt. */
  prompt?: PromptFn;
  /** Injected by unit tests; defaults to opening `ttyPath` as tty streams. */
  openTerminal?: (ttyPath: string) => TerminalIo;
  /** Called on a second Ctrl-C within DOUBLE_CTRL_C_MS: stop the run (SIGTERM to the child, then the kill timeout). */
  stopRun?: () => void;
}

/** Two Ctrl-C this close together (at a prompt, or one at a prompt and one on the terminal) stop the run. */
export const DOUBLE_CTRL_C_MS = 3_000;

/** Opens the terminal twice (one fd per stream, so destroying one does not close the other's fd). */
export function openTerminal(ttyPath: string): TerminalIo {
  const inFd = openSync(ttyPath, constants.O_RDONLY);
  let outFd: number;
  try {
    outFd = openSync(ttyPath, constants.O_WRONLY);
  } catch (error) {
    closeSync(inFd);
    throw error;
  }
  if (!tty.isatty(inFd) || !tty.isatty(outFd)) {
    closeSync(inFd);
    closeSync(outFd);
    throw Object.assign(new Error(`${ttyPath} is not a terminal`), { code: 'ENOTTY' });
  }
  const input = new tty.ReadStream(inFd);
  const output = new tty.WriteStream(outFd);
  // A vanished terminal (EIO) must not crash guardrun; the approver watches the input for it.
  input.on('error', () => {});
  output.on('error', () => {});
  return {
    input,
    output,
    close() {
      if (input.isRaw) input.setRawMode(false);
      input.destroy();
      output.destroy();
    },
  };
}

function colorsFor(env: NodeJS.ProcessEnv): ChalkInstance {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({ level: 0 });
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return new Chalk({ level: 0 });
  return new Chalk({ level: 1 }); // the output is a terminal by construction
}

const formatDuration = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`);
const errorName = (error: unknown): string => (error instanceof Error ? error.name : '');
const errorText = (error: unknown): string => (error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error));

export function createTerminalApprover(options: TerminalApproverOptions): Approver {
  const { timeoutMs, ttyPath = '/dev/tty', grants = createSessionGrants() } = options;
  const prompt = options.prompt ?? inquirerPrompt;
  const open = options.openTerminal ?? openTerminal;
  const colors = colorsFor(options.env ?? process.env);
  let terminal: TerminalIo | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let current: AbortController | undefined;
  let paused = false;
  let closed = false;
  /** Asks queued behind the current one: while there are any, the child stays stopped between prompts. */
  let waiting = 0;
  /** When Ctrl-C last denied at a prompt (performance.now()), for the second one that stops the run. */
  let lastCtrlC = -Infinity;

  // The lead's pause/resume signal processes that may be gone; a failure there must not block the answer.
  const callHook = async (hook: (() => void | Promise<void>) | undefined): Promise<void> => {
    try {
      await hook?.();
    } catch {
      // nothing to pause or resume any more
    }
  };

  const dropTerminal = (): void => {
    const t = terminal;
    terminal = undefined;
    if (!t) return;
    try {
      if (current) t.output.write('\x1b[?25h\n'); // the select hides the cursor; show it again
      t.close();
    } catch {
      // already gone
    }
  };

  const deny = (by: 'human' | 'timeout' | 'error', reason: string, humanMs?: number): ApprovalAnswer => ({ kind: 'deny', by, reason, humanMs });

  async function askNow(q: ApprovalRequest): Promise<ApprovalAnswer> {
    if (closed) return deny('error', 'guardrun was shutting down, so no one could be asked');
    if (grants.refused(q.reasons, q.model)) return { kind: 'deny', by: 'human', reason: 'denied for the rest of this session at an earlier approval prompt', humanMs: 0, fromGrant: true };
    if (grants.covers(q.reasons, q.model)) return { kind: 'allow', scope: 'session', by: 'human', humanMs: 0, fromGrant: true };
    let io: TerminalIo;
    try {
      io = terminal ??= open(ttyPath);
    } catch (error) {
      return deny('error', `approval was needed but the terminal could not be opened (${ttyPath}: ${errorText(error)}), so the request was denied`);
    }
    const controller = new AbortController();
    current = controller;
    const gone = (): void => controller.abort('terminal');
    io.input.on('end', gone);
    io.input.on('close', gone);
    io.input.on('error', gone);
    let timer: NodeJS.Timeout | undefined;
    let started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      if (!paused) {
        paused = true;
        await callHook(options.pause);
        // close() resumed while the pause was under way: undo the pause that has just finished.
        if (closed) await callHook(options.resume);
      }
      // The clock starts once the child is stopped and the prompt is about to be drawn.
      started = performance.now();
      timer = setTimeout(() => controller.abort('timeout'), timeoutMs);
      if (controller.signal.aborted) throw new Error('aborted before the prompt was drawn');
      const choice = await prompt(q, { input: io.input, output: io.output, signal: controller.signal, colors, deadline: Date.now() + timeoutMs });
      const humanMs = elapsed();
      if (choice.kind === 'deny') return outcome(io, q, deny('human', choice.reason ?? 'denied at the approval prompt', humanMs));
      if (choice.kind === 'deny-session') {
        grants.refuse(q.reasons, q.model);
        return outcome(io, q, deny('human', 'denied for the rest of this session at the approval prompt', humanMs));
      }
      if (choice.kind === 'session') grants.add(q.reasons, q.model);
      return outcome(io, q, { kind: 'allow', scope: choice.kind, by: 'human', humanMs });
    } catch (error) {
      const humanMs = elapsed();
      const why: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
      if (why === 'timeout') return outcome(io, q, deny('timeout', `no answer at the approval prompt within ${formatDuration(timeoutMs)}, so the request was denied`, humanMs));
      if (why === 'closing') return deny('error', 'guardrun was shutting down while the approval prompt was open, so the request was denied', humanMs);
      if (why === 'terminal') {
        dropTerminal();
        return deny('error', 'the terminal went away while the approval prompt was open, so the request was denied', humanMs);
      }
      // Ctrl-C in the prompt (raw mode) reaches readline as "SIGINT"; other ExitPromptErrors mean guardrun got a signal.
      if (errorName(error) === 'ExitPromptError' && /with SIGINT$/.test(errorText(error))) {
        const now = performance.now();
        const twice = now - lastCtrlC <= DOUBLE_CTRL_C_MS;
        lastCtrlC = now;
        if (twice) {
          const answer = outcome(io, q, deny('human', 'cancelled at the prompt (Ctrl-C twice: guardrun is stopping the run), so the request was denied', humanMs));
          options.stopRun?.();
          return answer;
        }
        return outcome(io, q, deny('human', 'cancelled at the prompt (Ctrl-C), so the request was denied', humanMs));
      }
      dropTerminal();
      return deny('error', `the approval prompt failed (${errorText(error)}), so the request was denied`, humanMs);
    } finally {
      clearTimeout(timer);
      io.input.removeListener('end', gone);
      io.input.removeListener('close', gone);
      io.input.removeListener('error', gone);
      current = undefined;
    }
  }

  /** Replaces the cleared menu with one line saying what happened; passes the answer through. */
  function outcome(io: TerminalIo, q: ApprovalRequest, answer: ApprovalAnswer): ApprovalAnswer {
    const line = answer.kind === 'allow'
      ? colors.green(`✔ request #${q.id} allowed ${answer.scope === 'session' ? 'for the rest of this session' : 'once'}`)
      : colors.red(`✖ request #${q.id} denied: ${answer.reason.replace(/, so the request was denied$/, '')}`);
    try {
      io.output.write(`${line}\n`);
    } catch {
      // the terminal is gone; the answer stands
    }
    return answer;
  }

  /** Once nothing more is queued: releases the terminal, then continues the child. */
  async function settle(): Promise<void> {
    if (waiting > 0 && !closed) return;
    // An idle approver must not read the terminal: a paused tty stream still reads one more chunk,
    // which would steal the child's next keystrokes (seen in the tmux test). Reopened at the next ask.
    dropTerminal();
    if (!paused) return;
    paused = false;
    await callHook(options.resume);
  }

  return {
    mode: 'terminal',
    recentCtrlC: () => performance.now() - lastCtrlC <= DOUBLE_CTRL_C_MS,
    ask(q) {
      // One prompt at a time: each question waits for the one before it.
      waiting += 1;
      const answer = queue
        .then(async () => {
          waiting -= 1;
          const result = await askNow(q);
          await settle();
          return result;
        })
        .catch((error: unknown) => deny('error', `the approval prompt failed (${errorText(error)})`));
      queue = answer;
      return answer;
    },
    close() {
      if (closed) return;
      closed = true;
      current?.abort('closing');
      dropTerminal();
      if (paused) void callHook(options.resume); // synchronously for a sync resume: never leave the child stopped
      paused = false;
    },
  };
}
