// `guardrun <word> …` without `--`: the word may be meant for guardrun (help, version, a mistyped
// subcommand) rather than be the agent's command. Decided before anything is started or recorded.
import type { Command } from 'commander';
import { GuardrunError } from '../errors.js';
import { findCommand } from '../session/find-command.js';
import { VERSION } from '../version.js';
import type { CommandContext } from './context.js';

/**
 * Handles `help [subcommand]` and `version` (returns true when it did), and refuses a first word that is no
 * executable but is within two edits of a subcommand ("replya" → "did you mean replay?"), so a typo never
 * starts a session.
 */
export function handleGuardrunWord(program: Command, operands: string[], ctx: CommandContext): boolean {
  const [word] = operands;
  if (word === 'help') {
    helpTopic(program, operands.slice(1)).outputHelp();
    return true;
  }
  if (word === 'version') {
    ctx.io.stdout.write(`${VERSION}\n`);
    return true;
  }
  if (word === undefined || word.includes('/') || findCommand(word, ctx.io.env, ctx.io.cwd).ok) return false;
  const names = [...program.commands.map((c) => c.name()), 'help', 'version'];
  const near = names.find((name) => editDistance(word.toLowerCase(), name) <= Math.min(2, Math.floor(name.length / 2)));
  if (near) {
    throw new GuardrunError('E_USAGE', `unknown command '${word}' — did you mean ${near}?`, `guardrun ${near} …, or to run a program called ${word}: guardrun -- ${word}`);
  }
  return false;
}

/**
 * The deepest subcommand `topics` names (`help policy check` → `policy check`), so the help shown is the one of the
 * command the words spell. A word that names no subcommand at its level is a usage error listing that level's names.
 */
export function helpTopic(program: Command, topics: string[]): Command {
  let at = program;
  for (const topic of topics) {
    const sub = at.commands.find((c) => c.name() === topic || c.aliases().includes(topic));
    if (!sub) {
      const path = at === program ? '' : `${commandPath(at)} `;
      const names = at.commands.map((c) => c.name());
      const topicsText = names.length > 0 ? `topics: ${names.map((n) => `${path}${n}`).join(', ')}; or ` : '';
      throw new GuardrunError('E_USAGE', `there is no help topic "${path}${topic}"`, `${topicsText}guardrun ${path}--help`);
    }
    at = sub;
  }
  return at;
}

/** `policy check` for that command: its names below the program. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Levenshtein distance (insertions, deletions, substitutions), for short words. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
