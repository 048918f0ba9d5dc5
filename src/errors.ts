// Every error guardrun reports itself is built here: one code, one message, one fix line, one exit code.

/** Exit codes for guardrun's own failures (the child's code is passed through otherwise). */
export const EXIT = {
  usage: 64,
  internal: 70,
  keystore: 77,
  config: 78,
  notExecutable: 126,
  notFound: 127,
  /** `--fail-on-deny`: the child succeeded but guardrun denied something. */
  denied: 65,
  /** `replay` found a difference, a broken chain, or a request with no recorded match. */
  replayMismatch: 1,
} as const;

export type ErrorCode =
  | 'E_USAGE'
  | 'E_NESTED'
  | 'E_NO_KEY'
  | 'E_KEYSTORE'
  | 'E_KEY_INPUT'
  | 'E_CONFIG'
  | 'E_POLICY'
  | 'E_SESSION_FILE'
  | 'E_SESSION_FORMAT'
  | 'E_SESSION_VERSION'
  | 'E_NOT_FOUND'
  | 'E_NOT_EXECUTABLE'
  | 'E_UNGUARDED'
  | 'E_SANDBOX'
  | 'E_INTERNAL';

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  E_USAGE: EXIT.usage,
  E_NESTED: EXIT.usage,
  E_NO_KEY: EXIT.keystore,
  E_KEYSTORE: EXIT.keystore,
  E_KEY_INPUT: EXIT.usage,
  E_CONFIG: EXIT.config,
  E_POLICY: EXIT.config,
  E_SESSION_FILE: EXIT.config,
  E_SESSION_FORMAT: EXIT.config,
  E_SESSION_VERSION: EXIT.config,
  E_NOT_FOUND: EXIT.notFound,
  E_NOT_EXECUTABLE: EXIT.notExecutable,
  /** The agent's own configuration would send it around the proxy (configuration, like E_CONFIG). */
  E_UNGUARDED: EXIT.config,
  /** `--sandbox` could not be set up (missing packages, no user namespaces): never run unsandboxed instead. */
  E_SANDBOX: EXIT.config,
  E_INTERNAL: EXIT.internal,
};

export class GuardrunError extends Error {
  readonly code: ErrorCode;
  readonly fix: string | undefined;
  readonly exitCode: number;
  /**
   * The message was built with every value it quotes already masked (e.g. a policy error, whose key paths like
   * `secrets.outbound: expected …` would otherwise read as a labelled secret): printers then mask only key-shaped
   * values in it, not labels. Default false: the whole message is treated as untrusted text.
   */
  readonly masked: boolean;

  constructor(code: ErrorCode, message: string, fix?: string, options?: { cause?: unknown; masked?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GuardrunError';
    this.code = code;
    this.fix = fix;
    this.exitCode = EXIT_BY_CODE[code];
    this.masked = options?.masked ?? false;
  }
}

export function isGuardrunError(error: unknown): error is GuardrunError {
  return error instanceof GuardrunError;
}

/** Wraps anything unexpected as an internal error (exit 70) that says it is a bug. */
export function toGuardrunError(error: unknown): GuardrunError {
  if (isGuardrunError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new GuardrunError(
    'E_INTERNAL',
    `internal error: ${detail}`,
    'this is a bug in guardrun; please report it with the command you ran and this message',
    { cause: error },
  );
}
