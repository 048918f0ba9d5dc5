// The real prompt: the request block, then a select (and an input for a deny reason) from @inquirer/prompts.
import type { ChalkInstance } from 'chalk';
import { Writable } from 'node:stream';
import { renderRequest } from './render-request.js';
import { sanitizeForTerminal } from '../secrets/terminal-text.js';
import type { ApprovalRequest } from './types.js';

export type PromptChoice = { kind: 'once' } | { kind: 'session' } | { kind: 'deny'; reason?: string };

/** The terminal the prompt draws on; `output` is a tty.WriteStream in real use. */
export interface PromptIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { columns?: number; rows?: number };
  signal: AbortSignal;
  colors: ChalkInstance;
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

export const inquirerPrompt: PromptFn = async (q, io) => {
  // Loaded at the first prompt: most runs never ask, and @inquirer costs ~40 ms at start-up.
  const { input: inputPrompt, select } = await import('@inquirer/prompts');
  const c = io.colors;
  io.output.write(`${renderRequest(q, c, io.output.columns)}\n`);
  const scope = `${q.reasons.map((r) => sanitizeForTerminal(r.rule)).join(', ')} on ${sanitizeForTerminal(q.model ?? 'any model')}`;
  const theme = themeFor(c);
  const choice = await select(
    {
      message: 'Let this request through?',
      choices: [
        { value: 'once', name: 'Allow once' },
        { value: 'session', name: `Allow for the rest of this session (${scope})` },
        { value: 'deny', name: 'Deny' },
        { value: 'deny-reason', name: 'Deny with a reason… (the agent sees it)' },
      ] as const,
      loop: false,
      theme: { ...theme, indexMode: 'number' as const },
    },
    { input: io.input, output: promptOutput(io.output), signal: io.signal },
  );
  if (choice !== 'deny-reason') return choice === 'deny' ? { kind: 'deny' } : { kind: choice };
  const reason = await inputPrompt(
    { message: 'Reason (sent to the agent):', theme },
    { input: io.input, output: promptOutput(io.output), signal: io.signal },
  );
  return { kind: 'deny', reason: reason.trim() || undefined };
};
