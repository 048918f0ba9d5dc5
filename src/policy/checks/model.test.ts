import { describe, expect, test } from 'vitest';
import { requestFacts } from '../test-facts.js';
import { createModelCheck, needsModel } from './model.js';

describe('model check', () => {
  const check = createModelCheck({ allow: ['gpt-4.1*', 'gpt-5*', 'o4-mini*', 'claude-*'], deny: ['*-realtime-*'], unknown: 'deny' });
  test.each([
    ['gpt-4.1-mini', 'allow'],
    ['GPT-5', 'allow'], // globs ignore case
    ['claude-sonnet-4-5', 'allow'],
    ['gpt-4o', 'deny'],
    ['gpt-4.1-realtime-preview', 'deny'],
    ['text-embedding-3-small', 'deny'],
  ])('%s → %s', (model, kind) => {
    expect(check.evaluate(requestFacts({ model }))).toMatchObject({ kind });
  });

  test('reasons say which list', () => {
    expect(check.evaluate(requestFacts({ model: 'gpt-5-realtime-x' }))).toEqual({ kind: 'deny', rule: 'model', reason: 'model "gpt-5-realtime-x" is denied by models.deny "*-realtime-*"' });
    expect(check.evaluate(requestFacts({ model: 'llama' }))).toEqual({ kind: 'deny', rule: 'model', reason: 'model "llama" is not in models.allow' });
  });
});

describe('model check: model unknown', () => {
  const base = { allow: ['*'], deny: [] };
  test.each([
    ['deny', 'POST', '/v1/chat/completions', 'deny'],
    ['ask', 'POST', '/v1/responses', 'ask'],
    ['allow', 'POST', '/anthropic/v1/messages', 'allow'],
    ['deny', 'GET', '/v1/models', 'allow'], // this endpoint names no model
    ['deny', 'POST', '/v1/files', 'allow'],
  ] as const)('unknown: %s, %s %s → %s', (unknown, method, path, kind) => {
    const verdict = createModelCheck({ ...base, unknown }).evaluate(requestFacts({ method, path, model: undefined }));
    expect(verdict).toMatchObject({ kind });
    if (kind !== 'allow') expect(verdict).toMatchObject({ rule: 'model', reason: expect.stringContaining('could not be determined') });
  });

  test('needsModel', () => {
    expect(needsModel({ method: 'POST', path: '/openai/deployments/d/chat/completions' })).toBe(true);
    expect(needsModel({ method: 'POST', path: '/anthropic/v1/messages/count_tokens' })).toBe(true);
    expect(needsModel({ method: 'POST', path: '/v1/responses/resp_1/cancel' })).toBe(false);
    expect(needsModel({ method: 'GET', path: '/v1/responses' })).toBe(false);
    // WebSocket client events name a model; the upgrade (no body) does not.
    expect(needsModel({ method: 'WS', path: '/v1/responses', body: { type: 'response.create' } })).toBe(true);
    expect(needsModel({ method: 'WS', path: '/v1/realtime', body: { type: 'session.update' } })).toBe(true);
    expect(needsModel({ method: 'WS', path: '/v1/responses' })).toBe(false);
  });
});
