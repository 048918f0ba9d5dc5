// The shapes shared by agent detection, the per-agent plans and `guardrun doctor`.
import type { Provider } from '../providers.js';

export type AgentId = 'codex' | 'claude';

/**
 * One known agent, as data: how to recognise its command and how to point it at the proxy.
 * `{origin}` in a value stands for `http://127.0.0.1:PORT`, `{dummy}` for the session's dummy key.
 */
export interface AgentSpec {
  id: AgentId;
  /** Human name, e.g. "Codex CLI". */
  name: string;
  /** Executable names (basename without `.exe`/`.js`/`.cmd`). */
  programs: string[];
  /** npm package names, for `npx`, `pnpm dlx`, `bunx`, `yarn dlx` and `node …/<package>/…`. */
  packages: string[];
  /** Providers whose key the agent needs; without one it would go around the proxy (or fail). */
  providers: Provider[];
  /** Variables set in the child on top of the generic ones. */
  env: Record<string, string>;
  /** Variables removed from the child (after the generic removals). */
  unset: string[];
  /** Variables set only when the user has not set them (e.g. switches that stop traffic around the proxy). */
  envDefaults: Record<string, string>;
  /** Where the agent's own documentation for these settings lives. */
  docs: string;
  /** What guardrun cannot see or steer for this agent (shown by `guardrun doctor`). */
  unseen: string[];
}

/** How a command was recognised: the wrappers peeled off and where the agent's own arguments start. */
export interface Detection {
  agent: AgentSpec;
  /** Wrappers seen from the outside in, e.g. `['env', 'npx']` or `['sh -c']`. */
  via: string[];
  /** The agent's own arguments (after its program, package or script). */
  args: string[];
  /** Index in the original argv where the agent's arguments start (an insertion point for per-run options). */
  insertAt: number;
  /** Set when the agent runs inside `sh -c 'SCRIPT'`: which argv element holds SCRIPT and the script's words. */
  shell?: { index: number; words: string[]; insertAt: number };
  /** Variables a wrapper (`env VAR=…`) sets for the agent. */
  wrapperEnv: Record<string, string>;
}

/** What detection concluded about a command. */
export type DetectResult =
  | { kind: 'agent'; detection: Detection }
  /** A shell script that mentions an agent but is not one simple command: guardrun cannot rewrite it. */
  | { kind: 'ambiguous'; agents: AgentSpec[]; reason: string }
  | { kind: 'generic' };

/**
 * Something guardrun found in the agent's configuration or environment.
 * - `bypass`: the agent would reach a provider around the proxy; the run is refused (unless `--allow-unguarded`).
 * - `blocked`: the agent cannot work under guardrun as configured; the run is refused (unless `--allow-unguarded`).
 * - `note`: worth knowing, changes nothing.
 * - `unseen`: something guardrun cannot inspect.
 */
export interface Finding {
  level: 'bypass' | 'blocked' | 'note' | 'unseen';
  message: string;
  /** What to do about it. */
  fix?: string;
}

/** What a plan needs from the running session. */
export interface PlanContext {
  /** `http://127.0.0.1:PORT` of the proxy. */
  origin: string;
  dummyKey: string;
  sessionId: string;
  /** The child's environment as guardrun would otherwise give it (after the generic removals and additions). */
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** How the child is started instead of the plain command. */
export interface ChildPlan {
  command: string[];
  /** Variables to set (a string) or remove (`undefined`) in the child's environment. */
  env: Record<string, string | undefined>;
  /** Undoes what the plan made on disk (synchronous, so the crash path can call it); never throws. */
  cleanup(): void;
}

/** What an agent's hooks read: the detection, the environment the agent would see, where it runs. */
export interface InspectContext {
  detection: Detection;
  /** guardrun's environment plus what a wrapper (`env VAR=…`) adds: what the agent would read. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The user's home directory. */
  home: string;
  /** System configuration directories, replaceable in tests. */
  etc?: { codex?: string; claudeManaged?: string };
}

/** The agent-specific part of a plan: its new own arguments, variables, and what to undo afterwards. */
export interface PreparedAgent {
  /** Replaces `detection.args`. */
  args: string[];
  env: Record<string, string | undefined>;
  cleanup(): void;
}

/** Per-agent logic beyond the table's data. */
export interface AgentHooks {
  /** Reads the agent's configuration (never writes it) for anything that sends it around the proxy. */
  inspect(ctx: InspectContext): Finding[];
  /** Builds the per-run settings (may create private files, removed by `cleanup`). */
  prepare(ctx: InspectContext, plan: PlanContext): PreparedAgent;
  /** The per-run settings as `doctor` shows them, without creating anything: the agent's new arguments
   * (with `http://127.0.0.1:PORT` and placeholder paths) and a line per private file or variable. */
  describe(ctx: InspectContext): { args: string[]; lines: string[] };
}
