// The text shown above the approval choices: what is asking, what it costs, and what the agent sent.
import type { ChalkInstance } from 'chalk';
import type { ApprovalRequest } from './types.js';
import { formatUsd } from '../cost/format-usd.js';
import { sanitizeForTerminal } from '../secrets/terminal-text.js';

const EXCERPT_LINES = 4;
const EXCERPT_CHARS = 600;

function cut(line: string, width: number): string {
  const chars = [...line];
  return chars.length > width ? `${chars.slice(0, Math.max(1, width - 1)).join('')}…` : line;
}

/** At most a few lines of at most `width` characters; says how much was left out. */
export function truncateExcerpt(excerpt: string, width: number): string[] {
  const clean = sanitizeForTerminal(excerpt.trim(), true);
  const short = clean.length > EXCERPT_CHARS ? clean.slice(0, EXCERPT_CHARS) : clean;
  const lines = short.split('\n').map((l) => l.trimEnd()).filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''));
  const shown = lines.slice(0, EXCERPT_LINES).map((l) => cut(l, width));
  const hiddenChars = clean.length - short.length;
  const hiddenLines = lines.length - shown.length;
  if (hiddenLines > 0 || hiddenChars > 0) {
    const more = hiddenLines > 0 ? `${hiddenLines}+ more line${hiddenLines === 1 ? '' : 's'}` : `${hiddenChars} more characters`;
    shown.push(`… (${more})`);
  }
  return shown.length > 0 ? shown : ['(empty)'];
}

/** What the request costs, as far as is known when asked: a response is asked about before its cost is known. */
function costText(q: ApprovalRequest, c: ChalkInstance): string {
  if (q.phase === 'response') return q.estimateUsd === undefined ? c.dim('no estimate at this stage') : `request est. ${formatUsd(q.estimateUsd)}`;
  return q.estimateUsd === undefined ? c.yellow('price unknown') : `est. ${formatUsd(q.estimateUsd)}`;
}

/** The block drawn before the choices. `columns` is the terminal width. */
export function renderRequest(q: ApprovalRequest, c: ChalkInstance, columns = 80): string {
  const width = Math.max(40, columns) - 4;
  if (q.kind === 'egress') {
    const title = c.bold(`guardrun: approval needed for connection #${q.id} (egress)`);
    const reasons = q.reasons.map((r) => `  ${c.yellow('•')} ${c.bold(sanitizeForTerminal(r.rule))}: ${sanitizeForTerminal(r.reason)}`);
    const excerpt = truncateExcerpt(q.excerpt, width).map((l) => `  ${c.dim('│')} ${l}`);
    return ['', title, `  ${sanitizeForTerminal(q.endpoint)}`, ...reasons, ...excerpt, ''].join('\n');
  }
  const cost = costText(q, c);
  const phase = q.phase === 'response' ? ' (response)' : '';
  const title = c.bold(`guardrun: approval needed for request #${q.id}${phase}`);
  const facts = [
    sanitizeForTerminal(q.endpoint),
    `model ${sanitizeForTerminal(q.model ?? 'unknown')}`,
    cost,
    `session spend ${formatUsd(q.spendUsd)}`,
  ].join(c.dim(' · '));
  const reasons = q.reasons.map((r) => `  ${c.yellow('•')} ${c.bold(sanitizeForTerminal(r.rule))}: ${sanitizeForTerminal(r.reason)}`);
  const excerpt = truncateExcerpt(q.excerpt, width).map((l) => `  ${c.dim('│')} ${l}`);
  return ['', title, `  ${facts}`, ...reasons, ...excerpt, ''].join('\n');
}
