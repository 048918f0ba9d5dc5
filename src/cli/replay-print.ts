// How `guardrun replay` reads on a terminal: the timeline, the chain check, the verify table, the re-run summary.
import type { ChalkInstance } from 'chalk';
import { basename } from 'node:path';
import type { SessionSummary } from '../replay/find-sessions.js';
import { formatUsd } from '../cost/format-usd.js';
import type { RecordedBody, StreamChunk } from '../recording/format.js';
import type { ChainReport } from '../recording/verify-chain.js';
import type { RecordedSession } from '../recording/reader.js';
import type { RerunResult } from '../replay/rerun.js';
import { isEstimated, type ExchangeView, type ShowDocument } from '../replay/show.js';
import type { DecisionSummary, VerifyResult } from '../replay/verify-policy.js';
import { joinWords } from '../agents/shell-words.js';

export function renderShow(doc: ShowDocument, c: ChalkInstance): string {
  const s = doc.session;
  const out: string[] = [];
  out.push(`${c.bold(`session ${s.id}`)}  ${c.dim(`${s.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} · guardrun ${s.guardrun} · format ${s.formatVersion}${s.sourceVersion !== s.formatVersion ? ` (converted from ${s.sourceVersion})` : ''}`)}`);
  out.push(`${c.dim('command')}  ${joinWords(s.command)}`);
  if (s.policy) out.push(`${c.dim('policy ')}  ${s.policy.source} ${c.dim(`(sha256 ${s.policy.sha256.slice(0, 12)})`)}`);
  if (s.replayOf) out.push(`${c.dim('replay ')}  of ${s.replayOf.file} (session ${s.replayOf.session})`);
  if (s.agent) out.push(`${c.dim('agent  ')}  ${s.agent} (adapter applied)${s.unguarded?.length ? c.yellow(`; UNGUARDED for ${s.unguarded.join(', ')}`) : ''}`);
  out.push('');
  if (doc.exchanges.length === 0) out.push(c.dim('  (no exchanges)'));
  else out.push(...table(doc.exchanges.map(rowOf), (row, col, text) => (col === 5 ? decisionColor(doc.exchanges[row], c)(text) : text)));
  for (const [i, v] of doc.exchanges.entries()) {
    const notes = notesOf(v);
    const full = v.requestBody !== undefined || v.responseBody !== undefined || v.responseEvents !== undefined || v.responseText !== undefined;
    if (notes.length === 0 && !full) continue;
    if (i === 0 || full) out.push('');
    out.push(`  ${c.bold(`#${v.id}`)} ${notes.map((n) => c.dim(n)).join(`\n     `)}`.trimEnd());
    if (v.requestBody) out.push(indent(`request  ${bodyText(v.requestBody)}`, 5));
    if (v.responseBody) out.push(indent(`response ${bodyText(v.responseBody)}`, 5));
    if (v.responseText !== undefined) out.push(indent(`response (stream, assembled) ${v.responseText === '' ? '(no text)' : v.responseText}`, 5));
    if (v.responseEvents) out.push(indent(`response (stream, ${v.responseEvents.length} events${v.upstreamEvents ? ', as the agent received it' : ''})\n${eventsText(v.responseEvents)}`, 5));
    if (v.upstreamEvents) out.push(indent(`upstream (stream, ${v.upstreamEvents.length} events, as the upstream sent it)\n${eventsText(v.upstreamEvents)}`, 5));
  }
  out.push(...egressSection(doc, c));
  out.push('', totalsLine(doc, c), chainLine(doc.chain, c));
  return out.join('\n') + '\n';
}

/** The connections through the egress proxy and the refused bypass attempts, when there are any. */
function egressSection(doc: ShowDocument, c: ChalkInstance): string[] {
  const out: string[] = [];
  if (doc.bypasses.length > 0) {
    out.push('', c.bold('refused: model hosts reached around the guard'));
    for (const b of doc.bypasses) out.push(`  ${c.red(b.target)}  ${b.reason}  ${c.dim(b.message)}`);
  }
  if (doc.egress.length > 0) {
    out.push('', c.bold('egress (other hosts, through guardrun\'s proxy)'));
    const rows = doc.egress.map((e) => [
      `~${e.id}`,
      e.time.slice(11, 23),
      e.method === 'CONNECT' ? e.target : `${e.method} ${e.target}${e.path ?? ''}`,
      e.verdict === 'deny' ? `denied: ${e.rule}${e.pattern ? ` "${e.pattern}"` : ''}${e.decidedBy !== 'policy' ? ` (${e.decidedBy})` : ''}` : e.error ? `allowed, failed: ${e.error}` : 'allowed',
      String(e.status),
      `${bytes(e.bytesUp)} up, ${bytes(e.bytesDown)} down`,
      ms(e.durationMs),
      e.via ? `via ${e.via}` : '',
    ]);
    out.push(...table(rows, (row, col, text) => (col === 3 ? (doc.egress[row].verdict === 'deny' ? c.red : doc.egress[row].error ? c.yellow : c.green)(text) : text)));
  }
  return out;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** `guardrun replay DIR`: time, command, requests, spend, denials, exit; newest first. */
export function renderList(sessions: SessionSummary[], dir: string, c: ChalkInstance): string {
  if (sessions.length === 0) return `${c.dim(`no session files in ${dir}`)}\n`;
  const rows = sessions.map((s) => [
    s.time ? s.time.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '?',
    s.complete ? `${s.requests} req` : c.yellow('open'),
    s.complete ? usd(s.costUsd ?? 0) : '',
    s.complete ? (s.denied ? c.red(`${s.denied} denied`) : '0 denied') : '',
    s.complete ? `exit ${s.exitCode}` : '',
    joinWords(s.command ?? []).slice(0, 60),
    basename(s.file),
  ]);
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => stripAnsi(r[col]).length)));
  return rows.map((r) => r.map((cell, col) => cell + ' '.repeat(widths[col] - stripAnsi(cell).length)).join('  ').trimEnd()).join('\n') + '\n';
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

/** Warnings for stderr: cut-off and corrupt lines, a missing closing line. */
export function renderProblems(session: Pick<RecordedSession, 'problems' | 'truncated' | 'complete' | 'lines'>, c: ChalkInstance): string {
  const out: string[] = [];
  const warn = c.yellow('guardrun: warning:');
  if (session.truncated) {
    out.push(`${warn} the session ended abruptly: shown up to line ${session.lines.length}, its last complete line`);
  } else if (!session.complete) {
    out.push(`${warn} the session has no closing line (guardrun was stopped before it ended); shown up to line ${session.lines.length}`);
  }
  for (const p of session.problems) out.push(`${warn} line ${p.line}: ${p.message}`);
  return out.length ? out.join('\n') + '\n' : '';
}

export function chainLine(chain: ChainReport, c: ChalkInstance): string {
  if (!chain.ok) {
    const head = c.red(c.bold(`chain BROKEN (${chain.breaks.length} place${chain.breaks.length === 1 ? '' : 's'}):`));
    return [head, ...chain.breaks.map((b) => `  ${c.red(b.kind.padEnd(10))} ${b.message}`)].join('\n');
  }
  const hash = chain.finalHash ? `, final hash ${chain.finalHash.slice(0, 16)}…` : '';
  if (!chain.closed) return `${c.yellow('chain intact')} for ${chain.lines} lines${hash}, but the file has no closing line: lines cut from its end would not show`;
  return `${c.green('chain intact')}: ${chain.lines} lines${hash}`;
}

export function renderVerify(result: VerifyResult, session: RecordedSession, c: ChalkInstance): string {
  const out: string[] = [];
  const n = result.decisions.length;
  const d = result.differences.length;
  out.push(`${c.bold('policy')} ${result.policy.source} ${c.dim(`(sha256 ${result.policy.sha256.slice(0, 12)})`)} against session ${session.header.session}: ${n} decision${n === 1 ? '' : 's'} re-checked`);
  if (d === 0) out.push(c.green('no decision differs'));
  else {
    out.push(c.red(`${d} decision${d === 1 ? '' : 's'} differ${d === 1 ? 's' : ''}:`), '');
    const rows = result.differences.map((x) => [`#${x.id}`, x.phase, x.endpoint, decisionText(x.recorded), decisionText(x.now), x.now.reason ?? (x.recorded.reason ? `was: ${x.recorded.reason}` : '')]);
    out.push(...table([['', 'phase', 'endpoint', 'recorded', 'now', 'reason'], ...rows], (row, _col, text) => (row === 0 ? c.dim(text) : text)));
  }
  for (const note of result.notes) out.push(c.dim(`note: ${note}`));
  return out.join('\n') + '\n';
}

export function renderRerun(run: RerunResult, source: string, c: ChalkInstance): string {
  const out: string[] = [];
  const tag = c.dim('guardrun replay:');
  const { stats } = run.result;
  if (stats.denials.length > 0) {
    out.push(`${c.yellow('guardrun replay:')} denied ${stats.denials.length} time${stats.denials.length === 1 ? '' : 's'}:`);
    for (const x of stats.denials) out.push(`  #${x.id} ${x.endpoint}  ${c.bold(x.rule)} (${x.decidedBy}): ${x.reason}`);
  }
  if (run.divergences.length > 0) {
    out.push(`${c.red('guardrun replay:')} the run diverged from the recording (${run.divergences.length} request${run.divergences.length === 1 ? '' : 's'} without a match; each got guardrun_replay_no_match: a 409, or an error event on a WebSocket):`);
    for (const x of run.divergences) out.push(`  ${x.message}`);
  }
  if (run.unused.length > 0) {
    const list = run.unused.map((e) => `#${e.id} ${e.request?.method} ${e.request?.path}`).join(', ');
    out.push(`${c.yellow('guardrun replay:')} ${run.unused.length} recorded answer${run.unused.length === 1 ? ' was' : 's were'} never asked for: ${list}`);
  }
  const verdict = run.divergences.length > 0 ? c.red('diverged') : c.green('matched the recording');
  out.push(`${tag} ${verdict}; ${run.answered} of ${stats.requests} request${stats.requests === 1 ? '' : 's'} answered from ${source}; session saved to ${run.result.sessionFile}`);
  return out.join('\n') + '\n';
}

const ANSWERED_BY: Record<string, string> = { human: 'by a human', 'session-grant': 'by a session grant', ci: 'in CI', timeout: 'by timeout', error: 'by an error' };

/** `allow`, `deny: model`, `ask cost.threshold → allow by a human`, `ask cost.threshold (a human is asked)`. */
export function decisionText(s: DecisionSummary): string {
  const rules = s.rules.join(', ');
  if (s.verdict === 'ask') return `ask ${rules} (a human is asked)`;
  if (s.decidedBy && s.decidedBy !== 'policy') return `ask ${rules} → ${s.verdict} ${ANSWERED_BY[s.decidedBy] ?? s.decidedBy}`;
  return rules ? `${s.verdict}: ${rules}` : s.verdict;
}

function rowOf(v: ExchangeView): string[] {
  const counted = v.usage ?? v.usageEstimated;
  // `~` marks a figure guardrun estimated (no usage reported, or a guessed price); the notes say which.
  const tokens = counted ? `${v.usage ? '' : '~'}${counted.inputTokens}→${counted.outputTokens} tok` : '';
  return [
    `#${v.id}`,
    v.time ? v.time.slice(11, 23) : '',
    `${v.method ?? '?'} ${v.path ?? '?'}`,
    v.model ?? '',
    v.stream ? 'stream' : '',
    v.label,
    v.status === undefined ? '—' : String(v.status),
    tokens,
    v.costUsd === undefined ? '' : `${isEstimated(v) ? '~' : ''}${usd(v.costUsd)}`,
    v.durationMs === undefined ? '' : ms(v.durationMs),
  ];
}

function notesOf(v: ExchangeView): string[] {
  const notes: string[] = [];
  if (v.host) notes.push(`intercepted: the agent called ${v.host} directly (not the base URL)`);
  if (v.decision?.reason && (v.outcome === 'denied' || v.outcome === 'approved')) notes.push(v.decision.reason);
  if (v.error && v.outcome !== 'denied') notes.push(`${v.error.code}: ${v.error.message}`);
  else if (v.upstreamError?.message) notes.push(v.upstreamError.message);
  if (v.costEstimated) notes.push(v.usage ? 'cost estimated: the answer was cut before its final usage' : 'cost estimated: the provider reported no usage');
  if (v.priceIsGuess) notes.push(`price guessed: no price is known for ${v.model ?? 'this model'}, priced as ${v.priceEntry ?? 'its family'}`);
  if (v.tier) notes.push(`billed at the ${v.tier} tier`);
  if (v.streamChanged) notes.push('stream: the agent received other events than the upstream sent (masked or withheld); --events shows both');
  return notes;
}

/** Columns padded to their widest cell; `paint` may colour a cell (after padding, so columns stay aligned). */
function table(rows: string[][], paint: (row: number, col: number, text: string) => string = (_r, _c, t) => t): string[] {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((r, i) => `  ${r.map((cell, col) => paint(i, col, col === r.length - 1 ? cell : cell.padEnd(widths[col]))).join('  ')}`.trimEnd());
}

function decisionColor(v: ExchangeView, c: ChalkInstance): (s: string) => string {
  if (v.outcome === 'denied') return c.red;
  if (v.outcome === 'approved') return c.cyan;
  if (v.outcome === 'allowed') return c.green;
  return c.yellow;
}

function totalsLine(doc: ShowDocument, c: ChalkInstance): string {
  const t = doc.totals;
  const parts = [
    `${t.requests} request${t.requests === 1 ? '' : 's'}`,
    t.denied ? c.red(`${t.denied} denied`) : '0 denied',
    t.approved ? c.cyan(`${t.approved} approved`) : '0 approved',
    ...(t.errors ? [c.yellow(`${t.errors} error${t.errors === 1 ? '' : 's'}`)] : []),
    ...(t.egress.connections ? [`${t.egress.connections} egress${t.egress.denied ? ` (${t.egress.denied} denied)` : ''}`] : []),
    ...(t.egress.bypasses ? [c.red(`${t.egress.bypasses} bypass${t.egress.bypasses === 1 ? '' : 'es'} refused`)] : []),
    t.estimatedUsd > 0 ? `${usd(t.costUsd)} spent (${usd(t.reportedUsd)} reported, ${usd(t.estimatedUsd)} estimated)` : `${usd(t.costUsd)} spent`,
    ...(t.durationMs !== undefined ? [ms(t.durationMs)] : []),
    childExitText(t),
  ];
  return `${c.bold('totals')}  ${parts.join(' · ')}`;
}

function childExitText(t: ShowDocument['totals']): string {
  const x = t.childExit;
  if (!x) return 'child exit not recorded';
  if (x.error) return `child did not start (${x.error})`;
  return x.signal ? `child killed by ${x.signal}` : `child exited ${x.code}`;
}

function bodyText(body: RecordedBody): string {
  if ('json' in body) return JSON.stringify(body.json, null, 2);
  if ('text' in body) return body.text;
  if ('base64' in body) return `(binary, ${Buffer.from(body.base64, 'base64').length} bytes, base64 in the file)`;
  return `(not recorded: ${body.omitted}, ${body.bytes} bytes)`;
}

function eventsText(events: StreamChunk[]): string {
  return events.map((e) => e.data.replace(/\s+$/, '')).join('\n');
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text.split('\n').map((l) => pad + l).join('\n');
}

export const usd = formatUsd;

function ms(value: number): string {
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}
