// Commander's parse errors ("error: unknown option '--jsn'\n(Did you mean --json?)") in guardrun's own form.
import type { CommanderError } from 'commander';
import { GuardrunError } from '../errors.js';
import { maskKeyLike } from '../secrets/terminal-text.js';

/** A usage error (exit 64) with what went wrong and, as the fix, commander's suggestion or where help is. */
export function usageError(error: CommanderError): GuardrunError {
  const lines = error.message.split('\n').map((l) => l.trim()).filter(Boolean);
  const what = maskKeyLike((lines[0] ?? 'invalid arguments').replace(/^error:\s*/i, ''));
  const suggestion = lines.slice(1).join(' ').replace(/^\((.*)\)$/, '$1');
  const help = 'guardrun --help (or guardrun <subcommand> --help)';
  const fix = suggestion ? `${maskKeyLike(suggestion.charAt(0).toLowerCase() + suggestion.slice(1))} — see ${help}` : `see ${help}`;
  return new GuardrunError('E_USAGE', what, fix, { cause: error });
}
