import { describe, expect, test } from 'vitest';
import { requestFacts } from '../test-facts.js';
import { createSecretsCheck } from './secrets-outbound.js';

const found = [{ detector: 'openai-key' }, { detector: 'openai-key' }, { detector: 'acme-token' }];

describe('secrets check', () => {
  test.each([
    ['deny', found, 'deny'],
    ['ask', found, 'ask'],
    ['redact', found, 'allow'], // the caller redacts
    ['allow', found, 'allow'],
    ['deny', [], 'allow'],
    ['ask', [], 'allow'],
  ] as const)('outbound: %s with %j → %s', (outbound, secretFindings, kind) => {
    const check = createSecretsCheck({ outbound, mask_responses: true, patterns: [] });
    expect(check.evaluate(requestFacts({ secretFindings: [...secretFindings] }))).toMatchObject({ kind });
  });

  test('the reason counts and names the detectors, never the secret', () => {
    const check = createSecretsCheck({ outbound: 'deny', mask_responses: true, patterns: [] });
    expect(check.evaluate(requestFacts({ secretFindings: found }))).toEqual({
      kind: 'deny',
      rule: 'secrets',
      reason: 'the request contains 3 secrets (openai-key, acme-token)',
    });
    expect(check.evaluate(requestFacts({ secretFindings: [found[0]] }))).toMatchObject({ reason: 'the request contains a secret (openai-key)' });
  });
});
