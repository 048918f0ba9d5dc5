// Check `secrets`: a secret found in the request, per secrets.outbound. `redact` allows: the caller redacts the
// body, query and headers; a secret where nothing can be rewritten (a multipart part) is refused instead. What
// guardrun could not read at all (binary) is decided by secrets.uninspectable (unless outbound is allow).
import type { Policy } from '../schema.js';
import { ALLOW, type RequestCheck, type Verdict } from '../types.js';

export const SECRETS_CHECK = 'secrets';

export function createSecretsCheck(secrets: Policy['secrets']): RequestCheck {
  return {
    id: SECRETS_CHECK,
    phase: 'request',
    evaluate(facts): Verdict[] {
      const verdicts: Verdict[] = [];
      const uninspected = facts.uninspected ?? [];
      if (uninspected.length > 0 && secrets.outbound !== 'allow' && secrets.uninspectable !== 'allow') {
        verdicts.push({ kind: secrets.uninspectable, rule: SECRETS_CHECK, reason: `guardrun cannot read ${list(uninspected)} for secrets (secrets.uninspectable)` });
      }
      if (facts.secretFindings.length === 0) return verdicts.length > 0 ? verdicts : [ALLOW];
      const detectors = [...new Set(facts.secretFindings.map((f) => f.detector))].join(', ');
      const places = [...new Set(facts.secretFindings.map((f) => f.where ?? 'body'))];
      const count = facts.secretFindings.length;
      const found = `the request contains ${count === 1 ? 'a secret' : `${count} secrets`} (${detectors}) in the ${list(places)}`;
      const unredactable = facts.unredactable ?? [];
      if (secrets.outbound === 'redact' && unredactable.length > 0) {
        verdicts.push({ kind: 'deny', rule: SECRETS_CHECK, reason: `${found}; guardrun cannot redact inside ${list(unredactable)}` });
      } else if (secrets.outbound === 'deny' || secrets.outbound === 'ask') {
        verdicts.push({ kind: secrets.outbound, rule: SECRETS_CHECK, reason: found });
      } else if (secrets.outbound === 'redact') {
        // Allowed because the caller rewrites them: the decision line (and replay's timeline) says so.
        verdicts.push({ kind: 'allow', note: `redacted ${count === 1 ? 'a secret' : `${count} secrets`} (${detectors}) in the ${list(places)}` });
      }
      return verdicts.length > 0 ? verdicts : [ALLOW];
    },
  };
}

function list(items: readonly string[]): string {
  const shown = items.slice(0, 3).join(', ');
  return items.length > 3 ? `${shown} and ${items.length - 3} more` : shown;
}
