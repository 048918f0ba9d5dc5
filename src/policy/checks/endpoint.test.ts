import { describe, expect, test } from 'vitest';
import { DEFAULT_POLICY } from '../default.js';
import { requestFacts } from '../test-facts.js';
import { createEndpointCheck } from './endpoint.js';

describe('endpoint check (default endpoints)', () => {
  const check = createEndpointCheck(DEFAULT_POLICY.endpoints);
  test.each([
    ['POST', '/v1/chat/completions', 'allow'],
    ['POST', '/v1/responses', 'allow'],
    ['POST', '/v1/embeddings', 'allow'],
    ['GET', '/v1/models', 'allow'],
    ['GET', '/v1/models/gpt-5', 'allow'],
    ['POST', '/anthropic/v1/messages', 'allow'],
    ['POST', '/anthropic/v1/messages/count_tokens', 'allow'],
    ['GET', '/v1/chat/completions', 'deny'],
    ['POST', '/v1/files', 'deny'],
    ['DELETE', '/v1/models/ft:gpt-4.1:acme', 'deny'],
    ['POST', '/v1/fine_tuning/jobs', 'deny'],
    ['POST', '/v1/chat/completions/', 'deny'],
    ['POST', '/v1/messages', 'deny'],
  ])('%s %s → %s', (method, path, kind) => {
    const verdict = check.evaluate(requestFacts({ method, path }));
    expect(verdict).toMatchObject({ kind });
    if (kind === 'deny') expect(verdict).toEqual({ kind: 'deny', rule: 'endpoint', reason: `endpoint ${method} ${path} is not in endpoints.allow` });
  });
});

describe('endpoint check (allow with deny exceptions)', () => {
  const check = createEndpointCheck({ allow: ['* /v1/*'], deny: ['* /v1/files*', 'DELETE *'] });
  test.each([
    ['POST', '/v1/batches', 'allow'],
    ['POST', '/v1/files', 'deny'],
    ['GET', '/v1/files/file-1/content', 'deny'],
    ['DELETE', '/v1/responses/resp_1', 'deny'],
    ['POST', '/anthropic/v1/messages', 'deny'],
  ])('%s %s → %s', (method, path, kind) => {
    expect(check.evaluate(requestFacts({ method, path }))).toMatchObject({ kind });
  });

  test('a deny names the glob that matched', () => {
    expect(check.evaluate(requestFacts({ method: 'DELETE', path: '/v1/x' }))).toMatchObject({ reason: 'endpoint DELETE /v1/x is denied by endpoints.deny "DELETE *"' });
  });
});
