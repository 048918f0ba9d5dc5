// `guardrun key set|status|delete`: the real keys guardrun keeps in the OS keychain. A key is never taken from argv.
import type { Command } from 'commander';
import { GuardrunError, isGuardrunError } from '../../errors.js';
import { PROVIDERS, accountName, isProvider, type Provider } from '../../providers.js';
import type { Keystore, KeystoreInfo, StoredIn } from '../../secrets/keystore.js';
import { maskKey } from '../../secrets/mask-key.js';
import { openKeystore } from '../../secrets/open-keystore.js';
import type { CommandContext } from '../context.js';
import { colorsFor } from '../output.js';
import { SecretInputAborted, readSecret } from '../read-secret.js';

interface KeyFlags {
  profile?: string;
  json?: boolean;
}

const PROFILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function registerKey(program: Command, ctx: CommandContext): void {
  const key = program
    .command('key')
    .description('store, show or delete the real API keys guardrun keeps in your keychain')
    .addHelpText('after', '\nThe key is read from a hidden prompt, or from stdin when piped:\n  printf %s "$OPENAI_API_KEY" | guardrun key set openai');
  const profileOption = ['--profile <name>', 'a separate set of keys, e.g. work (default: default)'] as const;

  key
    .command('set')
    .description('store a provider\'s key (asked for with echo off, or piped on stdin)')
    .argument('<provider>', PROVIDERS.join(' | '))
    .option(...profileOption)
    .allowExcessArguments()
    .action(async (provider: string, _flags: KeyFlags, cmd: Command) => {
      // `guardrun key set openai sk-…`: the key is already in the shell history and in `ps`; never take it.
      if (cmd.args.length > 1) {
        throw new GuardrunError('E_KEY_INPUT', 'a key is never taken as an argument (arguments show in ps and in your shell history); nothing was stored', `run \`guardrun key set ${provider}\` and paste the key at the hidden prompt, or pipe it: printf %s "$KEY" | guardrun key set ${provider}`);
      }
      ctx.setExitCode(await keySet(parseProvider(provider), profileOf(cmd), ctx));
    });
  key
    .command('status')
    .description('show which keys are stored (masked) and where')
    .argument('[provider]', PROVIDERS.join(' | '))
    .option(...profileOption)
    .option('--json', 'print one JSON document: each provider with its masked key and where it is stored')
    .action(async (provider: string | undefined, flags: KeyFlags, cmd: Command) => {
      ctx.setExitCode(await keyStatus(provider === undefined ? [...PROVIDERS] : [parseProvider(provider)], profileOf(cmd), ctx, flags.json === true));
    });
  key
    .command('delete')
    .description('delete a provider\'s stored key')
    .argument('<provider>', PROVIDERS.join(' | '))
    .option(...profileOption)
    .action(async (provider: string, _flags: KeyFlags, cmd: Command) => {
      ctx.setExitCode(await keyDelete(parseProvider(provider), profileOf(cmd), ctx));
    });
}

function parseProvider(value: string): Provider {
  const provider = value.toLowerCase();
  if (isProvider(provider)) return provider;
  throw new GuardrunError('E_USAGE', `unknown provider "${value}"`, `use one of: ${PROVIDERS.join(', ')}`);
}

/** `--profile` after the subcommand, or before `key` (where the run command's own --profile catches it). */
function profileOf(cmd: Command): string | undefined {
  const profile = (cmd.optsWithGlobals() as KeyFlags).profile;
  if (profile === undefined || profile === 'default') return undefined;
  if (!PROFILE.test(profile)) {
    throw new GuardrunError('E_USAGE', `--profile "${profile}" is not a profile name`, 'use letters, digits, ".", "_" and "-" (e.g. --profile work)');
  }
  return profile;
}

const inProfile = (profile: string | undefined): string => (profile ? ` (profile ${profile})` : '');
const open = (ctx: CommandContext): Promise<Keystore> => openKeystore({ env: ctx.io.env });

async function keySet(provider: Provider, profile: string | undefined, ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const c = colorsFor(io.stderr, io.env);
  const warn = (text: string): void => void io.stderr.write(`${c.yellow('guardrun: warning:')} ${text}\n`);
  // Open first: no point asking for a key there is nowhere to put.
  const keystore = await open(ctx);
  let secret: string;
  try {
    secret = await readSecret({
      stdin: io.stdin,
      stderr: io.stderr,
      prompt: `${provider} API key${inProfile(profile)} (input hidden): `,
      pipeHint: `printf %s "$KEY" | guardrun key set ${provider}${profile ? ` --profile ${profile}` : ''}`,
    });
  } catch (error) {
    if (!(error instanceof SecretInputAborted)) throw error;
    io.stderr.write('guardrun: aborted; nothing was stored\n');
    return 130;
  }
  const shape = keyShapeProblem(provider, secret);
  if (shape) warn(`${shape}; storing it anyway`);
  const stored = await keystore.set(accountName(provider, profile), secret);
  io.stdout.write(`guardrun: ${provider} key${inProfile(profile)} stored in ${stored.description} (${maskKey(secret)})\n`);
  for (const reason of stored.skipped ?? []) warn(`not stored in an earlier keystore: ${reason}`);
  if (!stored.persistent) warn(notPersistent(stored));
  return 0;
}

interface KeyStatusRow {
  provider: Provider;
  profile: string;
  state: 'set' | 'not set' | 'unreadable';
  /** The key with all but its ends hidden. */
  masked?: string;
  store?: string;
  persistent?: boolean;
  error?: string;
}

async function keyStatus(providers: Provider[], profile: string | undefined, ctx: CommandContext, json: boolean): Promise<number> {
  const { io } = ctx;
  const keystore = await open(ctx);
  const rows: KeyStatusRow[] = [];
  let failure: GuardrunError | undefined;
  for (const provider of providers) {
    const base = { provider, profile: profile ?? 'default' };
    try {
      const found = await keystore.find(accountName(provider, profile));
      if (!found) rows.push({ ...base, state: 'not set' });
      else rows.push({ ...base, state: 'set', masked: maskKey(found.value), store: `${found.store.description}${untilReboot(found.store) ? ' (until reboot)' : ''}`, persistent: found.store.persistent });
    } catch (error) {
      failure ??= isGuardrunError(error) ? error : new GuardrunError('E_KEYSTORE', String(error));
      rows.push({ ...base, state: 'unreadable', error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (json) {
    io.stdout.write(JSON.stringify({ keys: rows, ...(failure ? { error: { code: failure.code, message: failure.message, fix: failure.fix } } : {}) }, null, 2) + '\n');
    return failure ? failure.exitCode : 0;
  }
  const table = rows.map((r): [string, string, string] => [`${r.provider}${inProfile(profile)}`, r.masked ?? r.state, r.store ?? r.error ?? '']);
  const widths = [0, 1].map((col) => Math.max(...table.map((row) => row[col].length)));
  for (const row of table) io.stdout.write(`${row[0].padEnd(widths[0])}  ${row[2] ? `${row[1].padEnd(widths[1])}  ${row[2]}` : row[1]}\n`);
  if (!failure) return 0;
  if (failure.fix) io.stderr.write(`fix: ${failure.fix}\n`);
  return failure.exitCode;
}

async function keyDelete(provider: Provider, profile: string | undefined, ctx: CommandContext): Promise<number> {
  const keystore = await open(ctx);
  const account = accountName(provider, profile);
  // Only to say where it was; the delete below is what counts.
  const found = await keystore.find(account).catch(() => undefined);
  const deleted = await keystore.delete(account);
  const what = `${provider} key${inProfile(profile)}`;
  ctx.io.stdout.write(
    deleted ? `guardrun: ${what} deleted from ${found?.store.description ?? keystore.description}\n` : `guardrun: no ${what} was stored; nothing deleted\n`,
  );
  return 0;
}

/** A hint, not a rule: providers change their formats. */
export function keyShapeProblem(provider: Provider, value: string): string | undefined {
  if (provider === 'openai' && value.startsWith('sk-ant-')) return 'this looks like an Anthropic key, not an OpenAI one';
  if (provider === 'openai' && !value.startsWith('sk-')) return 'OpenAI keys start with "sk-" and this one does not';
  if (provider === 'anthropic' && !value.startsWith('sk-ant-')) return 'Anthropic keys start with "sk-ant-" and this one does not';
  return undefined;
}

const untilReboot = (store: KeystoreInfo): boolean => !store.persistent && store.name !== 'memory';

function notPersistent(stored: StoredIn): string {
  return !untilReboot(stored)
    ? 'the memory keystore forgets the key when this process exits'
    : `the ${stored.description} keeps the key in memory for this login session only; it is lost at reboot`;
}
