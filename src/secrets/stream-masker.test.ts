import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileDetectors } from './detectors.js';
import { createScanner } from './scan.js';
import { ChannelText, createStreamMasker, type StreamMasker } from './stream-masker.js';

const REAL = 'sk-guardrun-fake-real-000000000000000000000000000000';
const scanner = createScanner(
  compileDetectors({
    exact: [{ id: 'openai-real-key', value: REAL }],
    patterns: [{ id: 'internal-token', regex: 'itk_fake_[0-9]{4,}' }],
  }),
);

// [text to plant, the secret part that must never come out]. All obviously fake, all valid per regex.
const PLANTS: Array<[string, string]> = [
  ['sk-test-fake-000000000000000000000000', 'sk-test-fake-000000000000000000000000'],
  ['sk-proj-fake-test-00000000000000000000000000', 'sk-proj-fake-test-00000000000000000000000000'],
  ['sk-ant-api03-fake-test-0000000000000000000000', 'sk-ant-api03-fake-test-0000000000000000000000'],
  ['AKIAFAKETEST00000000', 'AKIAFAKETEST00000000'],
  ['aws_secret_access_key = FAKEtestFAKEtestFAKEtestFAKEtest00000000', 'FAKEtestFAKEtestFAKEtestFAKEtest00000000'],
  ['ghp_FAKEtest0000000000000000000000000000', 'ghp_FAKEtest0000000000000000000000000000'],
  ['github_pat_FAKE_test_0000000000000000000000', 'github_pat_FAKE_test_0000000000000000000000'],
  ['glpat-fake-test-000000000000', 'glpat-fake-test-000000000000'],
  ['xoxb-0000-fake-test-token', 'xoxb-0000-fake-test-token'],
  ['https://hooks.slack.com/services/TFAKE0000/BFAKE0000/faketest00000000', 'TFAKE0000/BFAKE0000/faketest00000000'],
  ['sk_test_fake0000000000000000', 'sk_test_fake0000000000000000'],
  ['AIzaFakeTestKey000000000000000000000000', 'AIzaFakeTestKey000000000000000000000000'],
  ['-----BEGIN RSA PRIVATE KEY-----\nFAKETESTKEY0000\nMIIfaketest==\n-----END RSA PRIVATE KEY-----', 'FAKETESTKEY0000\nMIIfaketest=='],
  ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlLXRlc3QifQ.fakeTestSignature0', 'eyJzdWIiOiJmYWtlLXRlc3QifQ.fakeTestSignature0'],
  ['password=fake-test-pass', 'fake-test-pass'],
  ['"api_key": "fake test key"', 'fake test key'],
  [REAL, REAL],
];

function streamAll(masker: StreamMasker, chunks: readonly string[]): string {
  let out = '';
  for (const c of chunks) out += masker.push(c);
  return out + masker.flush();
}

const splitAt = (text: string, points: readonly number[]): string[] => {
  const sorted = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let at = 0;
  for (const p of [...sorted, text.length]) {
    chunks.push(text.slice(at, p));
    at = p;
  }
  return chunks;
};

describe('createStreamMasker', () => {
  it.each(PLANTS)('masks %j delivered one character at a time', (plant, secret) => {
    const text = `Here it is: ${plant}\nDone.`;
    const out = streamAll(createStreamMasker(scanner), [...text]);
    expect(out).toBe(scanner.mask(text).text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED:');
  });

  it('releases ordinary text at once', () => {
    const m = createStreamMasker(scanner);
    expect(m.push('Hello, world. ')).toBe('Hello, world. ');
    expect(m.push('The answer is 42.\n')).toBe('The answer is 42.\n');
    expect(m.heldLength).toBe(0);
    expect(m.flush()).toBe('');
  });

  it('holds only the tail that could start a secret, and only until it cannot', () => {
    const m = createStreamMasker(scanner);
    expect(m.push('your key: s')).toBe('your key: ');
    expect(m.push('k-test-fake-0000')).toBe('');
    expect(m.push('00000000000000000000 and')).toBe('[REDACTED:openai-key] and');
    expect(m.push(' sky')).toBe(' sky');
    expect(m.push(' pass')).toBe(' ');
    expect(m.push('ed.')).toBe('passed.');
    expect(m.flush()).toBe('');
  });

  it('holds a private key block until its END line, then masks it whole', () => {
    const m = createStreamMasker(scanner);
    expect(m.push('key:\n-----BEGIN RSA PRIV')).toBe('key:\n');
    expect(m.push('ATE KEY-----\nFAKETEST0000\n')).toBe('');
    expect(m.heldLength).toBeGreaterThan(0);
    expect(m.push('-----END RSA PRIVATE KEY-----\nthanks!')).toBe('[REDACTED:private-key]\nthanks!');
  });

  it('releases a certificate without waiting for its end', () => {
    const m = createStreamMasker(scanner);
    expect(m.push('-----BEGIN CERTIFICATE-----\n')).toBe('-----BEGIN CERTIFICATE-----\n');
  });

  it('keeps the label visible for password-assignment', () => {
    const out = streamAll(createStreamMasker(scanner), ['DB_PASS', 'WORD=fake', '-test-pw', '\nnext']);
    expect(out).toBe('DB_PASSWORD=[REDACTED:password-assignment]\nnext');
  });

  it('releases what it held at flush, masked', () => {
    const m = createStreamMasker(scanner);
    expect(m.push('ends with sk-test-fake-000000000000000000000000')).toBe('ends with ');
    expect(m.flush()).toBe('[REDACTED:openai-key]');
    expect(m.push('reusable after flush.')).toBe('reusable after flush.');
  });

  it('gives up holding past maxSecretLength (and still masks what it found)', () => {
    const m = createStreamMasker(scanner, { maxSecretLength: 16 });
    expect(m.push('sk-test-fake-000000000000000000000000')).toBe('[REDACTED:openai-key]');
  });

  it('never holds more than maxSecretLength, even when a label sits inside a long token', () => {
    const m = createStreamMasker(scanner, { maxSecretLength: 64 });
    let released = '';
    released += m.push('sk-fake-test-0');
    for (let i = 0; i < 50; i++) {
      released += m.push('aaaapassword');
      expect(m.heldLength).toBeLessThanOrEqual(64);
    }
    expect(released.startsWith('[REDACTED:openai-key]')).toBe(true);
  });

  it('holds the trailing token run for a policy pattern it cannot analyse', () => {
    const s = createScanner(compileDetectors({ patterns: [{ id: 'digits', regex: '[0-9]{6}-fake' }], builtins: [] }));
    const m = createStreamMasker(s);
    expect(m.push('code 1234')).toBe('code ');
    expect(m.push('56-fake ok')).toBe('[REDACTED:digits] ');
    expect(m.flush()).toBe('ok');
  });

  it('push maps one delta to the text released with it', () => {
    const m = createStreamMasker(scanner);
    const events = ['Use ', 'sk-test-', 'fake-000000000000', '000000000000', ' now.'];
    const out = events.map((e) => m.push(e));
    expect(out).toEqual(['Use ', '', '', '', '[REDACTED:openai-key] now.']);
  });
});

describe('ChannelText', () => {
  it('says how far the text is settled, and releases at any settled point that cuts no finding', () => {
    const c = new ChannelText(scanner);
    c.append('a: ');
    expect(c.settled).toBe(3);
    c.append('sk-test-fake-00');
    expect(c.settled).toBe(3); // a key may be forming
    c.append('0000000000000000000000 ok');
    expect(c.settled).toBe(c.length);
    expect(c.straddling(10)).toEqual({ matchStart: 3, end: 40 });
    expect(c.straddling(3)).toBeUndefined();
    const first = c.release(3);
    expect(first).toEqual({ from: 0, text: 'a: ', findings: [] });
    const rest = c.release(c.length);
    expect(rest.from).toBe(3);
    expect(rest.findings).toEqual([{ detector: 'openai-key', start: 0, end: 37 }]);
  });

  it('refuses text after its end', () => {
    const c = new ChannelText(scanner);
    c.append('x');
    c.end();
    expect(c.settled).toBe(1);
    expect(() => c.append('y')).toThrow(/after its end/);
  });
});

describe('stream masking property', () => {
  const filler = fc.string({
    unit: fc.constantFrom(
      'a', 'Z', '0', '7', ' ', ' ', '\n', '.', ',', ':', '=', '"', "'", '-', '_', '/', '+',
      'sk', 'eyJ', 'pass', 'word', 'secret', '-----', 'BEGIN', 'END', 'AKIA', 'key', 'x',
    ),
    maxLength: 40,
  });
  const doc = fc
    .array(fc.tuple(filler, fc.nat(PLANTS.length - 1)), { minLength: 1, maxLength: 6 })
    .map((parts) => ({
      text: parts.map(([f, k]) => `${f}\n${PLANTS[k][0]}\n`).join('') + 'end',
      plants: parts.map(([, k]) => PLANTS[k]),
    }));

  it('random splits: no planted secret comes out, and the output equals mask(whole text)', () => {
    fc.assert(
      fc.property(doc, fc.array(fc.nat(), { maxLength: 40 }), ({ text, plants }, points) => {
        const out = streamAll(createStreamMasker(scanner), splitAt(text, points));
        expect(out).toBe(scanner.mask(text).text);
        for (const [, secret] of plants) expect(out).not.toContain(secret);
        const secretChars = plants.reduce((n, [plant]) => n + plant.length, 0);
        expect(out.length).toBeGreaterThanOrEqual(text.length - secretChars);
      }),
      { numRuns: Number(process.env.GUARDRUN_FUZZ_RUNS ?? 1000) },
    );
  });

  it('per-event deltas of 1–6 characters give the same result', () => {
    fc.assert(
      fc.property(doc, fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 20 }), ({ text }, sizes) => {
        const m = createStreamMasker(scanner);
        let out = '';
        for (let at = 0, i = 0; at < text.length; i++) {
          const n = sizes[i % sizes.length];
          out += m.push(text.slice(at, at + n));
          at += n;
        }
        expect(out + m.flush()).toBe(scanner.mask(text).text);
      }),
      { numRuns: Number(process.env.GUARDRUN_FUZZ_RUNS ?? 300) },
    );
  });

  // Fragments that start, interrupt and overlap secrets, labels and placeholders in every way.
  const FRAGMENTS = [
    'a', 'Z', '0', '7', ' ', '\n', '.', ',', ':', '=', '"', "'", '`', '-', '_', '/', '+', '$', '{', '<', '>', '*', '(', '[',
    'sk-', 'sk-ant-', 'eyJ', 'eyJhbGc', 'password', 'PASSWORD', 'passwd', 'secret', 'api_key', 'aws_secret_access_key',
    '-----', '-----BEGIN ', 'RSA ', 'PRIVATE KEY-----', '-----END ', 'CERTIFICATE-----', 'AKIA', 'ASIA', 'FAKETEST',
    '0000', '00000000', 'ghp_', 'github_pat_', 'glpat-', 'xoxb-', 'https://hooks.slack.com/services/', 'TFAKE0/',
    'BFAKE0/', 'faketest00', 'sk_test_', 'AIza', 'itk_fake_', '1234', REAL.slice(0, 20), REAL.slice(20),
    'fake-test-pass', '[REDACTED:x]', 'x.y', '${X}', 'null', 'getPw()',
  ];
  const soup = fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 30, maxLength: 150 }).map((a) => a.join(''));

  it('any text, any split: the output equals mask(whole text)', () => {
    fc.assert(
      fc.property(soup, fc.array(fc.nat(), { maxLength: 60 }), (text, points) => {
        expect(streamAll(createStreamMasker(scanner), splitAt(text, points))).toBe(scanner.mask(text).text);
      }),
      { numRuns: Number(process.env.GUARDRUN_FUZZ_RUNS ?? 2000) },
    );
  });

  // Counterexamples fast-check found in earlier versions; every single split point is tried.
  it.each([
    `PASSWORD='"-----END '${'a'.repeat(30)}`,
    `PASSWORDglpat-l-${'0'.repeat(30)}sk-sk-guardrun-fake-reaeyJhttps://hooks.slack.com/services/aa`,
    `${'a'.repeat(24)}passwordahttps://hooks.slack.com/services/aa-----BEGIN `,
    `${'a'.repeat(18)}TFAKE0/sk-guardrun-fake-reaaa1234passwordaa:aa-----BEGIN `,
    'password:api_keya sk-guardrun-fake-reaAIzafake-test-passASIAl-000000000000000000000000000000${X}secret',
    `aaaws_secret_access_key:"<aCERTIFICATE-----"aaa>${'a'.repeat(17)}`,
  ])('regression %#', (text) => {
    const whole = scanner.mask(text).text;
    for (let p = 0; p <= text.length; p++) {
      expect(streamAll(createStreamMasker(scanner), [text.slice(0, p), text.slice(p)]), `split at ${p}`).toBe(whole);
    }
  });
});
