// `guardrun [options] -- <command> [args...]`: the default command.
import type { Command } from 'commander';
import { EXIT, GuardrunError } from '../../errors.js';
import { guardSetup } from '../guard-setup.js';
import { openKeystore } from '../../secrets/open-keystore.js';
import { parseKeyEnv, resolveKeys } from '../../secrets/resolve-keys.js';
import { startSession, type SessionResult } from '../../session/run-session.js';
import type { CommandContext } from '../context.js';
import { colorsFor } from '../output.js';
import { parseKillTimeout, trapSignals } from '../attach-process.js';
import { parseUsdFlag, type CostOverrides } from '../../policy/overrides.js';
import type { Policy } from '../../policy/schema.js';

interface RunFlags {
  keyEnv: string[];
  profile?: string;
  upstream?: string;
  anthropicUpstream?: string;
  sessionFile?: string;
  nested?: boolean;
  killTimeout: string;
  policy?: string;
  ci?: boolean;
  failOnDeny?: boolean;
  budget?: string;
  approveOver?: string;
}

export function registerRun(program: Command, ctx: CommandContext): void {
  program
    .argument('[command...]', 'the agent command to run (put it after --)')
    .option('--key-env <[provider=]VAR>', "take a provider's real key from guardrun's env variable VAR (repeatable; provider defaults to openai)", collect, [])
    .option('--profile <name>', 'use the keys stored under this profile')
    .option('--upstream <url>', 'OpenAI upstream (default $GUARDRUN_OPENAI_UPSTREAM or https://api.openai.com)')
    .option('--anthropic-upstream <url>', 'Anthropic upstream (default $GUARDRUN_ANTHROPIC_UPSTREAM or https://api.anthropic.com)')
    .option('--session-file <path>', 'where to write the session record (default .guardrun/sessions/<time>-<id>.jsonl)')
    .option('--nested', 'allow running inside another guardrun session')
    .option('--kill-timeout <seconds>', 'grace period between SIGTERM and SIGKILL for the child', '10')
    .option('--policy <file>', 'policy file (default ./guardrun.yaml, else the built-in default)')
    .option('--ci', 'never ask: deny whatever needs approval (also when CI is set or there is no terminal)')
    .option('--fail-on-deny', `exit ${EXIT.denied} when anything was denied, even if the child succeeded`)
    .option('--budget <usd>', 'session budget in USD for this run, over cost.session_budget_usd (none: no budget)')
    .option('--approve-over <usd>', 'ask before a request estimated above this many USD, over cost.approve_over_usd (none: never)')
    .action(async (operands: string[], flags: RunFlags) => {
      const command = ctx.childArgv ?? operands;
      if (command.length === 0) {
        throw new GuardrunError('E_USAGE', 'no command to run', 'put the agent command after --, e.g. guardrun -- node agent.js');
      }
      ctx.setExitCode(await run(command, flags, ctx));
    });
}

async function run(command: string[], flags: RunFlags, ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  if (io.env.GUARDRUN_SESSION && !flags.nested) {
    throw new GuardrunError('E_NESTED', `already inside guardrun session ${io.env.GUARDRUN_SESSION}`, 'run the command directly (it is already guarded), or pass --nested to start an inner session on purpose');
  }
  const killTimeout = parseKillTimeout(flags.killTimeout);
  const cost: CostOverrides = {};
  if (flags.budget !== undefined) cost.budgetUsd = parseUsdFlag('--budget', flags.budget);
  if (flags.approveOver !== undefined) cost.approveOverUsd = parseUsdFlag('--approve-over', flags.approveOver);
  const trap = trapSignals(ctx);
  try {
    const guard = await guardSetup({ ...flags, cost }, io);
    const limits = limitsLine(cost, ctx);
    if (limits) io.stderr.write(limits);
    const resolved = await resolveKeys({
      keyEnv: flags.keyEnv.map(parseKeyEnv),
      profile: flags.profile,
      env: io.env,
      openKeystore: () => openKeystore({ env: io.env }),
    });
    const session = await startSession({
      command,
      keys: resolved.keys,
      cwd: io.cwd,
      env: io.env,
      removeFromChildEnv: resolved.childEnvRemove,
      upstreams: { openai: flags.upstream, anthropic: flags.anthropicUpstream },
      sessionFile: flags.sessionFile,
      killGraceMs: killTimeout * 1000,
      guard,
      signal: trap.early,
    });
    trap.attach(session);
    // Test hook: proves the crash path (child stopped, session file closed, exit 70) end to end.
    if (io.env.GUARDRUN_TEST_CRASH === '1') setTimeout(() => { throw new Error('simulated crash (GUARDRUN_TEST_CRASH=1)'); }, 200);
    const result = await session.done;
    io.stderr.write(summaryLine(result, command, ctx, guard.policy?.policy.cost));
    if (flags.failOnDeny && result.exitCode === 0 && result.stats.denials.length > 0) return EXIT.denied;
    return result.exitCode;
  } finally {
    trap.release();
  }
}

/** The start-up line when the command line set cost limits for this run; empty otherwise. */
function limitsLine(cost: CostOverrides, ctx: CommandContext): string {
  const parts: string[] = [];
  if (cost.budgetUsd !== undefined) parts.push(cost.budgetUsd === null ? 'no session budget (--budget none)' : `session budget ${money(cost.budgetUsd)} (--budget)`);
  if (cost.approveOverUsd !== undefined) parts.push(cost.approveOverUsd === null ? 'no per-request approval (--approve-over none)' : `asks above ${money(cost.approveOverUsd)} a request (--approve-over)`);
  if (parts.length === 0) return '';
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  return `${c.dim('guardrun:')} ${parts.join('; ')}\n`;
}

function money(usd: number): string {
  return `$${usd > 0 && usd < 0.01 ? usd.toPrecision(2) : usd.toFixed(2)}`;
}

/** `$0.1234`, `$0.1234 of $5.00 budget`, and `: $0.1000 reported, $0.0234 estimated` when part of it is an estimate. */
function spendText(costUsd: number, estimatedUsd: number, budget: number | null | undefined): string {
  const of = budget === null || budget === undefined ? '' : ` of ${money(budget)} budget`;
  const split = estimatedUsd > 0 ? `: $${Math.max(0, costUsd - estimatedUsd).toFixed(4)} reported, $${estimatedUsd.toFixed(4)} estimated` : '';
  return `$${costUsd.toFixed(4)}${of}${split}`;
}

function summaryLine(result: SessionResult, command: string[], ctx: CommandContext, cost?: Policy['cost']): string {
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  const lines: string[] = [];
  if (result.child.spawnError) {
    const what = result.child.spawnError.code === 'ENOENT' ? 'command not found' : 'command cannot be executed';
    lines.push(`${c.red('guardrun:')} ${what}: ${command[0]}`);
  }
  const { requests, costUsd, estimatedUsd, denials } = result.stats;
  if (denials.length > 0) {
    lines.push(`${c.yellow('guardrun:')} denied ${denials.length} time${denials.length === 1 ? '' : 's'}:`);
    for (const d of denials) lines.push(`  #${d.id} ${d.endpoint}  ${c.bold(d.rule)} (${d.decidedBy}): ${d.reason}`);
  }
  lines.push(`${c.dim('guardrun:')} session saved to ${result.sessionFile} (${requests} request${requests === 1 ? '' : 's'}, ${spendText(costUsd, estimatedUsd, cost?.session_budget_usd)})`);
  return lines.join('\n') + '\n';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
