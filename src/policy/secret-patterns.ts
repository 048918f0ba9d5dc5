// The policy's own secret formats (secrets.patterns), compiled for the detectors.
import { compileRegex } from './regex.js';
import type { Policy } from './schema.js';

export interface SecretPattern {
  id: string;
  /** Without the `g` flag; make a global copy (`new RegExp(r.source, r.flags + 'g')`) to find every match. */
  regex: RegExp;
}

export function compileSecretPatterns(policy: Pick<Policy, 'secrets'>): SecretPattern[] {
  return policy.secrets.patterns.map((p) => ({ id: p.id, regex: compileRegex(p.regex) }));
}
