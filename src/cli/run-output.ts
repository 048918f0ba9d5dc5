// What `guardrun -- cmd` prints of its own: one line when the guard is up, the denials and one line at exit.
// Every value that an agent, a model or a policy file controls passes the terminal gate.
import { relative } from 'node:path';
import { formatUsd } from '../cost/format-usd.js';
import type { SessionResult } from '../session/run-session.js';
import type { CostOverrides } from '../policy/overrides.js';
import type { AgentReport } from '../agents/plan.js';
import { detectAgent } from '../agents/detect.js';
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
  // A policy found upward is shown as ../../guardrun.yaml (where it sits relative to here is the point); one
  // elsewhere, by its full path.
  const rel = o.policySource.startsWith('/') ? relative(ctx.io.cwd, o.policySource) : o.policySource;
  const policy = /^(\.\.\/)*[^/]+$/.test(rel) || !rel.startsWith('..') ? rel : o.policySource;
  return `${c.dim('guardrun:')} guarding ${terminalSafe(o.command[0])} (policy: ${terminalSafe(policy)}; session: ${terminalSafe(shownPath(o.sessionFile, ctx.io.cwd))})\n`;
}

/** The start-up line when the command line set cost limits for this run (`--budget`, `--approve-over`); empty otherwise. */
export function limitsLine(cost: CostOverrides, ctx: CommandContext): string {
  const parts: string[] = [];
  if (cost.budgetUsd !== undefined) parts.push(cost.budgetUsd === null ? 'no session budget (--budget none)' : `session budget ${formatUsd(cost.budgetUsd)} (--budget)`);
  if (cost.approveOverUsd !== undefined) parts.push(cost.approveOverUsd === null ? 'no per-request approval (--approve-over none)' : `asks above ${formatUsd(cost.approveOverUsd)} a request (--approve-over)`);
  if (parts.length === 0) return '';
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  return `${c.dim('guardrun:')} ${parts.join('; ')}\n`;
}

/** `$0.1234`, `$0.1234 of $5.00 budget`, and `: $0.1000 reported, $0.0234 estimated` when part of it is an estimate. */
export function spendText(costUsd: number, estimatedUsd: number, budget: number | null | undefined): string {
  const of = budget === null || budget === undefined ? '' : ` of ${formatUsd(budget)} budget`;
  const split = estimatedUsd > 0 ? `: ${formatUsd(Math.max(0, costUsd - estimatedUsd))} reported, ${formatUsd(estimatedUsd)} estimated` : '';
  return `${formatUsd(costUsd)}${of}${split}`;
}

/**
 * The denials and refusals (always) and where the record is with its request count, spend and final hash: unless
 * quiet, or quiet when there was a denial or refusal to report (its record is where to look). `nobodyToAsk` tags the
 * denials of asks nobody could answer: `(ci)` or `(no terminal)`.
 */
export function summaryLines(result: SessionResult, command: string[], ctx: CommandContext, o: { quiet: boolean; sealed: boolean; budgetUsd?: number | null; nobodyToAsk?: 'ci' | 'no terminal' }): string {
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  const by = (decidedBy: string): string => (decidedBy === 'ci' && o.nobodyToAsk ? o.nobodyToAsk : decidedBy);
  const lines: string[] = [];
  if (result.child.spawnError) {
    const what = result.child.spawnError.code === 'ENOENT' ? 'command not found' : 'command cannot be executed';
    lines.push(`${c.red('guardrun:')} ${what}: ${terminalSafe(command[0])}`);
  }
  const { requests, costUsd, estimatedUsd, denials } = result.stats;
  if (denials.length > 0) {
    lines.push(`${c.yellow('guardrun:')} denied ${denials.length} time${denials.length === 1 ? '' : 's'}:`);
    for (const d of denials) lines.push(`  #${d.id} ${terminalSafe(d.endpoint)}  ${c.bold(terminalSafe(d.rule))} (${by(d.decidedBy)}): ${terminalSafe(d.reason)}`);
  }
  lines.push(...egressLines(result, c, by));
  if (!o.quiet || lines.length > 0) {
    const egress = result.egress.connections > 0 ? `, ${result.egress.connections} egress connection${result.egress.connections === 1 ? '' : 's'}` : '';
    lines.push(`${c.dim('guardrun:')} session saved to ${terminalSafe(shownPath(result.sessionFile, ctx.io.cwd))} (${requests} request${requests === 1 ? '' : 's'}${egress}, ${spendText(costUsd, estimatedUsd, o.budgetUsd)})`);
    // Kept elsewhere, the final hash proves later that the file was not rewritten: replay --expect-hash.
    lines.push(`${c.dim('guardrun:')} final hash ${result.finalHash}${o.sealed ? ' (sealed)' : ''}`);
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/**
 * The egress proxy's refusals: attempts to reach a model host around the guard (each distinct one once, with a
 * count), then connections the `network` policy refused. Nothing when everything was allowed.
 */
function egressLines(result: SessionResult, c: ReturnType<typeof colorsFor>, by: (decidedBy: string) => string): string[] {
  const lines: string[] = [];
  const { bypasses, denied } = result.egress;
  if (bypasses.length > 0) {
    const counts = new Map<string, number>();
    for (const b of bypasses) counts.set(b.message, (counts.get(b.message) ?? 0) + 1);
    lines.push(`${c.yellow('guardrun:')} refused ${bypasses.length} attempt${bypasses.length === 1 ? '' : 's'} to reach a model host around the guard:`);
    for (const [message, n] of counts) lines.push(`  ${n > 1 ? `${n}x ` : ''}${terminalSafe(message)}`);
  }
  if (denied.length > 0) {
    lines.push(`${c.yellow('guardrun:')} refused ${denied.length} egress connection${denied.length === 1 ? '' : 's'}:`);
    for (const d of denied.slice(0, 20)) lines.push(`  ${terminalSafe(d.target)}  ${c.bold(terminalSafe(d.rule))} (${by(d.decidedBy)}): ${terminalSafe(d.reason)}`);
    if (denied.length > 20) lines.push(`  … and ${denied.length - 20} more (guardrun replay FILE shows them all)`);
  }
  return lines;
}

/** With --allow-unguarded, what goes around guardrun, said once before the agent starts. */
export function unguardedWarnings(report: AgentReport, ctx: CommandContext): string {
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  const lines: string[] = [];
  const name = report.result.kind === 'agent' ? report.result.detection.agent.name : 'the agent';
  for (const p of report.missing) lines.push(`${name} runs UNGUARDED for ${p}: guardrun holds no ${p} key (--allow-unguarded); its ${p} calls are neither checked nor recorded`);
  for (const f of report.findings) if (f.level === 'bypass' || f.level === 'blocked') lines.push(`${name}: ${f.message} (--allow-unguarded)`);
  return lines.map((line) => `${c.yellow('guardrun: warning:')} ${terminalSafe(line)}\n`).join('');
}

/** --no-adapter on a command guardrun recognises: said once, since the agent may then go around guardrun. */
export function noAdapterWarning(command: string[], ctx: CommandContext): string {
  const found = detectAgent(command);
  if (found.kind !== 'agent') return '';
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  const name = found.detection.agent.name;
  return `${c.yellow('guardrun: warning:')} --no-adapter: ${name} gets only the generic environment; its own settings or a stored login may send it around guardrun (see docs/agents.md)\n`;
}

/**
 * --sandbox with Codex CLI: Codex runs its tools in a bubblewrap sandbox of its own, which cannot nest inside
 * guardrun's (no user namespaces inside); said once at start unless its own sandbox is switched off.
 */
export function nestedSandboxNote(command: string[], ctx: CommandContext): string {
  const found = detectAgent(command);
  if (found.kind !== 'agent' || found.detection.agent.id !== 'codex') return '';
  const args = command.join(' ');
  if (/danger-full-access|--dangerously-bypass-approvals-and-sandbox/.test(args)) return '';
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  return `${c.yellow('guardrun: note:')} Codex's own sandbox cannot start inside guardrun's (no nested user namespaces), so its tool commands will fail; pass Codex \`--sandbox danger-full-access\` (\`-s danger-full-access\`): guardrun's sandbox still holds (no network but guardrun, no key store, writes limited to the working directory, the temp dir and your home)\n`;
}
