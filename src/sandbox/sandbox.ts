// `guardrun --sandbox`: the child runs with no network of its own (its only way out is guardrun's proxy,
// which holds the egress policy and intercepts model hosts into the guard) and cannot read guardrun's key
// store or agents' stored logins. Built on @anthropic-ai/sandbox-runtime (bubblewrap + seccomp on Linux,
// sandbox-exec on macOS), told to use guardrun's proxy instead of its own: every decision stays guardrun's.
// Chosen at start-up, like the keychain: when it cannot be set up, guardrun stops (exit 78) with the reason
// and the fix; it never runs the command unsandboxed instead.
import { spawnSync } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { GuardrunError } from '../errors.js';
import { findCommand } from '../session/find-command.js';
import { innerScript, PROXY_VARIABLE } from './inner-script.js';
import { deniedReads, protectedPaths, type ProtectedPath } from './protected-paths.js';
import { sandboxedProcess } from './signal-target.js';

/** Inside the Linux sandbox, the runtime's relay to the host proxy listens here (its network namespace's own loopback). */
export const LINUX_RELAY_PORT = 3128;

export interface SandboxOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** `--sandbox-allow-read` paths: protected paths the child may read after all. */
  allowRead: string[];
  platform?: NodeJS.Platform;
}

export interface Sandbox {
  readonly kind: 'bubblewrap' | 'sandbox-exec';
  /** The paths the child cannot read. */
  readonly denied: ProtectedPath[];
  /** Where the child reaches guardrun (base URL and proxy) when guardrun listens on `port`. */
  childOrigin(port: number): string;
  /**
   * Wraps `command` to run sandboxed with `env` (which must hold the proxy URL with the token: see
   * PROXY_VARIABLE) and guardrun's proxy on `port`; `sessionFile` is not writable inside.
   * Rejects with E_SANDBOX when the runtime refuses.
   */
  wrap(command: string[], env: NodeJS.ProcessEnv, port: number, sessionFile: string): Promise<{ command: string[]; env: NodeJS.ProcessEnv }>;
  /** Sends `sig` to the sandboxed agent itself (not the sandbox's wrapper); false when it is not there. */
  deliver(sig: NodeJS.Signals, childPid: number): boolean;
  /** Stops the runtime's relays. */
  close(): Promise<void>;
}

type Runtime = typeof import('@anthropic-ai/sandbox-runtime');

/**
 * Checks that a sandbox can run here and returns it (the runtime starts at `wrap`). Throws E_SANDBOX, naming
 * what is missing and how to fix it: an unsupported platform, missing packages (Linux: bubblewrap, socat,
 * ripgrep, keyutils), or user namespaces the kernel refuses.
 */
export async function openSandbox(o: SandboxOptions): Promise<Sandbox> {
  const platform = o.platform ?? process.platform;
  if (platform !== 'linux' && platform !== 'darwin') {
    throw new GuardrunError('E_SANDBOX', `--sandbox is not available on ${platform}`, 'run without --sandbox (guardrun then guards model calls through its proxy, but cannot stop other direct connections), or use Linux or macOS');
  }
  if (platform === 'linux') checkLinuxTools(o.env, o.cwd);
  let runtime: Runtime;
  try {
    runtime = await import('@anthropic-ai/sandbox-runtime');
  } catch (error) {
    throw new GuardrunError('E_SANDBOX', `the sandbox runtime (@anthropic-ai/sandbox-runtime) could not be loaded: ${(error as Error).message}`, 'reinstall guardrun (npm ci), which installs it', { cause: error });
  }
  const deps = runtime.SandboxManager.checkDependencies();
  if (deps.errors.length > 0) {
    throw new GuardrunError('E_SANDBOX', `the sandbox cannot start: ${deps.errors.join('; ')}`, platform === 'linux' ? LINUX_FIX : 'see docs/security.md (sandbox)');
  }
  if (platform === 'linux') checkUserNamespaces(o.env, o.cwd);
  const home = o.env.HOME || homedir();
  const denied = deniedReads(protectedPaths(o.env, home), o.allowRead, o.cwd, home);
  const kind = platform === 'linux' ? 'bubblewrap' : 'sandbox-exec';
  let started = false;
  return {
    kind,
    denied,
    childOrigin: (port) => (platform === 'linux' ? `http://127.0.0.1:${LINUX_RELAY_PORT}` : `http://127.0.0.1:${port}`),
    async wrap(command, env, port, sessionFile) {
      const manager = runtime.SandboxManager;
      try {
        if (!started) {
          await manager.initialize({
            // guardrun's proxy serves both HTTP CONNECT and plain requests; the runtime starts no proxy of its own.
            network: { allowedDomains: [], deniedDomains: [], httpProxyPort: port, socksProxyPort: port },
            filesystem: {
              denyRead: denied.map((d) => d.path),
              allowWrite: [o.cwd, tmpdir(), home],
              // The session record is written by guardrun from outside; the agent may not rewrite it (the
              // file exists by now, and a file mounted over cannot be removed or renamed either).
              denyWrite: [sessionFile],
            },
          }, undefined, false);
          started = true;
        }
        const script = innerScript({ command, noProxy: '127.0.0.1,localhost,::1', newKeyring: platform === 'linux', sshProxyPort: platform === 'linux' ? LINUX_RELAY_PORT : undefined });
        const wrapped = await manager.wrapWithSandboxArgv(script, undefined, undefined, undefined, o.cwd);
        if (env[PROXY_VARIABLE] === undefined) throw new Error(`${PROXY_VARIABLE} is not set`);
        return { command: wrapped.argv, env };
      } catch (error) {
        if (error instanceof GuardrunError) throw error;
        throw new GuardrunError('E_SANDBOX', `the sandbox could not be set up: ${(error as Error).message}`, platform === 'linux' ? LINUX_FIX : 'see docs/security.md (sandbox)', { cause: error });
      }
    },
    deliver: (sig, childPid) => sandboxedProcess(childPid, sig),
    async close() {
      if (started) await runtime.SandboxManager.reset().catch(() => undefined);
    },
  };
}

const LINUX_FIX = 'install the sandbox packages (Debian/Ubuntu: apt-get install bubblewrap socat ripgrep keyutils) and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0)';

/** keyctl leaves the kernel keyring inside the sandbox; the runtime checks bwrap, socat and rg itself. */
function checkLinuxTools(env: NodeJS.ProcessEnv, cwd: string): void {
  const missing = [['bwrap', 'bubblewrap'], ['socat', 'socat'], ['rg', 'ripgrep'], ['keyctl', 'keyutils']].filter(([cmd]) => !findCommand(cmd, env, cwd).ok);
  if (missing.length > 0) {
    throw new GuardrunError('E_SANDBOX', `the sandbox needs ${missing.map(([cmd, pkg]) => `${cmd} (${pkg})`).join(', ')}, not found on PATH`, `install them (Debian/Ubuntu: apt-get install ${missing.map(([, pkg]) => pkg).join(' ')}), or run without --sandbox`);
  }
}

/** bubblewrap needs a user and a network namespace; some kernels and containers refuse them. */
function checkUserNamespaces(env: NodeJS.ProcessEnv, cwd: string): void {
  const bwrap = findCommand('bwrap', env, cwd);
  if (!bwrap.ok) return;
  const probe = spawnSync(bwrap.path, ['--unshare-user', '--unshare-net', '--ro-bind', '/', '/', 'true'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
  if (probe.status === 0) return;
  const why = (probe.stderr ?? '').split('\n').find((l) => l.trim()) ?? probe.error?.message ?? `exit ${probe.status}`;
  throw new GuardrunError('E_SANDBOX', `the sandbox cannot start: bubblewrap could not create a user and network namespace (${why.trim().slice(0, 200)})`, LINUX_FIX);
}
