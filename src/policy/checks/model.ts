// Check `model`: the model must match models.allow and not models.deny; an unknown model gets models.unknown.
import { compileGlobs, firstMatchingGlob } from '../glob.js';
import type { Policy } from '../schema.js';
import { ALLOW, type RequestCheck, type RequestFacts, type Verdict } from '../types.js';

export const MODEL_CHECK = 'model';

/** API paths (after any /anthropic or Azure deployment prefix) whose requests always name a model. */
const MODEL_PATHS = /\/(?:chat\/completions|completions|responses|embeddings|messages|messages\/count_tokens)$/;

/** WebSocket paths whose client events always concern a model (Responses WebSocket mode, Realtime). */
const WS_MODEL_PATHS = /\/(?:responses|realtime)$/;

/**
 * Whether the request is one that must name a model (so "no model found" means something is off): a POST to a
 * generation endpoint, or a client event on a WebSocket one (method `WS`; the upgrade itself carries no body).
 */
export function needsModel(facts: Pick<RequestFacts, 'method' | 'path'> & { body?: unknown }): boolean {
  const method = facts.method.toUpperCase();
  if (method === 'WS') return facts.body !== undefined && WS_MODEL_PATHS.test(facts.path);
  return method === 'POST' && MODEL_PATHS.test(facts.path);
}

export function createModelCheck(models: Policy['models']): RequestCheck {
  const allow = compileGlobs(models.allow, { ignoreCase: true });
  const deny = compileGlobs(models.deny, { ignoreCase: true });
  return {
    id: MODEL_CHECK,
    phase: 'request',
    evaluate(facts): Verdict {
      const model = facts.model;
      if (model === undefined || model === '') {
        if (!needsModel(facts) || models.unknown === 'allow') return ALLOW;
        return { kind: models.unknown, rule: MODEL_CHECK, reason: `the model of ${facts.endpoint} could not be determined (models.unknown: ${models.unknown})` };
      }
      if (deny.test(model)) {
        const glob = firstMatchingGlob(models.deny, model, { ignoreCase: true });
        return { kind: 'deny', rule: MODEL_CHECK, reason: `model "${model}" is denied by models.deny "${glob}"` };
      }
      if (!allow.test(model)) return { kind: 'deny', rule: MODEL_CHECK, reason: `model "${model}" is not in models.allow` };
      return ALLOW;
    },
  };
}
