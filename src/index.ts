// guardrun as a library: no argv, no printing, no exiting. The CLI in src/cli/ is a thin shell around this.
export { runSession, startSession } from './session/run-session.js';
export type { SessionOptions, SessionResult, RunningSession } from './session/run-session.js';
export type { SessionStats, GuardSetup } from './session/session-guard.js';
export { REMOVED_VARIABLES } from './session/child-env.js';
export { resolveKeys, parseKeyEnv } from './secrets/resolve-keys.js';
export { openKeystore } from './secrets/open-keystore.js';
export type { Keystore, HeldKey } from './secrets/keystore.js';
export { GuardrunError, EXIT } from './errors.js';
export type { ErrorCode } from './errors.js';
export { PROVIDERS } from './providers.js';
export type { Provider } from './providers.js';
export * from './recording/format.js';
