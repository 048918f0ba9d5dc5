// Keeping keys in the Linux kernel keyring out of the agent's reach. @napi-rs/keyring (keyring-rs) adds a key
// to the session keyring and links it into the user's persistent keyring; its permissions (3f010000) let only
// a *possessor* read it. The child inherits guardrun's session keyring, so it possessed the key (`keyctl print`
// read it), and any process of the user can link the persistent keyring (`keyctl get_persistent @s`) to
// possess it again. Measured here: after unlinking guardrun's keys from the persistent keyring and starting the
// child in a new anonymous session keyring, `keyctl print <id>`, `keyctl search`, `keyctl get_persistent` and
// joining `_ses` by name all failed with "Permission denied" / "Required key not available".
// The key stays in the login session's keyring, where `guardrun key set` put it (guardrun documents kernel keys
// as living for the login session).
import { execFileSync } from 'node:child_process';
import { findCommand } from '../session/find-command.js';
import { KEYCHAIN_SERVICE } from './keychain.js';

export interface KeyringIsolation {
  /** The command to spawn: the agent's, started in a new session keyring. */
  command: string[];
  /** Keys unlinked from the persistent keyring. */
  unlinked: number;
}

/**
 * Unlinks guardrun's keys from the persistent keyring and wraps `command` so the child starts in a new session
 * keyring, keeping stderr for the child (`keyctl session` announces the new keyring on stderr; that line is
 * dropped, nothing else). Undefined when keyctl (keyutils) is not installed: the caller warns.
 */
export function isolateKernelKeyring(command: string[], env: NodeJS.ProcessEnv, cwd: string): KeyringIsolation | undefined {
  const keyctl = findCommand('keyctl', { PATH: `${env.PATH ?? ''}:/usr/bin:/bin` }, cwd);
  const sh = findCommand('sh', { PATH: `${env.PATH ?? ''}:/usr/bin:/bin` }, cwd);
  if (!keyctl.ok || !sh.ok) return undefined;
  const unlinked = unlinkFromPersistent(keyctl.path);
  // sh keeps the real stderr on fd 3 while keyctl speaks to /dev/null, then the inner sh gives it back and execs.
  const inner = 'exec 2>&3 3>&-; exec "$@"';
  const wrapped = [sh.path, '-c', `exec 3>&2; exec "$0" session - "${sh.path}" -c '${inner}' sh "$@" 2>/dev/null`, keyctl.path, ...command];
  return { command: wrapped, unlinked };
}

function unlinkFromPersistent(keyctl: string): number {
  const run = (...args: string[]): string => execFileSync(keyctl, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
  let persistent: string;
  try {
    persistent = run('get_persistent', '@s');
  } catch {
    return 0; // no persistent keyrings on this kernel: nothing to unlink
  }
  let unlinked = 0;
  let ids: string[] = [];
  try {
    ids = run('rlist', persistent).split(/\s+/).filter(Boolean);
  } catch {
    return 0;
  }
  for (const id of ids) {
    try {
      const description = run('rdescribe', id).split(';').slice(4).join(';');
      if (!description.endsWith(`@${KEYCHAIN_SERVICE}`)) continue;
      run('unlink', id, persistent);
      unlinked++;
    } catch {
      // a key that went away meanwhile
    }
  }
  return unlinked;
}
