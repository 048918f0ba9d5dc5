// `guardrun [options] -- <command> [args...]`: the default command.
import type { Command } from 'commander';
import { EXIT, GuardrunError, isGuardrunError } from '../../errors.js';
import { guardSetup } from '../guard-setup.js';
import { openKeystore } from '../../secrets/open-keystore.js';
import { parseKeyEnv, resolveKeys } from '../../secrets/resolve-keys.js';
import { startSession } from '../../session/run-session.js';
import { checkNestedUpstreams } from '../../session/nested.js';
import type { CommandContext } from '../context.js';
import { limitsLine, nestedSandboxNote, noAdapterWarning, startLine, summaryLines, unguardedWarnings } from '../run-output.js';
import { colorsFor, formatError } from '../output.js';
import { parseKillTimeout, trapSignals } from '../attach-process.js';
import { handleGuardrunWord } from '../command-words.js';
import { POLICY_DEFAULT } from '../help-text.js';
import { findCommand } from '../../session/find-command.js';
import { loadSigningKey } from '../../secrets/signing-key.js';
import { parseUsdFlag, type CostOverrides } from '../../policy/overrides.js';
import { inspectCommand, planChild, refusal, type AgentReport } from '../../agents/plan.js';
import type { Provider } from '../../providers.js';
import { openSandbox } from '../../sandbox/sandbox.js';

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
  quiet?: boolean;
  sign?: boolean;
  signKeyEnv?: string;
  budget?: string;
  approveOver?: string;
  /** commander's form of --no-adapter: false when given. */
  adapter: boolean;
  /** commander's form of --no-intercept: false when given. */
  intercept: boolean;
  sandbox?: boolean;
  sandboxAllowRead: string[];
  allowUnguarded?: boolean;
  passEnv: string[];
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
    .option('--pass-env <NAME>', "keep variable NAME in the agent's environment although its value looks like a credential (repeatable)", collect, [])
    .option('--kill-timeout <seconds>', 'grace period between SIGTERM and SIGKILL for the child', '10')
    .option('--policy <file>', `policy file (default ${POLICY_DEFAULT})`)
    .option('--ci', 'never ask: deny whatever needs approval (also when CI is set or there is no terminal)')
    .option('--fail-on-deny', `exit ${EXIT.denied} when anything was denied, even if the child succeeded`)
    .option('--budget <usd>', 'session budget in USD for this run, over cost.session_budget_usd (none: no budget)')
    .option('--approve-over <usd>', 'ask before a request estimated above this many USD, over cost.approve_over_usd (none: never)')
    .option('--sign', 'seal the session file: an HMAC of its final hash with a signing key from the keychain (made on first use)')
    .option('--sign-key-env <VAR>', 'seal with the signing key in guardrun\'s env variable VAR instead (CI); implies --sign')
    .option('-q, --quiet', 'no start lines, and no closing lines unless something was denied or refused (then the denials, where the record is and its final hash); errors, warnings and notes are always printed')
    .option('--no-adapter', 'do not recognise the agent (Codex, Claude Code): only the generic environment, no per-run options')
    .option('--no-intercept', 'do not intercept connections to model hosts (api.openai.com, …): refuse them instead (403), so only base-URL calls reach the model')
    .option('--sandbox', 'run the agent with no network of its own (only through guardrun) and no access to the key store or stored logins (Linux: bubblewrap; macOS: sandbox-exec)')
    .option('--sandbox-allow-read <path>', 'with --sandbox: let the agent read this protected path after all (e.g. ~/.codex/auth.json); repeatable', collect, [])
    .option('--allow-unguarded', 'start the agent even when it would reach a provider around guardrun (no key for it, or its config points elsewhere)')
    .action(async (operands: string[], flags: RunFlags) => {
      if (ctx.childArgv === undefined && handleGuardrunWord(program, operands, ctx)) return;
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
  // Before the key lookup: a command that cannot start is the thing to fix first (127, not "no key").
  const found = findCommand(command[0], io.env, io.cwd);
  if (!found.ok) {
    throw found.reason === 'not-found'
      ? new GuardrunError('E_NOT_FOUND', `command not found: ${command[0]}`, 'check the spelling, and that it is installed and on PATH (guardrun runs what follows --)')
      : new GuardrunError('E_NOT_EXECUTABLE', `command cannot be executed: ${command[0]} (no execute permission)`, `chmod +x ${command[0]}, or run it through its interpreter (e.g. guardrun -- sh ${command[0]})`);
  }
  if (flags.sandboxAllowRead.length > 0 && !flags.sandbox) {
    throw new GuardrunError('E_USAGE', '--sandbox-allow-read only applies with --sandbox', 'add --sandbox, or drop --sandbox-allow-read');
  }
  const trap = trapSignals(ctx);
  try {
    // A sandbox that cannot start stops the run here, before anything else (exit 78): never run unsandboxed instead.
    const sandbox = flags.sandbox ? await openSandbox({ env: io.env, cwd: io.cwd, allowRead: flags.sandboxAllowRead }) : undefined;
    const guard = await guardSetup({ ...flags, cost }, io);
    if (!flags.quiet) io.stderr.write(limitsLine(cost, ctx));
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
    const signing = flags.sign || flags.signKeyEnv !== undefined
      ? await loadSigningKey({ keyEnv: flags.signKeyEnv, env: io.env, openKeystore: () => openKeystore({ env: io.env }), create: true })
      : undefined;
    if (signing?.created) io.stderr.write(`guardrun: made a session signing key, kept in the ${signing.source}; replay checks seals with it\n`);
    checkNestedUpstreams(resolved.keys, { openai: flags.upstream, anthropic: flags.anthropicUpstream }, io.env);
    const report = inspect(resolved.keys.map((k) => k.provider));
    const refused = report && refusal(report, flags.allowUnguarded === true);
    if (refused) throw refused;
    if (report) io.stderr.write(unguardedWarnings(report, ctx));
    else io.stderr.write(noAdapterWarning(command, ctx));
    if (sandbox) io.stderr.write(nestedSandboxNote(command, ctx));
    const unguarded = flags.allowUnguarded ? report?.missing ?? [] : [];
    const context = report?.context;
    const session = await startSession({
      command,
      keys: resolved.keys,
      cwd: io.cwd,
      env: io.env,
      removeFromChildEnv: flags.signKeyEnv ? [...resolved.childEnvRemove, flags.signKeyEnv] : resolved.childEnvRemove,
      upstreams: { openai: flags.upstream, anthropic: flags.anthropicUpstream },
      sessionFile: flags.sessionFile,
      killGraceMs: killTimeout * 1000,
      guard,
      signal: trap.early,
      sealKey: signing?.key,
      intercept: flags.intercept,
      sandbox,
      // An agent whose provider runs unguarded keeps its own settings: pointing it at guardrun would only break it.
      prepareChild: context && unguarded.length === 0 ? (plan) => planChild(command, context, plan) : undefined,
      unguardedProviders: unguarded,
      passEnv: flags.passEnv,
      isolateKernelKeyring: resolved.keys.some((k) => k.source.includes('kernel keyring')),
      header: {
        ...(context ? { agent: context.detection.agent.id } : {}),
        ...(unguarded.length > 0 ? { unguarded } : {}),
      },
    });
    trap.attach(session);
    for (const notice of session.notices) io.stderr.write(`guardrun: note: ${notice}\n`);
    if (!flags.quiet) io.stderr.write(startLine({ command, policySource: guard.policy?.source ?? 'built-in default', sessionFile: session.sessionFile }, ctx));
    // Test hook: proves the crash path (child stopped, session file closed, exit 70) end to end.
    if (io.env.GUARDRUN_TEST_CRASH === '1') setTimeout(() => { throw new Error('simulated crash (GUARDRUN_TEST_CRASH=1)'); }, 200);
    const result = await session.done;
    io.stderr.write(summaryLines(result, command, ctx, { quiet: flags.quiet === true, sealed: signing !== undefined, budgetUsd: guard.policy?.policy.cost.session_budget_usd, nobodyToAsk: guard.nobodyToAsk() }));
    if (result.recordError) {
      const error = new GuardrunError('E_SESSION_FILE', `the session file could not be written to the end (${result.recordError}); every request after that was refused, not sent`, 'free space on that disk, or put the record elsewhere with --session-file');
      io.stderr.write(formatError(error, colorsFor(io.stderr, io.env)));
      return result.exitCode !== 0 ? result.exitCode : error.exitCode;
    }
    const egressRefusals = result.egress.denied.length + result.egress.bypasses.length;
    if (flags.failOnDeny && result.exitCode === 0 && (result.stats.denials.length > 0 || egressRefusals > 0)) return EXIT.denied;
    return result.exitCode;
  } finally {
    trap.release();
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
