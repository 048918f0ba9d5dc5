// Check `secrets`: a secret found in the request, per secrets.outbound. `redact` allows: the caller redacts the body.
import type { Policy } from '../schema.js';
import { ALLOW, type RequestCheck, type Verdict } from '../types.js';

export const SECRETS_CHECK = 'secrets';

export function createSecretsCheck(secrets: Policy['secrets']): RequestCheck {
  return {
    id: SECRETS_CHECK,
    phase: 'request',
    evaluate(facts): Verdict {
      if (facts.secretFindings.length === 0) return ALLOW;
      if (secrets.outbound !== 'deny' && secrets.outbound !== 'ask') return ALLOW;
      const detectors = [...new Set(facts.secretFindings.map((f) => f.detector))].join(', ');
      const count = facts.secretFindings.length;
      return {
        kind: secrets.outbound,
        rule: SECRETS_CHECK,
        reason: `the request contains ${count === 1 ? 'a secret' : `${count} secrets`} (${detectors})`,
      };
    },
  };
}
