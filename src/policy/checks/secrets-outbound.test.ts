import { describe, expect, test } from 'vitest';
import { requestFacts } from '../test-facts.js';
import { createSecretsCheck } from './secrets-outbound.js';

const found = [{ detector: 'openai-key' }, { detector: 'openai-key' }, { detector: 'acme-token' }];
const secrets = (outbound: 'deny' | 'ask' | 'redact' | 'allow', uninspectable: 'deny' | 'ask' | 'allow' = 'ask') => ({ outbound, uninspectable, mask_responses: true, patterns: [] });

describe('secrets check', () => {
  test.each([
    ['deny', found, 'deny'],
    ['ask', found, 'ask'],
    ['redact', found, 'allow'], // the caller redacts
    ['allow', found, 'allow'],
    ['deny', [], 'allow'],
    ['ask', [], 'allow'],
  ] as const)('outbound: %s with %j → %s', (outbound, secretFindings, kind) => {
    const check = createSecretsCheck(secrets(outbound));
    expect(check.evaluate(requestFacts({ secretFindings: [...secretFindings] }))).toMatchObject([{ kind }]);
  });

  test('the reason counts and names the detectors and places, never the secret', () => {
    const check = createSecretsCheck(secrets('deny'));
    expect(check.evaluate(requestFacts({ secretFindings: found }))).toEqual([{
      kind: 'deny',
      rule: 'secrets',
      reason: 'the request contains 3 secrets (openai-key, acme-token) in the body',
    }]);
    expect(check.evaluate(requestFacts({ secretFindings: [{ detector: 'openai-key', where: 'query' }, { detector: 'x', where: 'header x-debug' }] }))).toMatchObject([
      { reason: 'the request contains 2 secrets (openai-key, x) in the query, header x-debug' },
    ]);
  });

  test('redact allows with a note of what it redacted, so the decision line and replay say so', () => {
    const check = createSecretsCheck(secrets('redact'));
    const facts = requestFacts({ secretFindings: [{ detector: 'aws-access-key' }, { detector: 'github-token', where: 'query' }] });
    expect(check.evaluate(facts)).toEqual([{ kind: 'allow', note: 'redacted 2 secrets (aws-access-key, github-token) in the body, query' }]);
    expect(createSecretsCheck(secrets('allow')).evaluate(facts)).toEqual([{ kind: 'allow' }]);
  });

  test('redact refuses a secret it cannot rewrite (a multipart part)', () => {
    const check = createSecretsCheck(secrets('redact'));
    const facts = requestFacts({ secretFindings: [{ detector: 'aws-secret', where: 'multipart file "file" (.env)' }], unredactable: ['multipart file "file" (.env)'] });
    expect(check.evaluate(facts)).toMatchObject([{ kind: 'deny', reason: expect.stringContaining('cannot redact inside multipart file "file" (.env)') }]);
  });

  test.each([
    ['redact', 'ask', 'ask'],
    ['deny', 'deny', 'deny'],
    ['redact', 'allow', 'allow'],
    ['allow', 'deny', 'allow'], // outbound: allow does not look for secrets at all
  ] as const)('uninspectable parts with outbound %s, uninspectable %s → %s', (outbound, uninspectable, kind) => {
    const check = createSecretsCheck(secrets(outbound, uninspectable));
    const verdicts = check.evaluate(requestFacts({ uninspected: ['multipart file "file" (a.mp3, audio/mpeg, 9 bytes)'] }));
    expect(verdicts).toMatchObject([{ kind }]);
    if (kind !== 'allow') expect(verdicts).toMatchObject([{ reason: expect.stringContaining('cannot read multipart file "file"') }]);
  });
});
