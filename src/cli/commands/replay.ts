// `guardrun replay FILE`: show a session, check its hash chain (--verify-only), re-check it against a
// policy (--verify / --policy), or re-run an agent against it offline (`-- <command>`).
import { parseKillTimeout, trapSignals } from '../attach-process.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { EXIT, GuardrunError } from '../../errors.js';
import { loadPolicy } from '../../policy/load.js';
import { readSession, type RecordedSession } from '../../recording/reader.js';
import { verifyChain } from '../../recording/verify-chain.js';
import { startRerun } from '../../replay/rerun.js';
import { inspectCommand, planChild, refusal } from '../../agents/plan.js';
import { PROVIDERS } from '../../providers.js';
import { describeSession, ONLY_FILTERS, sessionInfo, SHOW_DOCUMENT_VERSION, type OnlyFilter } from '../../replay/show.js';
import { listSessions, newestSession } from '../../replay/find-sessions.js';
import { terminalSafe } from '../../secrets/terminal-text.js';
import { isDirectory } from '../../files.js';
import { verifySession } from '../../replay/verify-policy.js';
import type { CommandContext } from '../context.js';
import { guardSetup } from '../guard-setup.js';
import { colorsFor } from '../output.js';
import { checkIntegrity, integrityLines } from '../replay-integrity.js';
import { POLICY_DEFAULT } from '../help-text.js';
import { chainLine, renderList, renderProblems, renderRerun, renderShow, renderVerify } from '../replay-print.js';

interface ReplayFlags {
  full?: boolean;
  events?: boolean;
  last?: boolean;
  strict?: boolean;
  expectHash?: string;
  signKeyEnv?: string;
  json?: boolean;
  only?: string;
  verify?: boolean;
  verifyOnly?: boolean;
  policy?: string;
  realtime?: boolean;
  sessionFile?: string;
  ci?: boolean;
  killTimeout: string;
}

export function registerReplay(program: Command, ctx: CommandContext): void {
  program
    .command('replay')
    .description('show a session file, check its hash chain, re-check it against a policy, or re-run an agent against it offline')
    .argument('[file]', 'a session file (.jsonl), or a directory of them to list; default: the newest session of this project')
    .option('--last', "the newest session of this project (.guardrun/sessions here or up to the repository root)")
    .option('--full', 'show request and response bodies (as recorded, masked); a streamed answer as its assembled text')
    .option('--events', "show a streamed answer's raw events as recorded")
    .option('--json', 'print one JSON document for scripts (see docs/session-format.md); errors too, as {"error": …}')
    .option('--only <what>', `show only some exchanges: ${ONLY_FILTERS.join(' | ')}`)
    .option('--strict', 'exit 1 also when the session has no closing line (cut off, or still running)')
    .option('--expect-hash <hash>', 'exit 1 unless the final hash is this one (as printed when the run ended)')
    .option('--sign-key-env <VAR>', "check the seal with the signing key in env variable VAR (default: the keychain's)")
    .option('--verify', `re-check every decision under the policy (--policy, else ${POLICY_DEFAULT}); exit 1 if any differs`)
    .option('--policy <file>', 'the policy to re-check against (implies --verify), or in force during a re-run')
    .option('--verify-only', 'only check the hash chain; exit 1 if it is broken (with --policy: the chain and the decisions)')
    .option('--realtime', 're-run with the recorded timing (time to first byte, stream event gaps)')
    .option('--session-file <path>', "where the re-run writes its own session record")
    .option('--ci', 're-run without asking: deny whatever needs approval (recorded approvals still stand)')
    .option('--kill-timeout <seconds>', 'grace period between SIGTERM and SIGKILL for the re-run child', '10')
    .addHelpText('after', '\nRe-run an agent offline against the recording:\n  guardrun replay FILE [--policy P] [--realtime] -- node agent.js')
    .action(async (file: string | undefined, flags: ReplayFlags) => {
      ctx.setExitCode(await replay(file, flags, ctx));
    });
}

async function replay(file: string | undefined, flags: ReplayFlags, ctx: CommandContext): Promise<number> {
  const only = parseOnly(flags.only);
  const command = ctx.childArgv;
  if (command !== undefined) {
    if (command.length === 0) throw new GuardrunError('E_USAGE', 'no command after --', 'put the agent command after --, e.g. guardrun replay FILE -- node agent.js');
    if (flags.json || flags.verifyOnly || flags.verify) throw new GuardrunError('E_USAGE', '--json, --verify and --verify-only do not apply to a re-run', 'drop them, or drop the command after --');
  } else if (flags.realtime || flags.sessionFile) {
    throw new GuardrunError('E_USAGE', '--realtime and --session-file apply to a re-run only', 'add the agent command after --, e.g. guardrun replay FILE --realtime -- node agent.js');
  }
  if (file !== undefined && flags.last) throw new GuardrunError('E_USAGE', 'give a session file or --last, not both', 'guardrun replay FILE, or guardrun replay --last');
  const path = file === undefined ? await newestSession(ctx.io.cwd) : resolve(ctx.io.cwd, file);
  if (file !== undefined && (await isDirectory(path))) return list(path, flags, ctx);
  const session = await readSession(path);
  const err = colorsFor(ctx.io.stderr, ctx.io.env);
  const out = colorsFor(ctx.io.stdout, ctx.io.env);
  const problems = renderProblems(session, err);

  if (command !== undefined) {
    ctx.io.stderr.write(problems);
    return rerun(session, command, flags, ctx);
  }
  // --verify-only with a policy does both: the chain, then every decision.
  if (flags.verifyOnly && flags.policy === undefined) return verifyOnly(session, flags, ctx, problems);
  if (flags.verify || flags.policy !== undefined) {
    const policy = await loadPolicy({ file: flags.policy, cwd: ctx.io.cwd, env: ctx.io.env });
    const result = await verifySession(session, policy);
    const chain = verifyChain(session.lines);
    const integrity = await checkIntegrity(session, chain, { ...flags, env: ctx.io.env });
    if (flags.json) {
      const doc = { guardrunReplay: SHOW_DOCUMENT_VERSION, mode: 'verify', file: session.file, session: sessionInfo(session), ...result, chain, seal: integrity.seal, expectedHash: integrity.expected, problems: session.problems };
      ctx.io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    } else {
      ctx.io.stderr.write(problems);
      if (!chain.ok) ctx.io.stderr.write(chainLine(chain, err) + '\n');
      ctx.io.stdout.write(renderVerify(forTerminal(result), session, out) + integrityLines(integrity, chain, out));
    }
    return result.differences.length > 0 || !chain.ok || integrity.failed || (flags.strict && !session.complete) ? EXIT.replayMismatch : 0;
  }

  const doc = describeSession(session, { full: flags.full, events: flags.events, only });
  const integrity = await checkIntegrity(session, doc.chain, { ...flags, env: ctx.io.env });
  if (flags.json) ctx.io.stdout.write(JSON.stringify({ ...doc, seal: integrity.seal, expectedHash: integrity.expected }, null, 2) + '\n');
  else {
    ctx.io.stderr.write(problems);
    // Said before the timeline too, so nobody reads a tampered record as the truth before reaching its end.
    if (!doc.chain.ok || integrity.failed) ctx.io.stderr.write(`${err.red(err.bold('guardrun: warning:'))} this file failed its integrity check (${!doc.chain.ok ? 'hash chain broken' : 'seal or expected hash'}): what follows may not be what was recorded; the details are at the end\n`);
    ctx.io.stdout.write(renderShow(forTerminal(doc), out) + integrityLines(integrity, doc.chain, out));
  }
  // A broken chain is a finding, as it is for --verify-only; --strict also wants the closing line.
  return !doc.chain.ok || integrity.failed || (flags.strict && !session.complete) ? EXIT.replayMismatch : 0;
}

/** `guardrun replay DIR`: one line per session, newest first. */
async function list(dir: string, flags: ReplayFlags, ctx: CommandContext): Promise<number> {
  const sessions = await listSessions(dir);
  if (flags.json) ctx.io.stdout.write(JSON.stringify({ guardrunReplay: SHOW_DOCUMENT_VERSION, mode: 'list', dir, sessions }, null, 2) + '\n');
  else ctx.io.stdout.write(renderList(forTerminal(sessions), dir, colorsFor(ctx.io.stdout, ctx.io.env)));
  return 0;
}

/** Recorded strings are the agent's and the model's: made safe for the terminal before anything is printed. */
function forTerminal<T>(value: T): T {
  if (typeof value === 'string') return terminalSafe(value) as T;
  if (Array.isArray(value)) return value.map(forTerminal) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forTerminal(v)])) as T;
  }
  return value;
}

async function verifyOnly(session: RecordedSession, flags: ReplayFlags, ctx: CommandContext, problems: string): Promise<number> {
  const chain = verifyChain(session.lines);
  const integrity = await checkIntegrity(session, chain, { ...flags, env: ctx.io.env });
  // A line that does not parse is not what guardrun wrote either (a cut-off last line is not a break).
  const corrupt = session.problems.filter((p) => p.kind !== 'truncated');
  const ok = chain.ok && corrupt.length === 0 && !integrity.failed;
  if (flags.json) {
    const doc = { guardrunReplay: SHOW_DOCUMENT_VERSION, mode: 'verify-only', file: session.file, session: sessionInfo(session), ok, chain, seal: integrity.seal, expectedHash: integrity.expected, problems: session.problems, complete: session.complete, truncated: session.truncated };
    ctx.io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    ctx.io.stderr.write(problems);
    const c = colorsFor(ctx.io.stdout, ctx.io.env);
    ctx.io.stdout.write(chainLine(chain, c) + '\n' + integrityLines(integrity, chain, c));
  }
  return ok && !(flags.strict && !session.complete) ? 0 : EXIT.replayMismatch;
}

async function rerun(session: RecordedSession, command: string[], flags: ReplayFlags, ctx: CommandContext): Promise<number> {
  const killTimeout = parseKillTimeout(flags.killTimeout);
  const trap = trapSignals(ctx);
  try {
    // A recognised agent is pointed at the replay proxy as at a live one; the replay holds a stand-in key for
    // every recorded provider, so only its configuration can send it elsewhere.
    const report = inspectCommand(command, { env: ctx.io.env, cwd: ctx.io.cwd, held: [...PROVIDERS] });
    const refused = refusal(report, false);
    if (refused) throw refused;
    const context = report.context;
    const running = await startRerun({
      session, command, cwd: ctx.io.cwd, env: ctx.io.env,
      guard: await guardSetup(flags, ctx.io),
      sessionFile: flags.sessionFile, realtime: flags.realtime, killGraceMs: killTimeout * 1000, signal: trap.early,
      prepareChild: context ? (plan) => planChild(command, context, plan) : undefined,
      agent: context?.detection.agent.id,
    });
    trap.attach(running.session);
    const result = await running.done;
    ctx.io.stderr.write(renderRerun(result, session.file, colorsFor(ctx.io.stderr, ctx.io.env)));
    return result.exitCode;
  } finally {
    trap.release();
  }
}

function parseOnly(value: string | undefined): OnlyFilter | undefined {
  if (value === undefined) return undefined;
  if ((ONLY_FILTERS as readonly string[]).includes(value)) return value as OnlyFilter;
  throw new GuardrunError('E_USAGE', `--only takes ${ONLY_FILTERS.join(', ')}, not "${value}"`, 'e.g. guardrun replay FILE --only denied');
}

