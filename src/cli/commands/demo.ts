// `guardrun demo`: a guarded run of a bundled agent against a bundled fake upstream. No key, no network.
import type { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../../package-root.js';
import { startSession } from '../../session/run-session.js';
import type { CommandContext } from '../context.js';
import { colorsFor } from '../output.js';
import { guardSetup } from '../guard-setup.js';
import { shownPath } from '../run-output.js';
import { findCommand } from '../../session/find-command.js';

// Obviously not a real key: the fake upstream checks it the way the real API checks yours.
const DEMO_KEY = 'sk-demo-guardrun-fake-key-0000000000000000';

interface FakeUpstream {
  url: string;
  close(): Promise<void>;
}

export function registerDemo(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description('run a sample agent under guard against a local fake OpenAI server (no key, no network)')
    .option('--session-file <path>', 'where to write the session record')
    .action(async (flags: { sessionFile?: string }) => {
      ctx.setExitCode(await demo(flags, ctx));
    });
}

async function demo(flags: { sessionFile?: string }, ctx: CommandContext): Promise<number> {
  const c = colorsFor(ctx.io.stderr, ctx.io.env);
  const say = (line: string): boolean => ctx.io.stderr.write(`${c.cyan('guardrun demo:')} ${line}\n`);
  const fixtures = join(PACKAGE_ROOT, 'fixtures');
  const { startFakeUpstream } = (await import(pathToFileURL(join(fixtures, 'fake-upstream.mjs')).href)) as {
    startFakeUpstream(o: { openaiKey: string }): Promise<FakeUpstream>;
  };
  const upstream = await startFakeUpstream({ openaiKey: DEMO_KEY });
  try {
    say(`fake OpenAI upstream on ${upstream.url} (it only accepts the demo key, which guardrun holds)`);
    say('policy: the built-in default plus one rule that denies production deploys (fixtures/demo/policy.yaml)');
    say('starting the sample agent with a per-session dummy key instead…');
    const session = await startSession({
      command: [process.execPath, join(fixtures, 'demo', 'agent.mjs')],
      keys: [{ provider: 'openai', value: DEMO_KEY, source: 'demo' }],
      cwd: ctx.io.cwd,
      env: ctx.io.env,
      upstreams: { openai: upstream.url },
      sessionFile: flags.sessionFile,
      guard: await guardSetup({ policy: join(fixtures, 'demo', 'policy.yaml'), ci: true }, ctx.io),
    });
    const result = await session.done;
    const file = shownPath(result.sessionFile, ctx.io.cwd);
    const { requests, denied } = result.stats;
    say(`the agent exited with ${result.exitCode}: ${requests} requests, ${denied} denied, the secret redacted before it left; every exchange is in ${file}`);
    say('next steps:');
    say(`  store your real key in the OS keychain:  ${self()} key set openai`);
    say(`  run your own agent under guard:          ${self()} -- node your-agent.js`);
    say(`  read this session back:                  ${self()} replay ${file}`);
    return result.exitCode;
  } finally {
    await upstream.close();
  }
}

/** How the user invoked guardrun, so the printed commands work as typed: `guardrun` when that is on PATH, else `node <path>`. */
function self(): string {
  const script = process.argv[1];
  if (!script) return 'guardrun';
  const onPath = findCommand('guardrun', process.env, process.cwd());
  try {
    if (onPath.ok && realpathSync(onPath.path) === realpathSync(script)) return 'guardrun';
  } catch {
    // fall through to the explicit form
  }
  const rel = relative(process.cwd(), script);
  return `node ${rel.startsWith('..') || rel === '' ? script : rel}`;
}
