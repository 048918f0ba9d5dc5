import type { CliIO } from './io.js';

/** What every command gets from main: its IO, the child's argv (after `--`), and a way to set the exit code. */
export interface CommandContext {
  io: CliIO;
  childArgv: string[] | undefined;
  setExitCode(code: number): void;
}
