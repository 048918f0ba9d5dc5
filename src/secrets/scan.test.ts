import { describe, expect, it } from 'vitest';
import { compileDetectors, type Detector } from './detectors.js';
import { applyFindings, createScanner, redaction } from './scan.js';

const REAL = 'sk-guardrun-fake-real-0000000000000000000000';
const scanner = createScanner(compileDetectors({ exact: [{ id: 'openai-real-key', value: REAL }] }));

describe('createScanner', () => {
  it('returns sorted, non-overlapping findings with offsets into the text', () => {
    const text = 'a=AKIAFAKETEST00000000 b=sk-test-fake-000000000000000000000000 c=ghp_FAKEtest0000000000000000000000000000';
    const findings = scanner.find(text);
    expect(findings.map((f) => f.detector)).toEqual(['aws-access-key-id', 'openai-key', 'github-token']);
    for (let i = 1; i < findings.length; i++) expect(findings[i].start).toBeGreaterThanOrEqual(findings[i - 1].end);
    expect(text.slice(findings[1].start, findings[1].end)).toBe('sk-test-fake-000000000000000000000000');
  });

  it('masks with [REDACTED:<id>] and returns the findings', () => {
    const { text, findings } = scanner.mask('key: sk-test-fake-000000000000000000000000.');
    expect(text).toBe('key: [REDACTED:openai-key].');
    expect(findings).toHaveLength(1);
    expect(applyFindings('key: sk-test-fake-000000000000000000000000.', findings)).toBe(text);
  });

  it('returns the same string when nothing is found', () => {
    const text = 'nothing secret here: max_tokens=100';
    expect(scanner.mask(text)).toEqual({ text, findings: [] });
  });

  it('names a span after the exact value even when a regex also matches it', () => {
    expect(scanner.mask(`Authorization: Bearer ${REAL}`).text).toBe('Authorization: Bearer [REDACTED:openai-real-key]');
    // The regex match runs longer than the exact value: the whole run is masked, named after the exact value.
    expect(scanner.mask(`${REAL}extra0`).text).toBe('[REDACTED:openai-real-key]');
  });

  it('finds exact values anywhere, even inside other tokens', () => {
    expect(scanner.mask(`prefix${REAL}`).text).toBe('prefix[REDACTED:openai-real-key]');
  });

  it('prefers the specific detector over password-assignment for the same value', () => {
    expect(scanner.mask('OPENAI_API_KEY=sk-test-fake-000000000000000000000000').text).toBe(
      'OPENAI_API_KEY=[REDACTED:openai-key]',
    );
  });

  it('merges overlapping matches so no part of either shows', () => {
    const ds: Detector[] = [
      { id: 'left', description: '', regex: /fake-aaaa-bbbb/g },
      { id: 'right', description: '', regex: /bbbb-cccc-test/g },
    ];
    expect(createScanner(ds).mask('x fake-aaaa-bbbb-cccc-test y').text).toBe('x [REDACTED:left] y');
  });

  it('masks only the secret group, and skips matches where it did not take part', () => {
    const ds: Detector[] = [{ id: 'kv', description: '', regex: /fake_(?:key=(?<secret>\w+)|other)/g }];
    const s = createScanner(ds);
    expect(s.mask('fake_key=test123 fake_other').text).toBe('fake_key=[REDACTED:kv] fake_other');
  });

  it('survives patterns that match the empty string', () => {
    const s = createScanner(compileDetectors({ patterns: [{ id: 'empty', regex: 'z*' }], builtins: [] }));
    expect(s.mask('a zz b').text).toBe('a [REDACTED:empty] b');
  });

  it('sees overlapping triggers of different detectors', () => {
    const ds: Detector[] = [
      { id: 'abc', description: '', regex: /bc\d/g, triggers: ['fabc'] },
      { id: 'bcd', description: '', regex: /bcd\d/g, triggers: ['bcd'] },
      { id: 'fa', description: '', regex: /f(?=a)/g, triggers: ['fa'] },
    ];
    const s = createScanner(ds);
    // 'bcd' starts inside the 'fabc' hit; 'fa' is a prefix of it.
    expect(s.find('fabcd1').map((f) => f.detector)).toEqual(['fa', 'bcd']);
    expect(s.find('fabc1').map((f) => f.detector)).toEqual(['fa', 'abc']);
    expect(s.find('xbc1 bcd2')).toEqual([{ detector: 'bcd', start: 5, end: 9 }]);
  });

  it('finds an Anthropic key although "sk-" also triggers the OpenAI detector', () => {
    expect(scanner.mask('sk-ant-api03-fake-test-0000000000000000000000').text).toBe('[REDACTED:anthropic-key]');
  });

  it('is idempotent: masking masked text changes nothing', () => {
    const text =
      'password=fake-test-pass "api_key": "fake test key" sk-test-fake-000000000000000000000000 ' +
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlLXRlc3QifQ.fakeTestSignature0';
    const once = scanner.mask(text).text;
    expect(scanner.mask(once).text).toBe(once);
  });

  it('does not share regex state between scanners or calls', () => {
    const other = createScanner();
    const text = 'sk-test-fake-000000000000000000000000 and sk-test-fake-111111111111111111111111';
    expect(other.find(text)).toEqual(scanner.find(text));
    expect(scanner.find(text)).toHaveLength(2);
  });

  it('exports the marker format', () => {
    expect(redaction('jwt')).toBe('[REDACTED:jwt]');
  });
});

describe('adversarial input (200 KB) completes', () => {
  const size = 200_000;
  const fill = (unit: string): string => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  it.each([
    'sk-', 'sk-a', 'eyJ', 'eyJa.', 'eyJaaaa.eyJaaaa.', 'password=', 'password: "', 'password=a.', 'api_key = <',
    'passwordpassword', '-----BEGIN RSA PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----\n', 'aws_secret_access_key=',
    'AKIA', 'ghp_', 'xoxb-', 'https://hooks.slack.com/services/T', 'A', 'a.', 'secret_', '"secret": "x', 'password=${',
  ])('repeated %j', (unit) => {
    const text = fill(unit);
    const { text: masked } = scanner.mask(text);
    expect(typeof masked).toBe('string');
  });

  it('one long unterminated private key and one long token', () => {
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${'A'.repeat(size)}`;
    expect(scanner.find(pem)).toEqual([]); // longer than any real key: not a match, and no hang
    const token = `sk-fake-test-0${'a'.repeat(size)}`;
    expect(scanner.find(token)).toEqual([{ detector: 'openai-key', start: 0, end: token.length }]);
  });
});
