// The part of `guardrun --help` that commander does not generate: examples, exit codes, environment; and the
// wording every subcommand's help shares.
import { EXIT } from '../errors.js';

/** Where the policy comes from without --policy (src/policy/load.ts): every help text says it in these words. */
export const POLICY_DEFAULT = '$GUARDRUN_POLICY, else the nearest guardrun.yaml from here up to the repository root, else the built-in default';

export const HELP_AFTER = `
Examples:
  guardrun key set openai                      store the real key (hidden prompt, or piped on stdin)
  guardrun -- node agent.js                    run an agent with a dummy key behind the guard
  guardrun --key-env OPENAI_API_KEY -- codex   in CI: the real key from guardrun's own environment
  guardrun --policy strict.yaml --ci -- npm test
  guardrun --sandbox -- codex                  no network but guardrun's proxy, no key store, no stored logins
  guardrun replay .guardrun/sessions/<file>.jsonl
  guardrun demo                                a guarded run against a local fake server (no key, no network)

Exit codes:
  the child's code, or 128+N when it died of signal N; 126/127 the command is not executable / not found
  ${EXIT.usage} usage error or nested run   ${EXIT.denied} --fail-on-deny and something was denied
  ${EXIT.keystore} no key or no keychain     ${EXIT.config} configuration (policy, upstream, session file, --sandbox)
  ${EXIT.internal} internal error (a bug)    ${EXIT.replayMismatch} replay: a broken chain, a changed decision or a divergence

Environment:
  GUARDRUN_POLICY               policy file when --policy is not given (else the nearest guardrun.yaml up to the repository root)
  GUARDRUN_KEYSTORE             key stores to try, in order: secret-service,kernel-keyring,macos-keychain,windows-credential,memory
  GUARDRUN_OPENAI_UPSTREAM      OpenAI upstream (default https://api.openai.com)
  GUARDRUN_ANTHROPIC_UPSTREAM   Anthropic upstream (default https://api.anthropic.com)
  HTTPS_PROXY / HTTP_PROXY      your own proxy: guardrun chains the child's other traffic through it (NO_PROXY honoured)
  CI                            set: never ask, deny what needs approval (as --ci)
  NO_COLOR / FORCE_COLOR        colours off / on

Docs: README.md and docs/ (policy, session format, security model), or guardrun <subcommand> --help.
`;
