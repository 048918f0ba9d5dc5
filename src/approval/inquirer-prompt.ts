// The real prompt: the request block, then a select (and an input for a deny reason) from @inquirer/prompts.
import type { ChalkInstance } from 'chalk';
import { Writable } from 'node:stream';
import { renderRequest } from './render-request.js';
import { sanitizeForTerminal } from '../secrets/terminal-text.js';
import type { ApprovalRequest } from './types.js';

export type PromptChoice = { kind: 'once' } | { kind: 'session' } | { kind: 'deny'; reason?: string } | { kind: 'deny-session' };

/** The terminal the prompt draws on; `output` is a tty.WriteStream in real use. */
export interface PromptIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { columns?: number; rows?: number };
  signal: AbortSignal;
  colors: ChalkInstance;
  /** When an unanswered question is denied (epoch ms), for the countdown. */
  deadline: number;
}

/** Asks one question; rejects with @inquirer's AbortPromptError / ExitPromptError on abort / Ctrl-C. */
export type PromptFn = (q: ApprovalRequest, io: PromptIo) => Promise<PromptChoice>;

/**
 * @inquirer pipes into the output and ends it when the prompt is done (legacy Stream#pipe), which
 * would close the shared tty stream after the first prompt: give each prompt its own end-able view.
 */
function promptOutput(tty: PromptIo['output']): NodeJS.WritableStream {
  const view = new Writable({
    write(chunk, _encoding, done) {
      tty.write(chunk);
      done();
    },
  });
  Object.defineProperties(view, {
    isTTY: { value: true },
    columns: { get: () => tty.columns ?? 80 },
    rows: { get: () => tty.rows ?? 24 },
  });
  return view;
}

function themeFor(c: ChalkInstance) {
  return {
    prefix: { idle: c.blue('?'), done: c.green('✔') },
    style: {
      answer: (t: string) => c.cyan(t),
      message: (t: string) => c.bold(t),
      error: (t: string) => c.red(`> ${t}`),
      defaultAnswer: (t: string) => c.dim(`(${t})`),
      help: (t: string) => c.dim(t),
      highlight: (t: string) => c.cyan(t),
      key: (t: string) => c.cyan(c.bold(`<${t}>`)),
      disabled: (t: string) => c.dim(t),
      description: (t: string) => c.cyan(t),
      keysHelpTip: (keys: [string, string][]) => keys.map(([k, a]) => `${c.bold(k)} ${c.dim(a)}`).join(c.dim(' • ')),
    },
  };
}

/** What Ctrl-C does, shown under the menu. */
export const CTRL_C_HINT = 'Ctrl-C denies this request · Ctrl-C twice within 3 s stops the run';

export const inquirerPrompt: PromptFn = async (q, io) => {
  // Loaded at the first prompt: most runs never ask, and @inquirer costs ~40 ms at start-up.
  const [{ input: inputPrompt }, { choicePrompt }] = await Promise.all([import('@inquirer/prompts'), import('./choice-prompt.js')]);
  const c = io.colors;
  io.output.write(`${renderRequest(q, c, io.output.columns)}\n`);
  const scope = `${q.reasons.map((r) => sanitizeForTerminal(r.rule)).join(', ')} on ${sanitizeForTerminal(q.model ?? 'any model')}`;
  const theme = themeFor(c);
  // The menu is cleared once answered: the approver prints one line saying what happened instead.
  // Each prompt ends its output view when done: a fresh one per prompt.
  const context = () => ({ input: io.input, output: promptOutput(io.output), signal: io.signal, clearPromptOnDone: true });
  const choice = await choicePrompt(
    {
      message: 'Let this request through?',
      choices: [
        { value: 'once', name: 'Allow once' },
        { value: 'session', name: `Allow for the rest of this session (${scope})` },
        { value: 'deny', name: 'Deny' },
        { value: 'deny-session', name: `Deny for the rest of this session (${scope})` },
        { value: 'deny-reason', name: 'Deny with a reason… (the agent sees it)' },
      ] as const,
      deadline: io.deadline,
      footer: CTRL_C_HINT,
      theme,
    },
    context(),
  );
  if (choice !== 'deny-reason') return choice === 'deny' ? { kind: 'deny' } : { kind: choice };
  const reason = await inputPrompt({ message: 'Reason (sent to the agent):', theme }, context());
  return { kind: 'deny', reason: reason.trim() || undefined };
};
