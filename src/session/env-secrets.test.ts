import { describe, expect, it } from 'vitest';
import { withheldVariables } from './env-secrets.js';

const REAL = 'sk-test-fake-openai-real-key-000000000000000000000000';

describe('withheldVariables', () => {
  it('withholds key-shaped values under any name, and copies of a held key', () => {
    const env = {
      PATH: '/usr/bin',
      HOME: '/home/u',
      MY_OPENAI_KEY: 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9o',
      OPENROUTER_API_KEY: 'sk-or-v1-' + 'b'.repeat(64),
      GITHUB_TOKEN: 'ghp_' + 'c'.repeat(36),
      DB_PASSWORD: 'hunter2hunter2',
      UPPER: REAL.toUpperCase(),
      B64: Buffer.from(REAL).toString('base64'),
      HEXED: Buffer.from(REAL).toString('hex'),
      EDITOR: 'vim',
      GUARDRUN_SESSION: 'abc',
    };
    expect(withheldVariables({ env, realKeys: [REAL] })).toEqual(['B64', 'DB_PASSWORD', 'GITHUB_TOKEN', 'HEXED', 'MY_OPENAI_KEY', 'OPENROUTER_API_KEY', 'UPPER']);
  });

  it('--pass-env keeps a name; names handled elsewhere are skipped', () => {
    const env = { GITHUB_TOKEN: 'ghp_' + 'c'.repeat(36), OPENAI_API_KEY: 'sk-proj-' + 'a'.repeat(40) };
    expect(withheldVariables({ env, realKeys: [], pass: ['GITHUB_TOKEN'], skip: ['OPENAI_API_KEY'] })).toEqual([]);
  });
});
