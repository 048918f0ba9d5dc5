// The shell script that runs inside the sandbox just before the agent: it points every proxy variable at
// guardrun with the session token (the sandbox runtime sets them to its relay without credentials), leaves
// the kernel keyring the child inherited (Linux: a new, empty session keyring, so a key guardrun's
// keystore keeps there cannot be read), and execs the command. It runs under bash (the runtime's `eval`).

/** Marks the agent's process (and its descendants) so guardrun can deliver signals to it inside the sandbox. */
export const SANDBOXED_MARK = 'GUARDRUN_SANDBOXED';
/** The proxy URL, with the token, as the script receives it (removed before the command runs). */
export const PROXY_VARIABLE = 'GUARDRUN_SANDBOX_PROXY';

const PROXY_NAMES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'GRPC_PROXY', 'grpc_proxy', 'DOCKER_HTTP_PROXY', 'DOCKER_HTTPS_PROXY'];

/** Single-quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface InnerScriptOptions {
  command: string[];
  /** `127.0.0.1,localhost,::1` */
  noProxy: string;
  /** Linux: join a new session keyring first (needs keyctl, from keyutils). */
  newKeyring: boolean;
  /** The sandbox's relay port for ssh's ProxyCommand (git over ssh), when there is one inside (Linux: 3128). */
  sshProxyPort?: number;
}

export function innerScript(o: InnerScriptOptions): string {
  const lines = [
    `: "\${${PROXY_VARIABLE}:?guardrun: the sandbox lost its proxy setting}"`,
    `export ${PROXY_NAMES.map((n) => `${n}="$${PROXY_VARIABLE}"`).join(' ')} NO_PROXY=${shellQuote(o.noProxy)} no_proxy=${shellQuote(o.noProxy)}`,
  ];
  if (o.sshProxyPort !== undefined) {
    // git over ssh: a CONNECT through guardrun with the proxy credentials (the runtime's own command has none).
    lines.push(`_gr_auth="\${${PROXY_VARIABLE}#*://}"; _gr_auth="\${_gr_auth%@*}"`);
    lines.push(`export GIT_SSH_COMMAND="ssh -o ControlMaster=no -o ControlPath=none -o ProxyCommand='socat - PROXY:127.0.0.1:%h:%p,proxyport=${o.sshProxyPort},proxyauth=$_gr_auth'"`);
    lines.push('unset _gr_auth');
  }
  lines.push(`unset ${PROXY_VARIABLE}`);
  if (o.newKeyring) {
    // KEYCTL_SESSION_TO_PARENT: this shell (and so the command it execs) gets a new, empty session keyring.
    lines.push(`keyctl new_session >/dev/null 2>&1 || { echo 'guardrun: the sandbox could not leave the kernel keyring (keyctl new_session failed); not starting the command' >&2; exit 78; }`);
  }
  lines.push(`export ${SANDBOXED_MARK}=1`);
  lines.push(`exec ${o.command.map(shellQuote).join(' ')}`);
  return lines.join('\n');
}
