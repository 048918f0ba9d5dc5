// Variables of guardrun's environment that hold a credential under a name guardrun does not know
// (`MY_OPENAI_KEY`, `OPENROUTER_API_KEY`, `GITHUB_TOKEN`, a base64 or upper-cased copy of a held key): they
// are withheld from the child, whose environment any tool it runs can read (issue 10). What the secret
// detectors recognise in `NAME=value` is withheld, so labelled detectors see the name (`DB_PASSWORD=…`).
import { BUILTIN_DETECTORS, compileDetectors } from '../secrets/detectors.js';
import { createScanner, type Scanner } from '../secrets/scan.js';
import { REMOVED_VARIABLES } from './child-env.js';

export interface WithheldOptions {
  env: NodeJS.ProcessEnv;
  /** The real keys guardrun holds: any copy of one (any case, base64, base64url, hex) is withheld too. */
  realKeys: string[];
  /** Names the user keeps anyway (`--pass-env NAME`). */
  pass?: string[];
  /** Names already handled elsewhere (removed or replaced by child-env.ts). */
  skip?: Iterable<string>;
  scanner?: Scanner;
}

/** The names to withhold, sorted; never their values. */
export function withheldVariables(o: WithheldOptions): string[] {
  const pass = new Set(o.pass ?? []);
  const skip = new Set(o.skip ?? []);
  const scanner = o.scanner ?? createScanner(compileDetectors({ exact: [], patterns: [], builtins: BUILTIN_DETECTORS }));
  const copies = o.realKeys.filter((k) => k.length >= 8).flatMap(keyCopies);
  const out: string[] = [];
  for (const [name, value] of Object.entries(o.env)) {
    if (value === undefined || value === '' || pass.has(name) || skip.has(name) || name.startsWith('GUARDRUN_')) continue;
    const lower = value.toLowerCase();
    if (copies.some((c) => lower.includes(c)) || scanner.find(`${name}=${value}`).length > 0) out.push(name);
  }
  return out.sort();
}

/**
 * What a run withholds on top of the fixed removals (`REMOVED_VARIABLES`) and the `--key-env` sources: the one
 * call shared by a run (run-session.ts, which names them in a start note) and `guardrun doctor`
 * (agents/describe.ts), so the preview lists exactly what a run would withhold. Names only, sorted.
 */
export function runWithheld(o: { env: NodeJS.ProcessEnv; realKeys: string[]; passEnv?: string[]; removeFromChildEnv?: string[] }): string[] {
  return withheldVariables({ env: o.env, realKeys: o.realKeys, pass: o.passEnv, skip: [...REMOVED_VARIABLES, ...(o.removeFromChildEnv ?? [])] });
}

/** A key as it may be copied into a variable, lower-cased for a case-insensitive search. */
function keyCopies(key: string): string[] {
  const bytes = Buffer.from(key);
  return [key, bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url'), bytes.toString('hex')].map((c) => c.toLowerCase());
}
