// Where a session file goes when --session-file is not given: `.guardrun/sessions/` of the project (the nearest
// `.guardrun/` from the working directory up to the repository root, else the working directory's), or, when that
// directory cannot be written (`/`, a read-only checkout), the user's state directory.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { GuardrunError } from '../errors.js';
import { ensureGuardrunDir } from './recorder.js';

export interface SessionPath {
  path: string;
  /** Set when the user-level directory was used instead of the project's, saying why. */
  notice?: string;
}

/** `$XDG_STATE_HOME/guardrun/sessions`, default `~/.local/state/guardrun/sessions` (XDG Base Directory spec). */
export function userSessionDir(env: NodeJS.ProcessEnv): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'guardrun', 'sessions');
}

/** `<time>-<id>.jsonl`, the time in UTC with `-` for `:` so the name sorts and works on every file system. */
export function sessionFileName(at: Date, id: string): string {
  return `${at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}-${id}.jsonl`;
}

/**
 * The project's `.guardrun/` for a run in `cwd`: the nearest existing one from `cwd` up to the repository root (the
 * first directory holding `.git`), so a run from a subdirectory records where `guardrun replay --last` looks (it
 * searches the same way); outside a repository, or when none exists yet, `cwd`'s.
 */
export function projectGuardrunDir(cwd: string): string {
  const here = join(resolve(cwd), '.guardrun');
  const found: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.guardrun'))) found.push(join(dir, '.guardrun'));
    if (existsSync(join(dir, '.git'))) return found[0] ?? here;
    if (dirname(dir) === dir) return here; // not in a repository: the working directory's only
  }
}

/**
 * The default session file for a run started in `cwd`. Creates `.guardrun/` (with its `.gitignore`) there; when
 * that fails because the directory cannot be written, falls back to `userSessionDir` with a notice. Throws
 * E_SESSION_FILE (exit 78) naming --session-file when neither can be created.
 */
export function defaultSessionPath(cwd: string, env: NodeJS.ProcessEnv, at: Date, id: string): SessionPath {
  const name = sessionFileName(at, id);
  const project = projectGuardrunDir(cwd);
  try {
    ensureGuardrunDir(project);
    return { path: join(project, 'sessions', name) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const fallback = userSessionDir(env);
    try {
      ensureGuardrunDir(fallback);
      return { path: join(fallback, name), notice: `cannot write ${project} (${code}); the session file goes to ${fallback}` };
    } catch (second) {
      throw new GuardrunError(
        'E_SESSION_FILE',
        `cannot create a session file: ${project} (${code}) and ${fallback} (${(second as NodeJS.ErrnoException).code ?? 'error'}) are not writable`,
        'run guardrun from a directory you can write, or give a writable path with --session-file',
        { cause: error },
      );
    }
  }
}
