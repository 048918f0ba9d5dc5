import { describe, expect, it } from 'vitest';
import { GuardrunError } from '../errors.js';
import { BUILTIN_DETECTORS, compileDetectors, isPlaceholderValue, leadingLiteral } from './detectors.js';
import { createScanner } from './scan.js';

// [detector, text, what must be masked]. All values are obviously fake.
const SAMPLES: Array<[string, string, string]> = [
  ['openai-key', 'sk-test-fake-000000000000000000000000', 'sk-test-fake-000000000000000000000000'],
  ['openai-key', 'sk-proj-fake-test-0000000000000000000000000', 'sk-proj-fake-test-0000000000000000000000000'],
  ['openai-key', 'sk-svcacct-fake-test-000000000000000000000', 'sk-svcacct-fake-test-000000000000000000000'],
  ['openai-key', 'sk-admin-fake-test-000000000000000000000', 'sk-admin-fake-test-000000000000000000000'],
  ['anthropic-key', 'sk-ant-api03-fake-test-0000000000000000000000', 'sk-ant-api03-fake-test-0000000000000000000000'],
  ['aws-access-key-id', 'AKIAFAKETEST00000000', 'AKIAFAKETEST00000000'],
  ['aws-access-key-id', 'ASIAFAKETEST00000000', 'ASIAFAKETEST00000000'],
  ['aws-secret-access-key', 'aws_secret_access_key = FAKEtestFAKEtestFAKEtestFAKEtest00000000', 'FAKEtestFAKEtestFAKEtestFAKEtest00000000'],
  ['aws-secret-access-key', '"SecretAccessKey": "FAKEtestFAKEtestFAKEtestFAKEtest0000/+00"', 'FAKEtestFAKEtestFAKEtestFAKEtest0000/+00'],
  ['github-token', 'ghp_FAKEtest0000000000000000000000000000', 'ghp_FAKEtest0000000000000000000000000000'],
  ['github-token', 'github_pat_FAKE_test_0000000000000000000000', 'github_pat_FAKE_test_0000000000000000000000'],
  ['gitlab-token', 'glpat-fake-test-000000000000', 'glpat-fake-test-000000000000'],
  ['slack-token', 'xoxb-0000-fake-test-token', 'xoxb-0000-fake-test-token'],
  ['slack-webhook', 'https://hooks.slack.com/services/TFAKE0000/BFAKE0000/faketest00000000', 'https://hooks.slack.com/services/TFAKE0000/BFAKE0000/faketest00000000'],
  ['stripe-key', 'sk_test_fake0000000000000000', 'sk_test_fake0000000000000000'],
  ['stripe-key', 'rk_live_fake0000000000000000', 'rk_live_fake0000000000000000'],
  ['google-api-key', 'AIzaFakeTestKey000000000000000000000000', 'AIzaFakeTestKey000000000000000000000000'],
  [
    'private-key',
    '-----BEGIN RSA PRIVATE KEY-----\nFAKETESTKEY0000\nMIIfaketest==\n-----END RSA PRIVATE KEY-----',
    '-----BEGIN RSA PRIVATE KEY-----\nFAKETESTKEY0000\nMIIfaketest==\n-----END RSA PRIVATE KEY-----',
  ],
  ['jwt', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlLXRlc3QifQ.fakeTestSignature0', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlLXRlc3QifQ.fakeTestSignature0'],
  ['password-assignment', 'password=fake-test-pass', 'fake-test-pass'],
  ['password-assignment', 'passwd: fake-test-pw', 'fake-test-pw'],
  ['password-assignment', 'secret: "fake test secret"', 'fake test secret'],
  ['password-assignment', "api_key = 'fake-test-key'", 'fake-test-key'],
  ['password-assignment', '{"client_secret":"fake-test-secret"}', 'fake-test-secret'],
  ['password-assignment', 'DB_PASSWORD=fake-test-pw2', 'fake-test-pw2'],
  ['password-assignment', 'const password = `fake-test-pw3`;', 'fake-test-pw3'],
];

const scanner = createScanner();

describe('BUILTIN_DETECTORS', () => {
  it('has unique ids and global regexes', () => {
    const ids = BUILTIN_DETECTORS.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of BUILTIN_DETECTORS) expect(d.regex.global, d.id).toBe(true);
  });

  it.each(SAMPLES)('%s finds %j and masks only the secret part', (id, text, secret) => {
    const line = `before ${text} after`;
    const { text: masked, findings } = scanner.mask(line);
    expect(findings.map((f) => f.detector)).toEqual([id]);
    expect(line.slice(findings[0].start, findings[0].end)).toBe(secret);
    expect(masked).toBe(line.replace(secret, `[REDACTED:${id}]`));
  });

  it.each([
    'use sk-learn-compatible-transformers-here and the task-based approach',
    'see task-sk-test-fake-000000000000000000000000 (inside a longer token)',
    'AKIAFAKETEST000000001 is one character too long',
    'the header says password= and nothing else',
    'password: <password>, secret: ********, api_key = "${API_KEY}", token: {{ token }}',
    'password: string; apiKey?: str; "secret": true, "api_key": null, "password": ""',
    'password = getPassword(); secret = config.secret, api_key = os.environ["X"]',
    'password: your_password_here, api_key=YOUR_API_KEY',
    '"max_tokens": 1000, "tokens_used": 12345678, "temperature": 0.7',
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlIn0 has only two segments',
    '-----BEGIN CERTIFICATE-----\nFAKETEST\n-----END CERTIFICATE-----',
    'password="[REDACTED:openai-key]" password=[REDACTED:credential]',
    'https://hooks.slack.com/services/ with nothing after it',
  ])('leaves %j alone', (text) => {
    expect(scanner.find(text)).toEqual([]);
  });

  it.each(SAMPLES)('%s tail holds every unfinished prefix of %j', (id, text) => {
    const detector = BUILTIN_DETECTORS.find((d) => d.id === id)!;
    const line = `x ${text}`;
    const match = new RegExp(detector.regex.source, detector.regex.flags.replace('g', '')).exec(line)!;
    const matchStart = match.index;
    // Every prefix that ends inside the match must be held from the match start (label included) or earlier.
    for (let end = matchStart + 1; end < matchStart + match[0].length; end++) {
      const m = detector.tail!.exec(line.slice(0, end));
      expect(m, `${id} at ${end}: ${JSON.stringify(line.slice(0, end))}`).not.toBeNull();
      expect(m!.index).toBeLessThanOrEqual(matchStart);
    }
  });

  it('masks an unterminated private key through the end of the text', () => {
    const text = 'here:\n-----BEGIN PRIVATE KEY-----\nFAKETEST0000\ncut off';
    expect(scanner.mask(text).text).toBe('here:\n[REDACTED:private-key]');
  });

  it('tails do not hold ordinary prose', () => {
    const prose = 'The answer is 42. Everything is fine, thanks for asking!\n';
    for (const d of BUILTIN_DETECTORS) expect(d.tail!.exec(prose), d.id).toBeNull();
  });
});

describe('isPlaceholderValue', () => {
  it.each(['', '  ', '<password>', '${DB_PASS}', '$DB_PASS', '********', 'null', 'changeme', 'user.password', 'f(x)'])(
    'treats %j as a placeholder',
    (v) => expect(isPlaceholderValue(v)).toBe(true),
  );
  it.each(['fake-test-pass', 'hunter2-fake', 'p@ss w0rd fake'])('treats %j as a value', (v) => {
    expect(isPlaceholderValue(v)).toBe(false);
  });
});

describe('leadingLiteral', () => {
  it.each([
    ['itk_fake_[0-9]{4,}', 'itk_fake_'],
    ['itk_', 'itk_'],
    ['ab?c', 'a'],
    ['abc*', 'ab'],
    ['a\\.b\\d+', 'a.b'],
    ['foo|bar', ''],
    ['^abc', ''],
    ['(abc)', ''],
    ['[a-z]+x', ''],
  ])('%j starts with %j', (source, literal) => expect(leadingLiteral(source)).toBe(literal));
});

describe('compileDetectors', () => {
  it('puts exact values first, then built-ins, then policy patterns', () => {
    const ds = compileDetectors({
      exact: [{ id: 'openai-real-key', value: 'sk-guardrun-fake-real-0000' }],
      patterns: [{ id: 'internal-token', regex: 'itk_fake_[0-9]{6}' }],
    });
    expect(ds[0]).toMatchObject({ id: 'openai-real-key', exact: true });
    expect(ds.slice(1, -1).map((d) => d.id)).toEqual(BUILTIN_DETECTORS.map((d) => d.id));
    expect(ds.at(-1)!.id).toBe('internal-token');
    expect(createScanner(ds).mask('a itk_fake_123456 b').text).toBe('a [REDACTED:internal-token] b');
    // Its literal prefix gives the stream masker a tail and the scanner a trigger.
    expect(ds.at(-1)!.triggers).toEqual(['itk_fake_']);
    expect(ds.at(-1)!.tail!.exec('see itk_fa')?.index).toBe(4);
    expect(ds.at(-1)!.tail!.exec('see itk_fake_12')?.index).toBe(4);
    expect(ds.at(-1)!.tail!.exec('see it all')).toBeNull();
  });

  it('escapes exact values and ignores empty ones', () => {
    const ds = compileDetectors({ exact: [{ id: 'dummy-key', value: 'fake.key+(test)' }, { id: 'empty', value: '' }], builtins: [] });
    expect(ds.map((d) => d.id)).toEqual(['dummy-key']);
    expect(createScanner(ds).mask('fake.key+(test) fakeXkey+(test)').text).toBe('[REDACTED:dummy-key] fakeXkey+(test)');
  });

  it('accepts /source/flags patterns', () => {
    const ds = compileDetectors({ patterns: [{ id: 'ci', regex: '/FAKE-[a-z]{4}/i' }], builtins: [] });
    expect(ds[0].regex.flags).toBe('gi');
    expect(createScanner(ds).find('fake-TEST')).toEqual([{ detector: 'ci', start: 0, end: 9 }]);
    // Not flags: a plain source that happens to contain slashes.
    const path = compileDetectors({ patterns: [{ id: 'path', regex: '/fake/local' }], builtins: [] });
    expect(createScanner(path).find('at /fake/local')).toEqual([{ detector: 'path', start: 3, end: 14 }]);
  });

  it('builds a bounded tail for a very long exact value', () => {
    const value = `fake-test-${'0123456789'.repeat(100)}`;
    const [d] = compileDetectors({ exact: [{ id: 'long', value }], builtins: [] });
    expect(d.tail!.exec(`x ${value.slice(0, 100)}`)?.index).toBe(2);
    expect(d.tail!.exec(`x ${value.slice(0, 700)}`)?.index).toBe(2);
    expect(createScanner([d]).mask(`a ${value} b`).text).toBe('a [REDACTED:long] b');
  });

  it('rejects an invalid pattern with E_POLICY naming it', () => {
    const attempt = () => compileDetectors({ patterns: [{ id: 'broken-one', regex: 'fake[' }] });
    expect(attempt).toThrow(GuardrunError);
    expect(attempt).toThrow(/broken-one/);
    try {
      attempt();
    } catch (error) {
      expect((error as GuardrunError).code).toBe('E_POLICY');
      expect((error as GuardrunError).fix).toMatch(/broken-one/);
    }
  });
});
