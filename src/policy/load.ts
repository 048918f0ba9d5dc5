// Finds and reads the policy: `--policy FILE`, else ./guardrun.yaml, else the built-in default.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GuardrunError } from '../errors.js';
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

export interface LoadPolicyOptions {
  /** `--policy FILE`, relative to cwd. */
  file?: string;
  cwd: string;
}

export async function loadPolicy(options: LoadPolicyOptions): Promise<LoadedPolicy> {
  if (options.file !== undefined) {
    return loadFile(resolve(options.cwd, options.file), options.file, true);
  }
  const found = await loadFile(resolve(options.cwd, POLICY_FILE_NAME), POLICY_FILE_NAME, false);
  if (found) return found;
  // A guardrun.yml that is silently ignored would look like a policy that does nothing.
  if (await exists(resolve(options.cwd, 'guardrun.yml'))) {
    throw new GuardrunError('E_POLICY', 'found guardrun.yml, but guardrun reads guardrun.yaml', 'rename guardrun.yml to guardrun.yaml, or pass it with --policy guardrun.yml');
  }
  return { policy: DEFAULT_POLICY, source: DEFAULT_POLICY_SOURCE, sha256: sha256(DEFAULT_POLICY_YAML) };
}

async function loadFile(path: string, shown: string, required: true): Promise<LoadedPolicy>;
async function loadFile(path: string, shown: string, required: false): Promise<LoadedPolicy | undefined>;
async function loadFile(path: string, shown: string, required: boolean): Promise<LoadedPolicy | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new GuardrunError('E_POLICY', `cannot read policy file ${shown}: ${why}`, 'check the path given to --policy, or run `guardrun init` to write a policy file', { cause: error });
  }
  const text = bytes.toString('utf8');
  const { parsePolicy } = await import('./parse.js'); // yaml + zod load only when there is a file to read
  return { policy: parsePolicy(text, shown), source: path, sha256: sha256(bytes) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
