// What a run of a command would do, without running it: the data behind `guardrun doctor`.
import type { Provider } from '../providers.js';
import { childEnv } from '../session/child-env.js';
import { runWithheld } from '../session/env-secrets.js';
import { proxyVariables } from '../proxy/egress/child-vars.js';
import { trustVariables } from '../proxy/intercept/trust-files.js';
import { HOOKS, inspectCommand, refusal, rewriteCommand, type InspectOptions } from './plan.js';
import { fillTemplate } from './table.js';
import type { Finding } from './types.js';

export const PORT_PLACEHOLDER = 'http://127.0.0.1:PORT';
export const KEY_PLACEHOLDER = '<session key>';

export interface RunPreview {
  /** `generic` (the SDK case), `ambiguous` (a script guardrun cannot rewrite), or the agent's id. */
  agent: string;
  agentName?: string;
  /** Wrappers looked through (`npx`, `env`, `sh -c`). */
  via: string[];
  /** The argv guardrun would start, with placeholders for the port and private files. */
  command: string[];
  /** Variables set in the child (dummy key and port as placeholders), sorted by name. */
  set: Array<[string, string]>;
  /** Variables of the current environment the child would not get. */
  removed: string[];
  /** Those of `removed` withheld because their values look like credentials (as the run's start note names them). */
  withheld: string[];
  /** Private files the run would create. */
  files: string[];
  findings: Finding[];
  /** Providers the agent needs and guardrun holds no key for. */
  missing: Provider[];
  /** What guardrun cannot see for this agent. */
  unseen: string[];
  /** Why the run would be refused (exit code, message, fix), or undefined when it would start guarded. */
  refused?: { exitCode: number; code: string; message: string; fix?: string };
}

/** What a preview needs beyond the agent inspection: the run's flags and the real keys (never shown). */
export interface PreviewOptions extends InspectOptions {
  /** The --key-env variables. */
  removeFromChildEnv?: string[];
  /** The real keys a run would hold: a variable holding a copy of one is withheld, as in a run. */
  realKeys?: string[];
  /** --pass-env names. */
  passEnv?: string[];
  /** Preview `--no-adapter`. */
  noAdapter?: boolean;
}

/** Previews `guardrun -- command`. Reads the agent's configuration files; writes nothing. */
export function previewRun(command: string[], o: PreviewOptions): RunPreview {
  const report = o.noAdapter ? { result: { kind: 'generic' as const }, findings: [], missing: [] } : inspectCommand(command, o);
  const realKeys = o.realKeys ?? [];
  // The same call as run-session.ts makes, on the same inputs.
  const withheld = runWithheld({ env: o.env, realKeys, passEnv: o.passEnv, removeFromChildEnv: o.removeFromChildEnv });
  const env = childEnv({
    parent: o.env, origin: PORT_PLACEHOLDER, dummyKey: KEY_PLACEHOLDER, sessionId: '<session>', providers: o.held,
    realKeys, remove: [...(o.removeFromChildEnv ?? []), ...withheld],
  });
  // The egress proxy and the session CA's trust files (made when the run starts), as every run gets them.
  Object.assign(env, proxyVariables(PORT_PLACEHOLDER, KEY_PLACEHOLDER), trustVariables('<private dir>/guardrun-ca.pem', '<private dir>/ca-bundle.pem'));
  let agent = report.result.kind === 'agent' ? report.result.detection.agent.id : report.result.kind;
  let agentName: string | undefined;
  let via: string[] = [];
  let run = command;
  const files: string[] = [];
  let unseen: string[] = [];
  if (report.result.kind === 'agent' && report.context) {
    const d = report.result.detection;
    agentName = d.agent.name;
    via = d.via;
    unseen = d.agent.unseen;
    for (const [name, value] of Object.entries(d.agent.envDefaults)) if (env[name] === undefined) env[name] = value;
    for (const [name, value] of Object.entries(d.agent.env)) env[name] = fillTemplate(value, PORT_PLACEHOLDER, KEY_PLACEHOLDER);
    for (const name of d.agent.unset) delete env[name];
    const described = HOOKS[d.agent.id].describe(report.context);
    run = rewriteCommand(command, d, described.args);
    files.push(...described.lines);
  } else if (report.result.kind === 'ambiguous') {
    agent = 'ambiguous';
    agentName = report.result.agents.map((a) => a.name).join(' / ');
  }
  const set = Object.entries(env)
    .filter(([name, value]) => value !== undefined && o.env[name] !== value)
    .map(([name, value]) => [name, value as string] as [string, string])
    .sort(([a], [b]) => a.localeCompare(b));
  const removed = Object.keys(o.env).filter((name) => env[name] === undefined).sort();
  const why = refusal(report, false);
  return {
    agent, ...(agentName ? { agentName } : {}), via, command: run, set, removed, withheld: withheld.filter((name) => removed.includes(name)), files,
    findings: report.findings, missing: report.missing, unseen,
    ...(why ? { refused: { exitCode: why.exitCode, code: why.code, message: why.message, ...(why.fix ? { fix: why.fix } : {}) } } : {}),
  };
}
