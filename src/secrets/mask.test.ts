import { describe, expect, it } from 'vitest';
import { compileDetectors } from './detectors.js';
import { CREDENTIAL_HEADERS, maskHeaders, maskJson } from './mask.js';
import { createScanner } from './scan.js';

const DUMMY = 'sk-guardrun-fake-dummy-00000000000000000000000';
const scanner = createScanner(compileDetectors({ exact: [{ id: 'dummy-key', value: DUMMY }] }));
const KEY = 'sk-test-fake-000000000000000000000000';

describe('maskJson', () => {
  it('masks every string, deep, and reports JSON pointers', () => {
    const input = {
      model: 'gpt-fake',
      messages: [
        { role: 'user', content: `my key is ${KEY}, ok?` },
        { role: 'assistant', content: [{ type: 'text', text: `use ${DUMMY}` }] },
      ],
      n: 1,
      stream: true,
      stop: null,
    };
    const { value, findings } = maskJson(input, scanner);
    expect(value).toEqual({
      model: 'gpt-fake',
      messages: [
        { role: 'user', content: 'my key is [REDACTED:openai-key], ok?' },
        { role: 'assistant', content: [{ type: 'text', text: 'use [REDACTED:dummy-key]' }] },
      ],
      n: 1,
      stream: true,
      stop: null,
    });
    expect(findings).toEqual([
      { detector: 'openai-key', start: 10, end: 10 + KEY.length, path: '/messages/0/content' },
      { detector: 'dummy-key', start: 4, end: 4 + DUMMY.length, path: '/messages/1/content/0/text' },
    ]);
  });

  it('does not modify its input', () => {
    const input = { a: [KEY], b: { c: KEY } };
    const copy = structuredClone(input);
    maskJson(input, scanner);
    expect(input).toEqual(copy);
  });

  it('masks whole values under secret-named keys, keeping placeholders', () => {
    const { value, findings } = maskJson(
      {
        password: 'fake pass',
        db_password: 'x',
        apiKey: KEY,
        client_secret: '${CLIENT_SECRET}',
        secrets: ['fake-one', 'fake-two'],
        max_tokens: 100,
        description: 'the password field',
      },
      scanner,
    );
    expect(value).toEqual({
      password: '[REDACTED:password-assignment]',
      db_password: '[REDACTED:password-assignment]',
      apiKey: '[REDACTED:openai-key]',
      client_secret: '${CLIENT_SECRET}',
      secrets: ['[REDACTED:password-assignment]', '[REDACTED:password-assignment]'],
      max_tokens: 100,
      description: 'the password field',
    });
    expect(findings.map((f) => f.path)).toEqual(['/password', '/db_password', '/apiKey', '/secrets/0', '/secrets/1']);
  });

  it('masks secrets inside JSON-in-a-string (tool call arguments)', () => {
    const args = JSON.stringify({ password: 'fake-test-pass', user: 'fake' });
    const { value } = maskJson({ arguments: args }, scanner);
    expect(value).toEqual({ arguments: '{"password":"[REDACTED:password-assignment]","user":"fake"}' });
  });

  it('masks keys, keeps key order, and escapes pointers', () => {
    const { value, findings } = maskJson({ first: 1, [KEY]: 'v', 'a/b~c': KEY, last: 2 }, scanner);
    expect(Object.keys(value as object)).toEqual(['first', '[REDACTED:openai-key]', 'a/b~c', 'last']);
    expect(findings).toContainEqual({ detector: 'openai-key', start: 0, end: KEY.length, path: `/${KEY}`, key: true });
    expect(findings).toContainEqual({ detector: 'openai-key', start: 0, end: KEY.length, path: '/a~1b~0c' });
  });

  it('keeps a __proto__ key as plain data', () => {
    const parsed = JSON.parse(`{"__proto__": {"polluted": "${KEY}"}}`);
    const { value } = maskJson(parsed, scanner);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(JSON.stringify(value)).toBe('{"__proto__":{"polluted":"[REDACTED:openai-key]"}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('handles a top-level string and very deep nesting', () => {
    expect(maskJson(KEY, scanner).value).toBe('[REDACTED:openai-key]');
    const depth = 100_000;
    const deep = JSON.parse(`${'['.repeat(depth)}"${KEY}"${']'.repeat(depth)}`);
    const { value, findings } = maskJson(deep, scanner);
    let inner: unknown = value;
    for (let i = 0; i < depth; i++) inner = (inner as unknown[])[0];
    expect(inner).toBe('[REDACTED:openai-key]');
    expect(findings).toHaveLength(1);
  });
});

describe('maskHeaders', () => {
  it('replaces credential headers and lower-cases names', () => {
    const out = maskHeaders({
      Authorization: `Bearer ${DUMMY}`,
      'X-Api-Key': DUMMY,
      'api-key': DUMMY,
      'Proxy-Authorization': 'Basic ZmFrZTp0ZXN0',
      Cookie: 'session=fake',
      'content-type': 'application/json',
      'content-length': 12,
      'x-absent': undefined,
    });
    expect(out).toEqual({
      authorization: '[REDACTED:credential]',
      'x-api-key': '[REDACTED:credential]',
      'api-key': '[REDACTED:credential]',
      'proxy-authorization': '[REDACTED:credential]',
      cookie: '[REDACTED:credential]',
      'content-type': 'application/json',
      'content-length': '12',
    });
    expect(CREDENTIAL_HEADERS).toContain('set-cookie');
  });

  it('drops extra headers, joins repeated values, and masks secrets in others with a scanner', () => {
    const out = maskHeaders(
      { 'X-Custom-Token': 'fake', 'set-cookie': ['a=fake', 'b=fake'], via: ['1.1 a', '1.1 b'], 'x-debug': `key ${KEY}` },
      { drop: ['x-custom-token'], scanner },
    );
    expect(out).toEqual({
      'x-custom-token': '[REDACTED:credential]',
      'set-cookie': '[REDACTED:credential]',
      via: '1.1 a, 1.1 b',
      'x-debug': 'key [REDACTED:openai-key]',
    });
  });

  it('accepts a Headers object', () => {
    const headers = new Headers({ authorization: `Bearer ${DUMMY}`, accept: 'text/event-stream' });
    expect(maskHeaders(headers)).toEqual({ authorization: '[REDACTED:credential]', accept: 'text/event-stream' });
  });
});
