// Which known agent a command starts, looking through the usual wrappers: `env VAR=… cmd`, the package
// runners (`npx`, `npm exec`, `pnpm dlx`, `pnpm exec`, `bunx`, `bun x`, `yarn dlx`), `node …/codex.js`, and
// `sh -c 'one simple command'`. Pure: reads nothing but the argv.
import { splitSimpleCommand } from './shell-words.js';
import { AGENTS } from './table.js';
import type { AgentSpec, DetectResult, Detection } from './types.js';

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash']);
const NODES = new Set(['node', 'nodejs', 'bun']);
/** Options of the package runners that take a value (npm exec, npx, pnpm dlx, yarn dlx, bunx). */
const RUNNER_VALUE_OPTIONS = new Set(['-p', '--package', '--registry', '--prefix', '--cache', '--userconfig', '-w', '--workspace', '--node-options', '--loglevel', '--shell', '-C', '--dir']);
/** Node options that take a value (node(1)). */
const NODE_VALUE_OPTIONS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--env-file', '--conditions', '-C', '--title', '--stack-size', '--max-old-space-size', '--input-type']);
/** Words a shell script may put before the program without changing what runs. */
const SCRIPT_PREFIXES = new Set(['exec', 'command']);

/** The program's bare name: basename without directories, `.exe`, `.cmd`, `.js` and the like, lower case. */
export function programName(arg: string): string {
  const base = arg.replace(/\\/g, '/').split('/').pop() ?? arg;
  return base.replace(/\.(exe|cmd|bat|ps1|js|cjs|mjs)$/i, '').toLowerCase();
}

/** The package name of a runner spec: `@openai/codex@0.171.0` → `@openai/codex`, `codex@latest` → `codex`. */
export function packageName(spec: string): string {
  const at = spec.lastIndexOf('@');
  return at > 0 ? spec.slice(0, at) : spec;
}

function byProgram(name: string): AgentSpec | undefined {
  return AGENTS.find((a) => a.programs.includes(name));
}

function byPackageOrProgram(spec: string): AgentSpec | undefined {
  const pkg = packageName(spec);
  return AGENTS.find((a) => a.packages.includes(pkg)) ?? byProgram(programName(pkg));
}

/** A script path inside an agent's package (`…/node_modules/@openai/codex/bin/codex.js`) or named like its program. */
function byScript(path: string): AgentSpec | undefined {
  const normal = path.replace(/\\/g, '/');
  return AGENTS.find((a) => a.packages.some((p) => normal.includes(`/${p}/`))) ?? byProgram(programName(path));
}

/**
 * Detects the agent `command` starts. `generic` when it is none of the known ones (the SDK case);
 * `ambiguous` when a shell script names one but is not a single simple command guardrun could rewrite.
 */
export function detectAgent(command: string[]): DetectResult {
  return peel(command, { via: [], wrapperEnv: {} });
}

interface PeelState {
  via: string[];
  wrapperEnv: Record<string, string>;
  inShell?: boolean;
}

function found(agent: AgentSpec, argv: string[], insertAt: number, s: PeelState): DetectResult {
  const detection: Detection = { agent, via: s.via, args: argv.slice(insertAt), insertAt, wrapperEnv: s.wrapperEnv };
  return { kind: 'agent', detection };
}

function peel(argv: string[], s: PeelState): DetectResult {
  if (argv.length === 0) return { kind: 'generic' };
  const prog = programName(argv[0]);
  if (prog === 'env') return peelEnv(argv, s);
  const runnerAt = runnerArgsStart(prog, argv);
  if (runnerAt !== undefined) return peelRunner(argv, runnerAt, { ...s, via: [...s.via, runnerLabel(prog, argv)] });
  if (NODES.has(prog)) return peelNode(argv, s);
  if (SHELLS.has(prog) && !s.inShell) return peelShell(argv, s);
  if (s.inShell && SCRIPT_PREFIXES.has(argv[0]) && argv.length > 1) return shift(peel(argv.slice(1), s), 1);
  const agent = byProgram(prog);
  return agent ? found(agent, argv, 1, s) : { kind: 'generic' };
}

/** Moves a detection's positions right by `n` (a word was peeled off in front). */
function shift(result: DetectResult, n: number): DetectResult {
  if (result.kind !== 'agent') return result;
  const d = result.detection;
  return { kind: 'agent', detection: { ...d, insertAt: d.insertAt + n, ...(d.shell ? { shell: { ...d.shell, index: d.shell.index + n } } : {}) } };
}

function peelEnv(argv: string[], s: PeelState): DetectResult {
  const wrapperEnv = { ...s.wrapperEnv };
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-i' || a === '--ignore-environment' || a === '-0' || a === '--null' || a === '-') continue;
    if (a === '-u' || a === '--unset' || a === '-C' || a === '--chdir') {
      i++;
      continue;
    }
    if (/^(-u.|--unset=|-C.|--chdir=)/.test(a)) continue;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('-')) return { kind: 'generic' }; // -S and friends: not followed
    const eq = a.indexOf('=');
    if (eq > 0) {
      wrapperEnv[a.slice(0, eq)] = a.slice(eq + 1);
      continue;
    }
    break;
  }
  return shift(peel(argv.slice(i), { ...s, via: [...s.via, 'env'], wrapperEnv }), i);
}

/** Index of the first runner argument for `npx …`, `npm exec …`, `pnpm dlx …`, `bunx …` and the like. */
function runnerArgsStart(prog: string, argv: string[]): number | undefined {
  if (prog === 'npx' || prog === 'pnpx' || prog === 'bunx') return 1;
  const sub = argv[1];
  if (prog === 'npm' && (sub === 'exec' || sub === 'x')) return 2;
  if (prog === 'pnpm' && (sub === 'dlx' || sub === 'exec')) return 2;
  if (prog === 'yarn' && (sub === 'dlx' || sub === 'exec')) return 2;
  if (prog === 'bun' && sub === 'x') return 2;
  return undefined;
}

function runnerLabel(prog: string, argv: string[]): string {
  return ['npx', 'pnpx', 'bunx'].includes(prog) ? prog : `${prog} ${argv[1]}`;
}

function peelRunner(argv: string[], start: number, s: PeelState): DetectResult {
  let pkg: string | undefined;
  let i = start;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-')) break;
    if (a === '-c' || a === '--call' || a.startsWith('--call=')) return { kind: 'generic' }; // a shell string: not followed
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (RUNNER_VALUE_OPTIONS.has(name)) {
      const value = inline ?? argv[++i];
      if ((name === '-p' || name === '--package') && value !== undefined) pkg ??= value;
    }
  }
  if (i >= argv.length) return { kind: 'generic' };
  const agent = (pkg !== undefined ? byPackageOrProgram(pkg) : undefined) ?? byPackageOrProgram(argv[i]);
  return agent ? found(agent, argv, i + 1, s) : { kind: 'generic' };
}

function peelNode(argv: string[], s: PeelState): DetectResult {
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-')) break;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') return { kind: 'generic' };
    if (NODE_VALUE_OPTIONS.has(a)) i++;
  }
  if (i >= argv.length) return { kind: 'generic' };
  const agent = byScript(argv[i]);
  return agent ? found(agent, argv, i + 1, { ...s, via: [...s.via, programName(argv[0])] }) : { kind: 'generic' };
}

function peelShell(argv: string[], s: PeelState): DetectResult {
  // Options before the script: `-c`, or a cluster holding c (`-lc`, `-ec`), others without values.
  let scriptAt: number | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-' || a === '--') break;
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a)) {
      scriptAt = i + 1;
      break;
    }
  }
  if (scriptAt === undefined || scriptAt >= argv.length) return { kind: 'generic' };
  const script = argv[scriptAt];
  const words = splitSimpleCommand(script);
  const label = `${programName(argv[0])} -c`;
  if (words) {
    const inner = peel(words, { ...s, via: [...s.via, label], inShell: true });
    if (inner.kind !== 'agent') return inner;
    const d = inner.detection;
    return { kind: 'agent', detection: { ...d, insertAt: scriptAt, shell: { index: scriptAt, words, insertAt: d.insertAt } } };
  }
  const mentioned = AGENTS.filter((a) => [...a.programs, ...a.packages].some((name) => new RegExp(`(^|[^A-Za-z0-9_.-])${escape(name)}($|[^A-Za-z0-9_-])`).test(script)));
  if (mentioned.length === 0) return { kind: 'generic' };
  return { kind: 'ambiguous', agents: mentioned, reason: `the ${label} script is not one simple command (it has shell syntax such as ;, &&, |, $ or redirections)` };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
