// `guardrun doctor [-- <command>]`: what a run would set, what it found in the agent's configuration,
// what it cannot see; exit 1 when it knows the command would go around guardrun (or be refused).
import type { Command } from 'commander';
import { delimiter, join } from 'node:path';
import { accessSync, constants } from 'node:fs';
import { previewRun, type RunPreview } from '../../agents/describe.js';
import { AGENTS } from '../../agents/table.js';
import { joinWords } from '../../agents/shell-words.js';
import { isGuardrunError } from '../../errors.js';
import { PROVIDERS, type Provider } from '../../providers.js';
import { openKeystore } from '../../secrets/open-keystore.js';
import { parseKeyEnv, resolveKeys } from '../../secrets/resolve-keys.js';
import type { CommandContext } from '../context.js';
import { colorsFor } from '../output.js';

interface DoctorFlags {
  keyEnv: string[];
  profile?: string;
  adapter: boolean;
  passEnv: string[];
  json?: boolean;
}

export function registerDoctor(program: Command, ctx: CommandContext): void {
  program
    .command('doctor')
    .description('show how guardrun would run a command: what it sets, what it found, what it cannot see')
    .option('--key-env <[provider=]VAR>', 'as for a run: a real key from this env variable (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--profile <name>', 'as for a run: the keychain profile')
    .option('--pass-env <NAME>', 'as for a run: keep NAME although its value looks like a credential (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--no-adapter', 'preview a run with --no-adapter')
    .option('--json', 'print the preview as JSON')
    .addHelpText('after', '\nExamples:\n  guardrun doctor -- codex exec "fix the tests"\n  guardrun doctor -- npx @anthropic-ai/claude-code -p "hi"\n\nExit 0: the command would run guarded; 1: it would go around guardrun or be refused.')
    .action(async (flags: DoctorFlags) => {
      ctx.setExitCode(await doctor(flags, ctx));
    });
}

interface KeyLine {
  provider: Provider;
  source?: string;
}

/** The keys a run would find; `values` only to find copies of them in the environment (never shown). */
async function heldKeys(flags: DoctorFlags, ctx: CommandContext): Promise<{ keys: KeyLine[]; problem?: string; removed: string[]; values: string[] }> {
  try {
    const resolved = await resolveKeys({
      keyEnv: flags.keyEnv.map(parseKeyEnv),
      profile: flags.profile,
      env: ctx.io.env,
      openKeystore: () => openKeystore({ env: ctx.io.env }),
    });
    const keys = PROVIDERS.map((provider) => ({ provider, source: resolved.keys.find((k) => k.provider === provider)?.source }));
    const values = resolved.keys.map((k) => k.value);
    return { keys, removed: resolved.childEnvRemove, values, ...(resolved.keystoreError ? { problem: resolved.keystoreError } : {}) };
  } catch (error) {
    if (isGuardrunError(error) && error.code === 'E_USAGE') throw error;
    return { keys: PROVIDERS.map((provider) => ({ provider })), problem: error instanceof Error ? error.message : String(error), removed: [], values: [] };
  }
}

function onPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, program);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function doctor(flags: DoctorFlags, ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const c = colorsFor(io.stdout, io.env);
  const held = await heldKeys(flags, ctx);
  const providers = held.keys.filter((k) => k.source).map((k) => k.provider);
  const command = ctx.childArgv && ctx.childArgv.length > 0 ? ctx.childArgv : undefined;
  const inspect = { env: io.env, cwd: io.cwd, held: providers, removeFromChildEnv: held.removed, realKeys: held.values, passEnv: flags.passEnv, noAdapter: !flags.adapter };
  const preview = command ? previewRun(command, inspect) : undefined;
  // Without a command: each known agent as `guardrun -- <program>` would start it, when it is installed.
  const agents = command ? [] : AGENTS.map((a) => ({ spec: a, path: onPath(a.programs[0], io.env), preview: previewRun([a.programs[0]], inspect) }));
  if (flags.json) {
    io.stdout.write(JSON.stringify({ guardrunDoctor: 1, keys: held.keys, keyProblem: held.problem, command: preview, agents: agents.map((a) => ({ id: a.spec.id, path: a.path ?? null, preview: a.preview })) }, null, 2) + '\n');
    return preview?.refused ? 1 : 0;
  }
  const out: string[] = [c.bold('keys')];
  for (const k of held.keys) out.push(`  ${k.provider.padEnd(10)} ${k.source ? c.green(k.source) : c.yellow(`none (guardrun key set ${k.provider}, or --key-env ${k.provider}=VAR)`)}`);
  if (held.problem) out.push(`  ${c.yellow('keychain:')} ${held.problem}`);
  if (preview && command) {
    out.push('', c.bold('command'), `  ${joinWords(command)}`, ...describePreview(preview, c));
  } else {
    out.push('', c.bold('known agents'), '  (pass a command after -- to see exactly what a run of it would do)');
    for (const a of agents) {
      out.push(`  ${c.bold(a.spec.name)} (${a.spec.programs[0]}): ${a.path ?? 'not found on PATH'}`);
      for (const f of a.preview.findings) out.push(`    ${label(f.level, c)} ${f.message}`);
      if (a.preview.missing.length > 0) out.push(`    ${c.yellow('no key:')} guardrun holds no ${a.preview.missing.join(', ')} key, so a run would be refused`);
    }
  }
  io.stdout.write(out.join('\n') + '\n');
  return preview?.refused ? 1 : 0;
}

function label(level: string, c: ReturnType<typeof colorsFor>): string {
  if (level === 'bypass') return c.red('bypass:');
  if (level === 'blocked') return c.red('blocked:');
  if (level === 'unseen') return c.dim('cannot see:');
  return c.dim('note:');
}

function describePreview(p: RunPreview, c: ReturnType<typeof colorsFor>): string[] {
  const out: string[] = [];
  const agent = p.agent === 'generic' ? 'none recognised: the generic environment (SDKs reading OPENAI_BASE_URL / ANTHROPIC_BASE_URL)' : p.agent === 'ambiguous' ? `${p.agentName}, inside a script guardrun cannot rewrite` : `${p.agentName}${p.via.length ? ` (through ${p.via.join(', ')})` : ''}`;
  out.push(`  agent:    ${agent}`);
  out.push(`  would run: ${joinWords(p.command)}`);
  out.push('', c.bold('environment'));
  for (const [name, value] of p.set) out.push(`  set     ${name}=${value}`);
  for (const name of p.removed) out.push(`  remove  ${name}${p.withheld.includes(name) ? c.dim(` (its value looks like a credential; --pass-env ${name} keeps it)`) : ''}`);
  for (const line of p.files) out.push(`  file    ${line}`);
  if (p.findings.length > 0 || p.unseen.length > 0) {
    out.push('', c.bold('found'));
    for (const f of p.findings) {
      out.push(`  ${label(f.level, c)} ${f.message}`);
      if (f.fix && f.level !== 'note') out.push(`    fix: ${f.fix}`);
    }
    for (const u of p.unseen) out.push(`  ${label('unseen', c)} ${u}`);
  }
  out.push(`  ${label('unseen', c)} what the agent's own tools send to other hosts: guardrun's proxy logs each connection and applies network.allow/deny, but a tool that ignores HTTPS_PROXY reaches the network directly (--sandbox stops that)`);
  out.push('');
  if (p.refused) {
    out.push(`${c.red('verdict:')} a run would be refused (exit ${p.refused.exitCode}, ${p.refused.code}): ${p.refused.message}`);
    if (p.refused.fix) out.push(`${c.yellow('fix:')} ${p.refused.fix}`);
  } else if (p.agent === 'generic') {
    out.push(`${c.green('verdict:')} no known bypass; guardrun does not know this program: if it ignores OPENAI_BASE_URL / ANTHROPIC_BASE_URL, its calls are intercepted through HTTPS_PROXY (a stored login is refused); one that ignores the proxy too goes around guardrun unless you add --sandbox`);
  } else {
    out.push(`${c.green('verdict:')} every model call ${p.agentName} makes would go through guardrun`);
  }
  return out;
}
