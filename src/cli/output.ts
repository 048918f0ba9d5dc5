// How guardrun speaks on the terminal: colours only on a TTY, honouring NO_COLOR and FORCE_COLOR.
import { Chalk, type ChalkInstance } from 'chalk';
import { toGuardrunError } from '../errors.js';
import { terminalSafeError } from '../secrets/terminal-text.js';

export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): ChalkInstance {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({ level: 0 });
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return new Chalk({ level: 1 });
  return new Chalk({ level: stream.isTTY ? 1 : 0 });
}

/**
 * `guardrun: <what happened> [E_CODE]` and on the next line `fix: <what to do>`. Both pass the terminal gate:
 * a key-like value a user mistyped into an option (`--key-env "$KEY"`) is masked, control characters shown.
 */
export function formatError(error: unknown, c: ChalkInstance): string {
  const e = toGuardrunError(error);
  const safe = terminalSafeError(e);
  const lines = [`${c.red('guardrun:')} ${safe.message} ${c.dim(`[${e.code}]`)}`];
  if (safe.fix) lines.push(`${c.yellow('fix:')} ${safe.fix}`);
  return lines.join('\n') + '\n';
}
