// A private CODEX_HOME for one run, layered over the user's: every entry of the user's Codex home appears
// in it as a symlink (config, sessions, history, databases, skills: all shared, written through), except
// auth.json, which holds the session's dummy key as an API-key login. Codex thus uses guardrun's key in
// every mode (the TUI ignores CODEX_API_KEY) and never sees a stored ChatGPT login, while the user's files
// stay where they are; the user's auth.json is never read, copied or changed.
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const AUTH_FILE = 'auth.json';

export interface PrivateCodexHome {
  dir: string;
  /** Moves what Codex created in the private home (not guardrun's auth.json) to the user's, then removes it. */
  close(): void;
}

/**
 * Creates `<cacheDir>/guardrun/codex-home-<sessionId>` (mode 0700) over `userHome`.
 * The directory is kept out of the system temp dir: Codex refuses to lay its helper binaries under it.
 */
export function createPrivateCodexHome(o: { userHome: string; cacheDir: string; sessionId: string; dummyKey: string }): PrivateCodexHome {
  const parent = join(o.cacheDir, 'guardrun');
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const dir = join(parent, `codex-home-${o.sessionId}`);
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
