// Property tests over random inputs (fast-check): the policy loader, the request body classifier, the rule
// normaliser and the masking of refused JSON. Bounded in the default suite; `npm run test:fuzz` runs long.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GuardrunError } from '../../src/errors.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { createRequestRuleChecks } from '../../src/policy/checks/request-rules.js';
import { requestFacts } from '../../src/policy/test-facts.js';
import { readBody } from '../../src/proxy/body/read-body.js';
import { maskJsonText } from '../../src/secrets/mask-json-text.js';
import { createScanner } from '../../src/secrets/scan.js';
import { fuzzRuns } from './harness.js';

describe('policy loader', () => {
  it('any text: a policy or an E_POLICY error naming the file, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.anything({ maxDepth: 4 }).map((v) => String(stringify(v) ?? '')), fc.constantFrom('version: 1\n', 'version: 1\nrules: [{id: a, on: request, match: {text: "(("}, action: deny}]\n', '&a [*a]', 'version: 1\ncost: {approve_over_usd: -1}\n')), (text) => {
        try {
          const policy = parsePolicy(text, 'p.yaml');
          expect(policy.version).toBe(1);
        } catch (error) {
          expect(error).toBeInstanceOf(GuardrunError);
          expect((error as GuardrunError).message).toContain('p.yaml');
        }
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('random policy-shaped objects: parsed or refused, never a crash', () => {
    const policyish = fc.record({
      version: fc.constantFrom(1, 2, '1'),
      endpoints: fc.option(fc.record({ allow: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }) })),
      secrets: fc.option(fc.record({ outbound: fc.constantFrom('deny', 'ask', 'redact', 'allow', 'nope'), uninspectable: fc.constantFrom('deny', 'ask', 'allow', 3) })),
      upstream: fc.option(fc.record({ first_byte_timeout_s: fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.constant('x')) })),
      rules: fc.option(fc.array(fc.record({ id: fc.string({ maxLength: 8 }), on: fc.constantFrom('request', 'response'), match: fc.record({ words: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }) }), action: fc.constantFrom('deny', 'ask', 'allow', 'x') }), { maxLength: 3 })),
    }, { requiredKeys: ['version'] });
    fc.assert(
      fc.property(policyish, (value) => {
        try {
          parsePolicy(stringify(value), 'p.yaml');
        } catch (error) {
          expect(error).toBeInstanceOf(GuardrunError);
        }
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});

describe('request body classifier', () => {
  const types = fc.constantFrom('', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=B', 'multipart/form-data', 'application/octet-stream', 'image/png', 'x/y; a=b');

  it('any bytes, any type: a kind or a 400 refusal, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.string({ maxLength: 600 }).map((s) => new TextEncoder().encode(s))), types, async (bytes, type) => {
        const read = await readBody(Buffer.from(bytes), type);
        if ('refused' in read) expect(read.refused.error.status).toBe(400);
        else expect(['none', 'json', 'text', 'form', 'multipart', 'binary']).toContain(read.kind);
      }),
      { numRuns: fuzzRuns(400) },
    );
  });

  it('any JSON value sent as JSON is read as that value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        const text = JSON.stringify(value);
        const read = await readBody(Buffer.from(text), 'application/json');
        expect('refused' in read ? read.refused.error.code : read.kind).toBe('json');
        if (!('refused' in read)) expect(read.json).toEqual(JSON.parse(text));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});

describe('rule normalisation', () => {
  const [check] = createRequestRuleChecks([{ id: 'w', on: 'request', match: { words: ['bluebird'] }, action: 'deny' }]);
  const invisible = fc.constantFrom('\u200b', '\u200c', '\u200d', '\u2060', '\u00ad', '\u200e', '\u200f', '\ufe0f', '\ufeff', '\u{e0041}', '\u034f');
  const lookalike: Record<string, string[]> = { b: ['\u13cf', '\u042c', 'ｂ', '𝐛'], l: ['\u04c0', 'ⅼ', 'ｌ'], u: ['\u057d', 'ｕ', '𝐮'], e: ['\u0435', 'ｅ', '𝐞'], i: ['\u0456', '\u0131', 'ｉ'], r: ['\u0433', 'ｒ', '𝐫'], d: ['\u0501', 'ｄ', '𝐝'] };

  it('a banned word with invisible characters inserted and letters swapped for look-alikes is still caught', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), invisible, fc.nat(3)), { minLength: 8, maxLength: 8 }), (choices) => {
        const word = [...'bluebird'].map((c, i) => {
          const [insert, mark, pick] = choices[i];
          const alt = lookalike[c];
          const letter = pick > 0 && alt ? alt[pick % alt.length] : c;
          return insert ? mark + letter : letter;
        }).join('');
        expect(check.evaluate(requestFacts({ texts: [`about ${word} today`] })), JSON.stringify(word)).toMatchObject({ kind: 'deny' });
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});

describe('refused JSON is recorded masked', () => {
  const scanner = createScanner();
  const mask = (t: string): string => scanner.mask(t).text;
  const TOKEN = 'ghp_' + 'Z'.repeat(36);

  it('however the secret is escaped, the recorded text does not reveal it', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: TOKEN.length, maxLength: TOKEN.length }), fc.string({ maxLength: 30 }), fc.boolean(), (escapes, noise, terminate) => {
        const escaped = [...TOKEN].map((c, i) => (escapes[i] ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
        const text = `{"a":${JSON.stringify(noise)},"b":"${escaped}${terminate ? '"}' : ''}`;
        const masked = maskJsonText(text, mask);
        if (masked === undefined) return; // recorded by its size only
        const unescaped = masked.replace(/\\u([0-9a-f]{4})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
        expect(unescaped.includes(TOKEN)).toBe(false);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});
