// Finds and reads the policy: `--policy FILE`, else $GUARDRUN_POLICY, else the nearest guardrun.yaml from the
// working directory up to the repository root (as git, eslint and prettier find theirs), else the built-in default.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { GuardrunError } from '../errors.js';
import { exists } from '../files.js';
import { DEFAULT_POLICY, DEFAULT_POLICY_SOURCE, DEFAULT_POLICY_YAML } from './default.js';
import type { Policy } from './schema.js';


export const POLICY_FILE_NAME = 'guardrun.yaml';

export interface LoadedPolicy {
  policy: Policy;
  /** Absolute path of the file read, or 'built-in default'. */
  source: string;
  /** sha256 (hex) of the policy text, for the session file. */
  sha256: string;
  /** Values set for this run on the command line (`--budget`, `--approve-over`), by policy key. */
  overrides?: Record<string, number | null>;
}

export const POLICY_ENV = 'GUARDRUN_POLICY';

export interface LoadPolicyOptions {
  /** `--policy FILE`, relative to cwd. */
  file?: string;
  cwd: string;
  /** For $GUARDRUN_POLICY (a path, relative to cwd); `--policy` wins over it. */
  env?: NodeJS.ProcessEnv;
  /** How `file` was given, for the fix line of an error: the --policy option (default) or a command's argument. */
  fileFrom?: '--policy' | 'argument';
}

/**
 * The policy in force. Order: `file` (--policy), `env.GUARDRUN_POLICY`, then `guardrun.yaml` in `cwd` and each
 * parent up to and including the repository root (the first directory holding `.git`); outside a repository only
 * `cwd` is looked at, so a stray file in a parent of an unrelated directory never applies. Throws E_POLICY for a
 * file that is named but missing or invalid, and for a `guardrun.yml` that would otherwise be silently ignored.
 */
export async function loadPolicy(options: LoadPolicyOptions): Promise<LoadedPolicy> {
  if (options.file !== undefined) {
    return loadFile(resolve(options.cwd, options.file), options.file, true, options.fileFrom === 'argument' ? 'policy check' : '--policy');
  }
  const fromEnv = options.env?.[POLICY_ENV];
  if (fromEnv) return loadFile(resolve(options.cwd, fromEnv), fromEnv, true, POLICY_ENV);
  for (const dir of await searchDirs(options.cwd)) {
    const path = join(dir, POLICY_FILE_NAME);
    const found = await loadFile(path, relative(options.cwd, path), false, 'search');
    if (found) return found;
    // A guardrun.yml that is silently ignored would look like a policy that does nothing.
    if (await exists(join(dir, 'guardrun.yml'))) {
      throw new GuardrunError('E_POLICY', `found ${join(dir, 'guardrun.yml')}, but guardrun reads guardrun.yaml`, 'rename guardrun.yml to guardrun.yaml, or pass it with --policy');
    }
  }
  return { policy: DEFAULT_POLICY, source: DEFAULT_POLICY_SOURCE, sha256: sha256(DEFAULT_POLICY_YAML) };
}

/** cwd, then its parents up to the repository root; just cwd when no parent holds `.git`. */
async function searchDirs(cwd: string): Promise<string[]> {
  const dirs: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (await exists(join(dir, '.git'))) return dirs;
    if (dirname(dir) === dir) return [resolve(cwd)];
  }
}

type NamedBy = '--policy' | typeof POLICY_ENV | 'search' | 'policy check';

async function loadFile(path: string, shown: string, required: true, namedBy: NamedBy): Promise<LoadedPolicy>;
async function loadFile(path: string, shown: string, required: false, namedBy: NamedBy): Promise<LoadedPolicy | undefined>;
async function loadFile(path: string, shown: string, required: boolean, namedBy: NamedBy): Promise<LoadedPolicy | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    const fix = namedBy === 'policy check' ? 'check the path, or run `guardrun init` to write a policy file'
      : namedBy === POLICY_ENV ? `check the path in ${POLICY_ENV}, or unset it to use guardrun.yaml / the built-in default`
        : 'check the path given to --policy, or run `guardrun init` to write a policy file';
    throw new GuardrunError('E_POLICY', `cannot read policy file ${shown}: ${why}`, fix, { cause: error });
  }
  const text = bytes.toString('utf8');
  const { parsePolicy } = await import('./parse.js'); // yaml + zod load only when there is a file to read
  return { policy: parsePolicy(text, shown), source: path, sha256: sha256(bytes) };
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
