// Check `endpoint`: the request's "METHOD /path" must match endpoints.allow and not endpoints.deny.
import { compileGlobs, firstMatchingGlob } from '../glob.js';
import type { Policy } from '../schema.js';
import { ALLOW, type RequestCheck } from '../types.js';

export const ENDPOINT_CHECK = 'endpoint';

export function createEndpointCheck(endpoints: Policy['endpoints']): RequestCheck {
  const allow = compileGlobs(endpoints.allow);
  const deny = compileGlobs(endpoints.deny);
  return {
    id: ENDPOINT_CHECK,
    phase: 'request',
    evaluate(facts) {
      if (deny.test(facts.endpoint)) {
        const glob = firstMatchingGlob(endpoints.deny, facts.endpoint);
        return { kind: 'deny', rule: ENDPOINT_CHECK, reason: `endpoint ${facts.endpoint} is denied by endpoints.deny "${glob}"` };
      }
      if (!allow.test(facts.endpoint)) {
        return { kind: 'deny', rule: ENDPOINT_CHECK, reason: `endpoint ${facts.endpoint} is not in endpoints.allow` };
      }
      return ALLOW;
    },
  };
}
