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
// Replay: read a session file back, check its chain, re-check it against a policy, re-run an agent offline.
export { readSession, parseSession } from './recording/reader.js';
export type { RecordedSession, ReadEvent, RawLine, LineProblem } from './recording/reader.js';
export { verifyChain } from './recording/verify-chain.js';
export type { ChainReport, ChainBreak } from './recording/verify-chain.js';
export { MIGRATIONS, migrateEvents } from './recording/migrations.js';
export type { Migration } from './recording/migrations.js';
export { describeSession } from './replay/show.js';
export type { ShowDocument, ExchangeView, OnlyFilter } from './replay/show.js';
export { verifySession } from './replay/verify-policy.js';
export type { VerifyResult, DecisionComparison, DecisionSummary } from './replay/verify-policy.js';
export { rerunSession, startRerun } from './replay/rerun.js';
export type { RerunOptions, RerunResult, RunningRerun } from './replay/rerun.js';
export type { Divergence } from './replay/replay-pool.js';
export { loadPolicy } from './policy/load.js';
export type { LoadedPolicy } from './policy/load.js';
export { applyCostOverrides } from './policy/overrides.js';
export type { CostOverrides } from './policy/overrides.js';
// Prices: the policy's own over the bundled @pydantic/genai-prices data, else a guess; what a usage costs.
export { createPriceBook } from './cost/price-book.js';
export type { PriceBook, PriceQuote, Priced } from './cost/price-book.js';
export { describePrice } from './cost/price-view.js';
export type { PriceView } from './cost/price-view.js';
export { PRICE_DATA, PRICE_DATA_SOURCE, preloadPriceData } from './cost/price-data.js';
// Agent adapters: recognise Codex CLI / Claude Code in a command, check their configuration, plan the child.
export { AGENTS } from './agents/table.js';
export { detectAgent } from './agents/detect.js';
export { inspectCommand, planChild, refusal } from './agents/plan.js';
export type { AgentReport, InspectOptions } from './agents/plan.js';
export { previewRun } from './agents/describe.js';
export type { RunPreview } from './agents/describe.js';
export type { AgentSpec, AgentId, ChildPlan, DetectResult, Detection, Finding, PlanContext } from './agents/types.js';
// Egress: the model hosts guardrun intercepts, the egress summary of a run, and the sandbox (--sandbox).
export { MODEL_HOSTS } from './proxy/intercept/model-hosts.js';
export type { ModelHostEntry } from './proxy/intercept/model-hosts.js';
export type { EgressSummary } from './proxy/egress/egress-log.js';
export { openSandbox } from './sandbox/sandbox.js';
export type { Sandbox, SandboxOptions } from './sandbox/sandbox.js';
