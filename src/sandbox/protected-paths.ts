// What a sandboxed child must not read: the files where agents keep stored logins (a login there is a way
// to reach a provider without the session key), and the ways into guardrun's key store (the Secret Service
// is reached over the D-Bus session bus; GNOME Keyring's own socket and files). The kernel keyring is
// handled in the sandbox's start-up script (inner-script.ts), macOS's Keychain by sandbox-exec's profile.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export interface ProtectedPath {
  path: string;
  /** Why it is hidden, for `guardrun doctor` and the docs. */
  why: string;
}

/** The stored-login files of known agents and the key store's sockets and files, for this user. */
export function protectedPaths(env: NodeJS.ProcessEnv, home = env.HOME || homedir()): ProtectedPath[] {
  const runtime = env.XDG_RUNTIME_DIR;
  const codexHome = env.CODEX_HOME && isAbsolute(env.CODEX_HOME) ? env.CODEX_HOME : join(home, '.codex');
  const paths: ProtectedPath[] = [
    { path: join(codexHome, 'auth.json'), why: 'Codex CLI stored login (ChatGPT tokens or an API key)' },
    { path: join(home, '.codex', 'auth.json'), why: 'Codex CLI stored login (ChatGPT tokens or an API key)' },
    { path: join(home, '.claude', '.credentials.json'), why: 'Claude Code stored login (OAuth tokens)' },
    { path: join(home, '.gemini', 'oauth_creds.json'), why: 'Gemini CLI stored login' },
    { path: join(home, '.config', 'github-copilot'), why: 'GitHub Copilot stored login' },
    { path: join(home, '.local', 'share', 'keyrings'), why: 'GNOME Keyring files (the Secret Service store)' },
    { path: join(home, 'Library', 'Keychains'), why: 'macOS Keychain files' },
  ];
  if (runtime) {
    paths.push({ path: join(runtime, 'bus'), why: 'D-Bus session bus (the Secret Service is reached through it)' });
    paths.push({ path: join(runtime, 'keyring'), why: 'GNOME Keyring control socket' });
  }
  const bus = /(?:^|[;,])unix:(?:[^;]*,)?path=([^,;]+)/.exec(env.DBUS_SESSION_BUS_ADDRESS ?? '')?.[1];
  if (bus) paths.push({ path: decodeURIComponent(bus), why: 'D-Bus session bus (the Secret Service is reached through it)' });
  const seen = new Set<string>();
  return paths.filter((p) => !seen.has(p.path) && Boolean(seen.add(p.path)));
}

/** The protected paths less those `--sandbox-allow-read` gives back (each a path or a directory above it). */
export function deniedReads(paths: ProtectedPath[], allowRead: string[], cwd: string, home = homedir()): ProtectedPath[] {
  const allowed = allowRead.map((p) => resolve(cwd, p.replace(/^~(?=$|\/)/, home)));
  return paths.filter((p) => !allowed.some((a) => p.path === a || p.path.startsWith(a + '/')));
}
