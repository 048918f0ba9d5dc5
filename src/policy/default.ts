// The built-in policy: used when there is no guardrun.yaml, and what `guardrun init` writes.
// It spells out the schema defaults, so leaving a key out of your own file means the same as this.
import type { Policy } from './schema.js';

export const DEFAULT_POLICY_SOURCE = 'built-in default';

export const DEFAULT_POLICY_YAML = `# guardrun policy — reference: docs/policy.md
# A key you leave out takes the value shown here. Lists replace the default list; they are not merged.
version: 1

endpoints:
  # "METHOD /path" globs (* = anything, ? = one character); everything else is denied.
  # WS: the client events of a WebSocket connection (Responses WebSocket mode, Realtime).
  allow:
    - POST /v1/chat/completions
    - POST /v1/responses
    - WS /v1/responses
    - WS /v1/realtime
    - POST /v1/embeddings
    - GET /v1/models
    - GET /v1/models/*
    - POST /anthropic/v1/messages
    - POST /anthropic/v1/messages/count_tokens
    - GET /anthropic/v1/models
    - GET /anthropic/v1/models/*
  deny: []

models:
  # Globs on the model name, case-insensitive. deny wins over allow.
  allow: ["*"]
  deny: []
  # A request to a model endpoint whose model cannot be determined: allow | ask | deny
  unknown: deny

cost:
  # Ask before a request estimated above this many USD (null: never ask). --approve-over USD overrides it.
  approve_over_usd: 0.50
  # Ask when the session's spend, plus the estimates of requests still in flight, plus this request's
  # estimate would pass this (null: no budget). guardrun --budget USD overrides it for one run.
  session_budget_usd: 5.00
  # Output tokens a request is estimated at (its own max_tokens when that is lower).
  assume_output_tokens: 4096
  # Count input tokens with the tokenizer only when a free upper bound could cross a limit (when-needed),
  # or for every request, so each decision records an exact estimate (always; costs CPU on long contexts).
  count_tokens: when-needed
  # A model with no price in the bundled data nor below: guess (price it as the most expensive model of its
  # family, so it still counts towards the limits), allow (pass, not held by its estimate), ask or deny.
  unknown_model: guess
  # Your own prices, USD per million tokens, for models the bundled data does not know or prices differently
  # (fine-tuned models, private deployments, models newer than this guardrun). The first matching glob wins.
  prices: {}
  #  "ft:gpt-4.1-mini:*": { input: 0.8, cached_input: 0.2, output: 3.2 }
  #  "my-deployment-*": { input: 1, output: 4, cache_write: 1.25 }

approval:
  # Seconds to wait for an answer before denying. Without a terminal (CI) every ask is denied.
  timeout_s: 120

upstream:
  # Seconds to wait for the start of an answer (its status line) from the provider before ending the exchange
  # with 504 guardrun_upstream_timeout, which SDKs retry. Streamed requests: providers answer at once and stream.
  first_byte_timeout_s: 300
  # Requests that do not stream: a long reasoning answer only starts when it is done (the SDKs wait 600 s).
  first_byte_timeout_unstreamed_s: 600

secrets:
  # A secret found in a request: deny | ask | redact (replace it, then send) | allow
  outbound: redact
  # Mask secrets in answers before the agent and the session file see them.
  mask_responses: true
  # A request part guardrun cannot read for secrets (a binary body, a binary file in a multipart upload):
  # deny | ask | allow. Not consulted with outbound: allow.
  uninspectable: ask
  # Your own secret formats, in addition to the built-in detectors.
  patterns: []
  #  - { id: acme-token, regex: "ACME-[0-9]{8}" }

rules: []
  # Checked against what goes to the model (on: request) or the tool calls it returns (on: response).
  # Regexes are JavaScript regexes; a leading (?i) makes one case-insensitive.
  # - id: no-prod-credentials
  #   on: request
  #   match: { text: "(?i)production database password" }   # or words: [a, b]
  #   action: deny                                          # deny | ask | allow
  #   message: Do not send production credentials to the model.
  # - id: destructive-shell
  #   on: response
  #   match: { tool: "(?i)^(shell|bash|exec|exec_command|local_shell)$", arguments: "rm\\\\s+-rf|mkfs|dd\\\\s+if=" }
  #   action: ask

network:
  # What the agent reaches other than the model APIs, through guardrun's egress proxy (model hosts such as
  # api.openai.com are intercepted and guarded like base-URL calls, whatever these lists say).
  # Host globs with an optional port: "*.github.com", "registry.npmjs.org:443", "[::1]:8080". deny wins.
  # Loopback and link-local addresses are refused unless allow names the address itself ("127.0.0.1:8080").
  allow: []
  deny: []
  # A host in neither list: allow | ask | deny (in CI an ask is a deny)
  unknown: allow
`;

// Spelled out rather than parsed at start-up: yaml and zod cost ~90 ms to load, and most runs have no policy
// file. default.test.ts proves this equals both the YAML above and an empty `version: 1` file.
export const DEFAULT_POLICY: Policy = {
  version: 1,
  endpoints: {
    allow: [
      'POST /v1/chat/completions', 'POST /v1/responses', 'WS /v1/responses', 'WS /v1/realtime', 'POST /v1/embeddings', 'GET /v1/models', 'GET /v1/models/*',
      'POST /anthropic/v1/messages', 'POST /anthropic/v1/messages/count_tokens', 'GET /anthropic/v1/models', 'GET /anthropic/v1/models/*',
    ],
    deny: [],
  },
  models: { allow: ['*'], deny: [], unknown: 'deny' },
  cost: { approve_over_usd: 0.5, session_budget_usd: 5, assume_output_tokens: 4096, unknown_model: 'guess', count_tokens: 'when-needed', prices: {} },
  approval: { timeout_s: 120 },
  upstream: { first_byte_timeout_s: 300, first_byte_timeout_unstreamed_s: 600 },
  secrets: { outbound: 'redact', mask_responses: true, uninspectable: 'ask', patterns: [] },
  rules: [],
  network: { allow: [], deny: [], unknown: 'allow' },
};
