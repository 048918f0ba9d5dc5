// `guardrun policy check [FILE]`, `guardrun policy show`, `guardrun init`.
import type { Command } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GuardrunError } from '../../errors.js';
import { DEFAULT_POLICY_YAML } from '../../policy/default.js';
import { loadPolicy, POLICY_FILE_NAME } from '../../policy/load.js';
import type { CommandContext } from '../context.js';
import { colorsFor } from '../output.js';
import { POLICY_DEFAULT } from '../help-text.js';

export function registerPolicy(program: Command, ctx: CommandContext): void {
  const policy = program.command('policy').description('validate or print the policy');
  policy
    .command('check [file]')
    .description(`validate a policy file (default: the one in force here: ${POLICY_DEFAULT})`)
    .option('--json', 'print the result as JSON (a problem is an {"error": …} document, exit 78)')
    .action(async (file: string | undefined, flags: { json?: boolean }) => {
      const loaded = await loadPolicy({ file, cwd: ctx.io.cwd, env: ctx.io.env, fileFrom: 'argument' });
      const { rules, endpoints } = loaded.policy;
      if (flags.json) {
        ctx.io.stdout.write(JSON.stringify({ ok: true, source: loaded.source, sha256: loaded.sha256, endpoints: endpoints.allow.length, rules: rules.length }, null, 2) + '\n');
        return;
      }
      const c = colorsFor(ctx.io.stdout, ctx.io.env);
      ctx.io.stdout.write(`${c.green('ok')} ${loaded.source}: ${endpoints.allow.length} allowed endpoints, ${rules.length} rule${rules.length === 1 ? '' : 's'}\n`);
    });
  policy
    .command('show')
    .description('print the effective policy (after defaults) as YAML')
    .option('--policy <file>', `policy file (default ${POLICY_DEFAULT})`)
    .option('--json', 'print it as JSON: { source, sha256, policy }')
    .action(async (flags: { policy?: string; json?: boolean }) => {
      const loaded = await loadPolicy({ file: flags.policy, cwd: ctx.io.cwd, env: ctx.io.env });
      if (flags.json) {
        ctx.io.stdout.write(JSON.stringify({ source: loaded.source, sha256: loaded.sha256, policy: loaded.policy }, null, 2) + '\n');
        return;
      }
      const { stringify } = await import('yaml');
      ctx.io.stdout.write(`# effective policy from: ${loaded.source} (sha256 ${loaded.sha256.slice(0, 12)})\n${stringify(loaded.policy)}`);
    });
  program
    .command('init')
    .description(`write a commented starter ${POLICY_FILE_NAME} in the current directory`)
    .option('--force', 'overwrite an existing file')
    .action((flags: { force?: boolean }) => {
      const path = resolve(ctx.io.cwd, POLICY_FILE_NAME);
      if (existsSync(path) && !flags.force) {
        throw new GuardrunError('E_USAGE', `${path} already exists`, 'edit it, or pass --force to replace it with the starter policy');
      }
      writeFileSync(path, DEFAULT_POLICY_YAML, { mode: 0o644 });
      ctx.io.stdout.write(`wrote ${path}; check it with: guardrun policy check\n`);
    });
}
