import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createCleanCheck } from './clean-strings.js';
import { createScanner } from './scan.js';
import { maskJson } from './mask.js';

const SECRET = 'sk-proj-test-fake-0123456789abcdefghijklmnopqrstuv';
const long = (seed: string): string => `${seed} `.repeat(200);

describe('createCleanCheck', () => {
  it('finds a secret in any string, nested anywhere', () => {
    const check = createCleanCheck(createScanner());
    expect(check.isClean({ messages: [{ role: 'user', content: long('hello') }] })).toBe(true);
    expect(check.isClean({ messages: [{ role: 'user', content: [{ type: 'text', text: `key ${SECRET}` }] }] })).toBe(false);
    expect(check.isClean({ tools: [{ a: { b: { c: [long('x'), `${long('y')} ${SECRET}`] } } }] })).toBe(false);
  });

  it('treats a secret-named key as not known clean (the raw scan decides on "password": value pairs)', () => {
    const check = createCleanCheck(createScanner());
    expect(check.isClean({ config: { db_password: 'hunter22hunter' } })).toBe(false);
    expect(check.isClean({ config: { host: 'db.internal' } })).toBe(true);
  });

  it('scans a long string once, then remembers it is clean', () => {
    const scanner = createScanner();
    const find = vi.spyOn(scanner, 'find');
    const check = createCleanCheck(scanner);
    const history = Array.from({ length: 20 }, (_, i) => ({ role: 'user', content: long(`turn ${i}`) }));
    expect(check.isClean({ messages: history })).toBe(true);
    const longScans = (): number => find.mock.calls.filter(([text]) => text.length >= 256).length;
    expect(longScans()).toBe(20);
    expect(check.isClean({ messages: [...history, { role: 'user', content: long('new turn') }] })).toBe(true);
    expect(longScans()).toBe(21); // only the new message was scanned again
    // A string found dirty is never cached as clean.
    const dirty = `${long('z')} ${SECRET}`;
    expect(check.isClean({ messages: [dirty] })).toBe(false);
    expect(check.isClean({ messages: [dirty] })).toBe(false);
  });
});

describe('createCleanCheck soundness (property)', () => {
  // Raise with GUARDRUN_FUZZ_RUNS (npm run test:long runs 20,000).
  const runs = Number(process.env.GUARDRUN_FUZZ_RUNS ?? 300);
  const plants = [
    SECRET, 'AKIAFAKETEST00000000', 'ghp_FAKEtest0000000000000000000000000000', 'password=fake-test-pass',
    'aws_secret_access_key = FAKEtestFAKEtestFAKEtestFAKEtest00000000', '"api_key": "fake test key"',
    '-----BEGIN RSA PRIVATE KEY-----\nFAKETESTKEY0000\n-----END RSA PRIVATE KEY-----', 'xoxb-0000-fake-test-token',
  ];
  const piece = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '\n', ':', '=', '"', '-', '_', 'sk', 'pass', 'word', 'secret', 'key'), maxLength: 30 }),
    fc.constantFrom(...plants),
  );
  const text = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(' '));
  const key = fc.constantFrom('role', 'content', 'text', 'name', 'args', 'note', 'db_password', 'apiKey', 'x');
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
  })).value;

  it('never calls a body clean when masking it string by string (maskJson) finds a secret', () => {
    const scanner = createScanner();
    const check = createCleanCheck(scanner);
    fc.assert(
      fc.property(json, (body) => {
        if (check.isClean(body)) expect(maskJson(body, scanner).findings).toEqual([]);
      }),
      { numRuns: runs },
    );
  });
});
