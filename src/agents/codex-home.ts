// A private CODEX_HOME for one run, layered over the user's: every entry of the user's Codex home appears
// in it as a symlink (config, sessions, history, databases, skills: all shared, written through), except
// auth.json, which holds the session's dummy key as an API-key login. Codex thus uses guardrun's key in
// every mode (the TUI ignores CODEX_API_KEY) and never sees a stored ChatGPT login, while the user's files
// stay where they are; the user's auth.json is never read, copied or changed.
//
// Codex records absolute paths under CODEX_HOME in its state database (each thread's rollout_path), so
// the private home's path must keep working after the run: it becomes a symlink to the user's home, and
// `codex resume` finds threads started under guardrun (measured with 0.171.0: a removed path makes it fail
// with "no rollout found for thread id").
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const AUTH_FILE = 'auth.json';

export interface PrivateCodexHome {
  dir: string;
  /**
   * Moves what Codex created in the private home (not guardrun's auth.json) to the user's, removes the
   * private home with the session key, and leaves a symlink to the user's home in its place.
   */
  close(): void;
}

/**
 * Creates `<stateDir>/guardrun/codex-homes/<sessionId>` (mode 0700) over `userHome`. `stateDir` is
 * $XDG_STATE_HOME or ~/.local/state: it must outlive the run (see above), and stay out of the system temp
 * dir, under which Codex refuses to lay its sandbox helper binaries.
 */
export function createPrivateCodexHome(o: { userHome: string; stateDir: string; sessionId: string; dummyKey: string }): PrivateCodexHome {
  const parent = join(o.stateDir, 'guardrun', 'codex-homes');
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const dir = join(parent, o.sessionId);
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o700);
  try {
    const linked = new Set<string>();
    if (existsSync(o.userHome)) {
      for (const name of readdirSync(o.userHome)) {
        if (name === AUTH_FILE) continue;
        symlinkSync(join(o.userHome, name), join(dir, name));
        linked.add(name);
      }
    }
    // The shape `codex login --with-api-key` writes (codex-rs login: AuthDotJson).
    writeFileSync(join(dir, AUTH_FILE), JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: o.dummyKey }) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, close: () => closeHome(dir, o.userHome) };
}

function closeHome(dir: string, userHome: string): void {
  try {
    for (const name of readdirSync(dir)) {
      if (name === AUTH_FILE) continue;
      const entry = join(dir, name);
      if (lstatSync(entry).isSymbolicLink()) continue;
      carryBack(entry, join(userHome, name));
    }
  } catch {
    // Best effort: what could not be moved goes with the private home.
  } finally {
    rmSync(dir, { recursive: true, force: true });
    try {
      symlinkSync(userHome, dir);
    } catch {
      // Threads of this run then cannot be resumed through their recorded path; nothing else depends on it.
    }
  }
}

/**
 * An entry Codex made in the private home: new (the user's home lacked it) or a file Codex replaced by
 * renaming over the symlink. Either way it is Codex's own write, so it goes where Codex would have put it.
 * A directory the user's home already has is left alone (its contents were shared through the symlink).
 */
function carryBack(from: string, to: string): void {
  const target = existsSync(to) ? lstatSync(to) : undefined;
  if (target?.isDirectory() || (target && lstatSync(from).isDirectory())) return;
  mkdirSync(join(to, '..'), { recursive: true, mode: 0o700 });
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    cpSync(from, to, { recursive: true, force: true, verbatimSymlinks: true });
    rmSync(from, { recursive: true, force: true });
  }
}
