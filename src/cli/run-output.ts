// What `guardrun -- cmd` prints of its own: one line when the guard is up, the denials and one line at exit.
// Every value that an agent, a model or a policy file controls passes the terminal gate.
import { relative } from 'node:path';
import { formatUsd } from '../cost/format-usd.js';
import type { SessionResult } from '../session/run-session.js';
import { terminalSafe } from '../secrets/terminal-text.js';
import type { CommandContext } from './context.js';
import { colorsFor } from './output.js';

/** A path as short as it is clear: relative to the working directory when inside it. */
export function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** `guardrun: guarding node (policy: guardrun.yaml; session: .guardrun/sessions/…jsonl)`. */
export function startLine(o: { command: string[]; policySource: string; sessionFile: string }, ctx: CommandContext): string {
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  // A policy found upward is shown as ../../guardrun.yaml: where it sits relative to here is the point.
  const policy = o.policySource.startsWith('/') ? relative(ctx.io.cwd, o.policySource) : o.policySource;
  return `${c.dim('guardrun:')} guarding ${terminalSafe(o.command[0])} (policy: ${terminalSafe(policy)}; session: ${terminalSafe(shownPath(o.sessionFile, ctx.io.cwd))})\n`;
}

/** The denials (always) and, unless quiet, where the record is with its request count, spend and final hash. */
export function summaryLines(result: SessionResult, command: string[], ctx: CommandContext, o: { quiet: boolean; sealed: boolean }): string {
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  const lines: string[] = [];
  if (result.child.spawnError) {
    const what = result.child.spawnError.code === 'ENOENT' ? 'command not found' : 'command cannot be executed';
    lines.push(`${c.red('guardrun:')} ${what}: ${terminalSafe(command[0])}`);
  }
  const { requests, costUsd, denials } = result.stats;
  if (denials.length > 0) {
    lines.push(`${c.yellow('guardrun:')} denied ${denials.length} time${denials.length === 1 ? '' : 's'}:`);
    for (const d of denials) lines.push(`  #${d.id} ${terminalSafe(d.endpoint)}  ${c.bold(terminalSafe(d.rule))} (${d.decidedBy}): ${terminalSafe(d.reason)}`);
  }
  if (!o.quiet || lines.length > 0) {
    lines.push(`${c.dim('guardrun:')} session saved to ${terminalSafe(shownPath(result.sessionFile, ctx.io.cwd))} (${requests} request${requests === 1 ? '' : 's'}, ${formatUsd(costUsd)})`);
    // Kept elsewhere, the final hash proves later that the file was not rewritten: replay --expect-hash.
    lines.push(`${c.dim('guardrun:')} final hash ${result.finalHash}${o.sealed ? ' (sealed)' : ''}`);
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
