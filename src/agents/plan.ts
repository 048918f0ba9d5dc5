// A command checked against the adapter table before the run, and turned into the child's argv and
// environment once the proxy listens. The library side of `guardrun run` and `guardrun doctor`.
import { homedir } from 'node:os';
import { GuardrunError } from '../errors.js';
import type { Provider } from '../providers.js';
import { claudeHooks } from './claude.js';
import { codexHooks } from './codex.js';
import { detectAgent } from './detect.js';
import { joinWords } from './shell-words.js';
import { fillTemplate } from './table.js';
import type { AgentHooks, AgentId, ChildPlan, DetectResult, Detection, Finding, InspectContext, PlanContext } from './types.js';

export const HOOKS: Record<AgentId, AgentHooks> = { codex: codexHooks, claude: claudeHooks };

export interface AgentReport {
  result: DetectResult;
  /** What the agent's configuration and environment say; see `Finding`. */
  findings: Finding[];
  /** Providers the detected agent needs and guardrun holds no key for. */
  missing: Provider[];
  /** The context the plan will be built in (undefined unless an agent was detected). */
  context?: InspectContext;
}

export interface InspectOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Providers guardrun holds a key for in this run. */
  held: Provider[];
  /** Default: `env.HOME`, else the OS's idea of it. */
  home?: string;
  etc?: InspectContext['etc'];
}

/** Detects the agent in `command` and reads its configuration. Reads files; writes nothing. */
export function inspectCommand(command: string[], o: InspectOptions): AgentReport {
  const result = detectAgent(command);
  if (result.kind === 'generic') return { result, findings: [], missing: [] };
  if (result.kind === 'ambiguous') {
    const findings: Finding[] = [];
    for (const agent of result.agents) {
      if (agent.id === 'codex') {
        findings.push({ level: 'bypass', message: `${result.reason}; guardrun cannot give Codex inside it the option that points it at guardrun, and Codex ignores OPENAI_BASE_URL`, fix: 'start Codex directly (guardrun -- codex …) or as the whole script (sh -c \'exec codex …\')' });
      } else {
        findings.push({ level: 'unseen', message: `${result.reason}; ${agent.name} inside it gets only the environment (ANTHROPIC_BASE_URL and the session key), not guardrun's settings layer` });
      }
    }
    const missing = [...new Set(result.agents.flatMap((a) => a.providers))].filter((p) => !o.held.includes(p));
    return { result, findings, missing };
  }
  const detection = result.detection;
  const context: InspectContext = {
    detection,
    env: { ...o.env, ...detection.wrapperEnv },
    cwd: o.cwd,
    home: o.home ?? (o.env.HOME || homedir()),
    ...(o.etc ? { etc: o.etc } : {}),
  };
  const findings = HOOKS[detection.agent.id].inspect(context);
  const missing = detection.agent.providers.filter((p) => !o.held.includes(p));
  return { result, findings, missing, context };
}

const NO_KEY_EFFECT: Record<Provider, string> = {
  openai: 'it would have no key that works, or use a stored login around guardrun',
  anthropic: 'it would reach Anthropic with its own login, around guardrun',
};

/** Why a run must not start, or undefined. `allowUnguarded` (--allow-unguarded) lifts every refusal. */
export function refusal(report: AgentReport, allowUnguarded: boolean): GuardrunError | undefined {
  if (allowUnguarded) return undefined;
  const name = report.result.kind === 'agent' ? report.result.detection.agent.name : report.result.kind === 'ambiguous' ? report.result.agents.map((a) => a.name).join(' / ') : 'the command';
  if (report.missing.length > 0) {
    const p = report.missing[0];
    return new GuardrunError(
      'E_NO_KEY',
      `${name} needs an ${p} key and guardrun holds none for this run: ${NO_KEY_EFFECT[p]}`,
      `store one with \`guardrun key set ${p}\`, or pass --key-env ${p}=VARIABLE; --allow-unguarded runs it anyway, unguarded`,
    );
  }
  const stop = report.findings.find((f) => f.level === 'bypass' || f.level === 'blocked');
  if (!stop) return undefined;
  const fix = `${stop.fix ? `${stop.fix}; ` : ''}\`guardrun doctor -- <command>\` lists everything guardrun found; --allow-unguarded runs it anyway`;
  return new GuardrunError('E_UNGUARDED', `${name}: ${stop.message}`, fix);
}

/** The child's argv with the agent's new arguments in place (inside the `sh -c` script when there is one). */
export function rewriteCommand(command: string[], d: Detection, agentArgs: string[]): string[] {
  if (!d.shell) return [...command.slice(0, d.insertAt), ...agentArgs];
  const out = [...command];
  out[d.shell.index] = joinWords([...d.shell.words.slice(0, d.shell.insertAt), ...agentArgs]);
  return out;
}

/** Builds the child's plan for a detected agent; creates its private files (removed by `cleanup`). */
export function planChild(command: string[], ctx: InspectContext, plan: PlanContext): ChildPlan {
  const { agent } = ctx.detection;
  const prepared = HOOKS[agent.id].prepare(ctx, plan);
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(agent.envDefaults)) if (plan.env[name] === undefined) env[name] = value;
  for (const [name, value] of Object.entries(agent.env)) env[name] = fillTemplate(value, plan.origin, plan.dummyKey);
  for (const name of agent.unset) env[name] = undefined;
  Object.assign(env, prepared.env);
  return { command: rewriteCommand(command, ctx.detection, prepared.args), env, cleanup: prepared.cleanup };
}
