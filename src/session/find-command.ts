// Whether a command can be started, found the way the OS will find it (execvp: a name with a slash is a path,
// otherwise each PATH entry in order). Checked before the key lookup, so a typo gives 127, not "no key".
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type FoundCommand = { ok: true; path: string } | { ok: false; reason: 'not-found' | 'not-executable' };

/**
 * Resolves `name` to an executable file. `env.PATH` is searched (empty entries mean the cwd, as in POSIX
 * execvp); a name containing `/` is taken relative to `cwd`. A file found but not executable (and nothing
 * executable later on PATH) gives `not-executable`.
 */
export function findCommand(name: string, env: NodeJS.ProcessEnv, cwd: string): FoundCommand {
  if (name === '') return { ok: false, reason: 'not-found' };
  const candidates = name.includes('/')
    ? [isAbsolute(name) ? name : resolve(cwd, name)]
    : (env.PATH ?? '').split(delimiter).map((dir) => join(dir === '' ? cwd : resolve(cwd, dir), name));
  let sawFile = false;
  for (const path of candidates) {
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      continue;
    }
    if (!isFile) continue;
    sawFile = true;
    try {
      accessSync(path, constants.X_OK);
      return { ok: true, path };
    } catch {
      // not executable: keep looking, as execvp does
    }
  }
  return { ok: false, reason: sawFile ? 'not-executable' : 'not-found' };
}
