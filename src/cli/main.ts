// argv -> command -> exit code. The only place (with its commands) that reads argv, prints or exits.
import { Command, CommanderError } from 'commander';
import { toGuardrunError } from '../errors.js';
import { terminalSafeError } from '../secrets/terminal-text.js';
import { VERSION } from '../version.js';
import { processIO, type CliIO } from './io.js';
import { colorsFor, formatError } from './output.js';
import type { CommandContext } from './context.js';
import { registerRun } from './commands/run.js';
import { registerKey } from './commands/key.js';
import { registerDemo } from './commands/demo.js';
import { registerPolicy } from './commands/policy.js';
import { registerReplay } from './commands/replay.js';
import { registerPrices } from './commands/prices.js';
import { HELP_AFTER } from './help-text.js';
import { usageError } from './usage-error.js';
import { registerDoctor } from './commands/doctor.js';

/** Builds the program. `childArgv` is everything after the first `--`, kept away from option parsing. */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('guardrun')
    .description('Run an AI agent with a dummy key behind a guarded loopback proxy: its model calls are checked, masked and recorded.')
    .usage('[options] -- <command> [args...]\n       guardrun <subcommand> [options]')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .enablePositionalOptions()
    .passThroughOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      // Commander's own errors are reported by runCli in guardrun's format instead.
      outputError: () => undefined,
    })
    .addHelpText('after', HELP_AFTER);
  registerRun(program, ctx);
  registerKey(program, ctx);
  registerDemo(program, ctx);
  registerPolicy(program, ctx);
  registerReplay(program, ctx);
  registerPrices(program, ctx);
  registerDoctor(program, ctx);
  // Every subcommand reports its usage errors the same way.
  for (const sub of program.commands) inheritErrorHandling(sub, ctx);
  return program;
}

function inheritErrorHandling(cmd: Command, ctx: CommandContext): void {
  cmd.exitOverride().configureOutput({
    writeOut: (s) => ctx.io.stdout.write(s),
    writeErr: (s) => ctx.io.stderr.write(s),
    outputError: () => undefined,
  });
  for (const sub of cmd.commands) inheritErrorHandling(sub, ctx);
}

/** Splits argv at the first `--`: guardrun's own words before it, the child's command after. */
export function splitArgv(argv: string[]): { own: string[]; child: string[] | undefined } {
  const at = argv.indexOf('--');
  if (at === -1) return { own: argv, child: undefined };
  return { own: argv.slice(0, at), child: argv.slice(at + 1) };
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const { own, child } = splitArgv(argv);
  let exitCode = 0;
  const ctx: CommandContext = { io, childArgv: child, setExitCode: (code) => (exitCode = code) };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(own, { from: 'user' });
    return exitCode;
  } catch (error) {
    // Help and version are "errors" to commander; they exit 0.
    if (error instanceof CommanderError && error.exitCode === 0) return 0;
    const reported = toGuardrunError(error instanceof CommanderError ? usageError(error) : error);
    io.stderr.write(formatError(reported, colorsFor(io.stderr, io.env)));
    // A script that asked for JSON gets its error as JSON too, on stdout where it reads.
    if (own.includes('--json')) io.stdout.write(JSON.stringify({ error: { code: reported.code, ...terminalSafeError(reported), exitCode: reported.exitCode } }) + '\n');
    return reported.exitCode;
  }
}

export async function main(argv: string[]): Promise<void> {
  // `guardrun --help | head`: a reader that leaves early is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  const code = await runCli(argv, processIO());
  process.exitCode = code;
  // Let stdout/stderr drain (a pipe takes 64 KB at a time: `replay --json --full | jq` printed more), then leave
  // even if a handle lingers.
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  setImmediate(() => process.exit(code));
}

/** Resolves once `stream` has written what it holds (or at once when it holds nothing, or it failed or closed). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}
