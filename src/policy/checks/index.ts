// The built-in checks for a policy, in the order they run.
import type { Policy, RequestRule, ResponseRule } from '../schema.js';
import type { RequestCheck, ResponseCheck } from '../types.js';
import { createCostChecks } from './cost.js';
import { createEndpointCheck } from './endpoint.js';
import { createModelCheck } from './model.js';
import { createRequestRuleChecks } from './request-rules.js';
import { createResponseRuleChecks } from './response-rules.js';
import { createSecretsCheck } from './secrets-outbound.js';

export function createRequestChecks(policy: Policy): RequestCheck[] {
  const rules = policy.rules.filter((r): r is RequestRule => r.on === 'request');
  return [
    createEndpointCheck(policy.endpoints),
    createModelCheck(policy.models),
    createSecretsCheck(policy.secrets),
    ...createRequestRuleChecks(rules),
    ...createCostChecks(policy.cost),
  ];
}

export function createResponseChecks(policy: Policy): ResponseCheck[] {
  return createResponseRuleChecks(policy.rules.filter((r): r is ResponseRule => r.on === 'response'));
}
