// argv -> command -> exit code. The only place (with its commands) that reads argv, prints or exits.
import { Command, CommanderError } from 'commander';
import { GuardrunError } from '../errors.js';
import { VERSION } from '../version.js';
import { processIO, type CliIO } from './io.js';
import { colorsFor, formatError } from './output.js';
import type { CommandContext } from './context.js';
import { registerRun } from './commands/run.js';
import { registerKey } from './commands/key.js';
import { registerDemo } from './commands/demo.js';
import { registerPolicy } from './commands/policy.js';
import { registerReplay } from './commands/replay.js';
import { registerDoctor } from './commands/doctor.js';

/** Builds the program. `childArgv` is everything after the first `--`, kept away from option parsing. */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('guardrun')
    .description('Run an AI agent with a dummy key behind a guarded loopback proxy.')
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .passThroughOptions()
    .showHelpAfterError('(run guardrun --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    });
  registerRun(program, ctx);
  registerKey(program, ctx);
  registerDemo(program, ctx);
  registerPolicy(program, ctx);
  registerReplay(program, ctx);
  registerDoctor(program, ctx);
  return program;
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
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; they exit 0.
      if (error.exitCode === 0) return 0;
      return 64;
    }
    io.stderr.write(formatError(error, colorsFor(io.stderr, io.env)));
    return error instanceof GuardrunError ? error.exitCode : 70;
  }
}

export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv, processIO());
  process.exitCode = code;
  // Give stdout/stderr a chance to drain, then leave even if a handle lingers.
  setImmediate(() => process.exit(code));
}
