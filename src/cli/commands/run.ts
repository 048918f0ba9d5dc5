// `guardrun [options] -- <command> [args...]`: the default command.
import type { Command } from 'commander';
import { EXIT, GuardrunError, isGuardrunError } from '../../errors.js';
import { guardSetup } from '../guard-setup.js';
import { openKeystore } from '../../secrets/open-keystore.js';
import { parseKeyEnv, resolveKeys } from '../../secrets/resolve-keys.js';
import { startSession, type SessionResult } from '../../session/run-session.js';
import type { CommandContext } from '../context.js';
import { colorsFor } from '../output.js';
import { parseKillTimeout, trapSignals } from '../attach-process.js';
import { inspectCommand, planChild, refusal, type AgentReport } from '../../agents/plan.js';
import { detectAgent } from '../../agents/detect.js';
import type { Provider } from '../../providers.js';

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
  /** commander's form of --no-adapter: false when given. */
  adapter: boolean;
  allowUnguarded?: boolean;
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
    .option('--no-adapter', 'do not recognise the agent (Codex, Claude Code): only the generic environment, no per-run options')
    .option('--allow-unguarded', 'start the agent even when it would reach a provider around guardrun (no key for it, or its config points elsewhere)')
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
  const trap = trapSignals(ctx);
  try {
    const guard = await guardSetup(flags, io);
    const inspect = (held: Provider[]): AgentReport | undefined => (flags.adapter ? inspectCommand(command, { env: io.env, cwd: io.cwd, held }) : undefined);
    const resolved = await resolveKeys({
      keyEnv: flags.keyEnv.map(parseKeyEnv),
      profile: flags.profile,
      env: io.env,
      openKeystore: () => openKeystore({ env: io.env }),
    }).catch((error: unknown) => {
      // No key at all (and no keychain trouble to report): for a known agent, say which key it needs.
      const plain = isGuardrunError(error) && error.code === 'E_NO_KEY' && error.cause === undefined;
      const report = plain ? inspect([]) : undefined;
      const why = report ? refusal(report, false) : undefined;
      throw why?.code === 'E_NO_KEY' ? why : error;
    });
    const report = inspect(resolved.keys.map((k) => k.provider));
    const refused = report && refusal(report, flags.allowUnguarded === true);
    if (refused) throw refused;
    if (report) warnUnguarded(report, ctx);
    else warnNoAdapter(command, ctx);
    const unguarded = flags.allowUnguarded ? report?.missing ?? [] : [];
    const context = report?.context;
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
      // An agent whose provider runs unguarded keeps its own settings: pointing it at guardrun would only break it.
      prepareChild: context && unguarded.length === 0 ? (plan) => planChild(command, context, plan) : undefined,
      unguardedProviders: unguarded,
      header: {
        ...(context ? { agent: context.detection.agent.id } : {}),
        ...(unguarded.length > 0 ? { unguarded } : {}),
      },
    });
    trap.attach(session);
    // Test hook: proves the crash path (child stopped, session file closed, exit 70) end to end.
    if (io.env.GUARDRUN_TEST_CRASH === '1') setTimeout(() => { throw new Error('simulated crash (GUARDRUN_TEST_CRASH=1)'); }, 200);
    const result = await session.done;
    io.stderr.write(summaryLine(result, command, ctx));
    if (flags.failOnDeny && result.exitCode === 0 && result.stats.denials.length > 0) return EXIT.denied;
    return result.exitCode;
  } finally {
    trap.release();
  }
}

/** With --allow-unguarded, what goes around guardrun is said once, before the agent starts. */
function warnUnguarded(report: AgentReport, ctx: CommandContext): void {
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  const lines: string[] = [];
  const name = report.result.kind === 'agent' ? report.result.detection.agent.name : 'the agent';
  for (const p of report.missing) lines.push(`${name} runs UNGUARDED for ${p}: guardrun holds no ${p} key (--allow-unguarded); its ${p} calls are neither checked nor recorded`);
  for (const f of report.findings) if (f.level === 'bypass' || f.level === 'blocked') lines.push(`${name}: ${f.message} (--allow-unguarded)`);
  for (const line of lines) ctx.io.stderr.write(`${c.yellow('guardrun: warning:')} ${line}\n`);
}

/** --no-adapter on a command guardrun recognises: said once, since the agent may then go around guardrun. */
function warnNoAdapter(command: string[], ctx: CommandContext): void {
  const found = detectAgent(command);
  if (found.kind !== 'agent') return;
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  const name = found.detection.agent.name;
  ctx.io.stderr.write(`${c.yellow('guardrun: warning:')} --no-adapter: ${name} gets only the generic environment; its own settings or a stored login may send it around guardrun (see docs/agents.md)\n`);
}

function summaryLine(result: SessionResult, command: string[], ctx: CommandContext): string {
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  const lines: string[] = [];
  if (result.child.spawnError) {
    const what = result.child.spawnError.code === 'ENOENT' ? 'command not found' : 'command cannot be executed';
    lines.push(`${c.red('guardrun:')} ${what}: ${command[0]}`);
  }
  const { requests, costUsd, denials } = result.stats;
  if (denials.length > 0) {
    lines.push(`${c.yellow('guardrun:')} denied ${denials.length} time${denials.length === 1 ? '' : 's'}:`);
    for (const d of denials) lines.push(`  #${d.id} ${d.endpoint}  ${c.bold(d.rule)} (${d.decidedBy}): ${d.reason}`);
  }
  lines.push(`${c.dim('guardrun:')} session saved to ${result.sessionFile} (${requests} request${requests === 1 ? '' : 's'}, $${costUsd.toFixed(4)})`);
  return lines.join('\n') + '\n';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
