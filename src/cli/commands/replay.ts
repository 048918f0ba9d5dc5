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
import { describeSession, ONLY_FILTERS, SHOW_DOCUMENT_VERSION, type OnlyFilter } from '../../replay/show.js';
import { verifySession } from '../../replay/verify-policy.js';
import type { CommandContext } from '../context.js';
import { guardSetup } from '../guard-setup.js';
import { colorsFor } from '../output.js';
import { chainLine, renderProblems, renderRerun, renderShow, renderVerify } from '../replay-print.js';

interface ReplayFlags {
  full?: boolean;
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
    .argument('<file>', 'a session file (.jsonl)')
    .option('--full', 'show request and response bodies (as recorded, masked)')
    .option('--json', 'print one JSON document for scripts (see docs/session-format.md)')
    .option('--only <what>', `show only some exchanges: ${ONLY_FILTERS.join(' | ')}`)
    .option('--verify', 're-check every decision under the policy (./guardrun.yaml, or --policy); exit 1 if any differs')
    .option('--policy <file>', 'the policy to re-check against (implies --verify), or in force during a re-run')
    .option('--verify-only', 'only check the hash chain; exit 1 if it is broken')
    .option('--realtime', 're-run with the recorded timing (time to first byte, stream event gaps)')
    .option('--session-file <path>', "where the re-run writes its own session record")
    .option('--ci', 're-run without asking: deny whatever needs approval (recorded approvals still stand)')
    .option('--kill-timeout <seconds>', 'grace period between SIGTERM and SIGKILL for the re-run child', '10')
    .addHelpText('after', '\nRe-run an agent offline against the recording:\n  guardrun replay FILE [--policy P] [--realtime] -- node agent.js')
    .action(async (file: string, flags: ReplayFlags) => {
      ctx.setExitCode(await replay(file, flags, ctx));
    });
}

async function replay(file: string, flags: ReplayFlags, ctx: CommandContext): Promise<number> {
  const only = parseOnly(flags.only);
  const command = ctx.childArgv;
  if (command !== undefined) {
    if (command.length === 0) throw new GuardrunError('E_USAGE', 'no command after --', 'put the agent command after --, e.g. guardrun replay FILE -- node agent.js');
    if (flags.json || flags.verifyOnly || flags.verify) throw new GuardrunError('E_USAGE', '--json, --verify and --verify-only do not apply to a re-run', 'drop them, or drop the command after --');
  } else if (flags.realtime || flags.sessionFile) {
    throw new GuardrunError('E_USAGE', '--realtime and --session-file apply to a re-run only', 'add the agent command after --, e.g. guardrun replay FILE --realtime -- node agent.js');
  }
  const session = await readSession(resolve(ctx.io.cwd, file));
  const err = colorsFor(ctx.io.stderr, ctx.io.env);
  const out = colorsFor(ctx.io.stdout, ctx.io.env);
  const problems = renderProblems(session, err);

  if (command !== undefined) {
    ctx.io.stderr.write(problems);
    return rerun(session, command, flags, ctx);
  }
  if (flags.verifyOnly) return verifyOnly(session, flags, ctx, problems);
  if (flags.verify || flags.policy !== undefined) {
    const policy = await loadPolicy({ file: flags.policy, cwd: ctx.io.cwd });
    const result = verifySession(session, policy);
    const chain = verifyChain(session.lines);
    if (flags.json) {
      const doc = { guardrunReplay: SHOW_DOCUMENT_VERSION, mode: 'verify', file: session.file, session: session.header.session, ...result, chain, problems: session.problems };
      ctx.io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    } else {
      ctx.io.stderr.write(problems);
      if (!chain.ok) ctx.io.stderr.write(chainLine(chain, err) + '\n');
      ctx.io.stdout.write(renderVerify(result, session, out));
    }
    return result.differences.length > 0 ? EXIT.replayMismatch : 0;
  }

  const doc = describeSession(session, { full: flags.full, only });
  if (flags.json) ctx.io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else {
    ctx.io.stderr.write(problems);
    ctx.io.stdout.write(renderShow(doc, out));
  }
  return 0;
}

function verifyOnly(session: RecordedSession, flags: ReplayFlags, ctx: CommandContext, problems: string): number {
  const chain = verifyChain(session.lines);
  // A line that does not parse is not what guardrun wrote either (a cut-off last line is not a break).
  const corrupt = session.problems.filter((p) => p.kind !== 'truncated');
  const ok = chain.ok && corrupt.length === 0;
  if (flags.json) {
    const doc = { guardrunReplay: SHOW_DOCUMENT_VERSION, mode: 'verify-only', file: session.file, session: session.header.session, ok, chain, problems: session.problems, complete: session.complete, truncated: session.truncated };
    ctx.io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    ctx.io.stderr.write(problems);
    ctx.io.stdout.write(chainLine(chain, colorsFor(ctx.io.stdout, ctx.io.env)) + '\n');
  }
  return ok ? 0 : EXIT.replayMismatch;
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

