import fc from 'fast-check';
import { expect, it } from 'vitest';
import { compileDetectors } from './detectors.js';
import { createScanner } from './scan.js';
import { createStreamMasker } from './stream-masker.js';
const REAL = 'sk-guardrun-fake-real-000000000000000000000000000000';
const scanner = createScanner(compileDetectors({ exact: [{ id: 'openai-real-key', value: REAL }], patterns: [{ id: 'custom', regex: 'itk_[0-9]{4,}' }] }));
const pieces = ['a', 'Z', '0', '7', ' ', '\n', '.', ',', ':', '=', '"', "'", '`', '-', '_', '/', '+', '$', '{', '<', '>', '*', '(', '[',
  'sk-', 'sk-ant-', 'eyJ', 'eyJhbGc', 'password', 'PASSWORD', 'passwd', 'secret', 'api_key', 'aws_secret_access_key', '-----', '-----BEGIN ', 'RSA ', 'PRIVATE KEY-----', '-----END ', 'CERTIFICATE-----',
  'AKIA', 'ASIA', 'FAKETEST', '0000', '00000000', 'ghp_', 'github_pat_', 'glpat-', 'xoxb-', 'https://hooks.slack.com/services/', 'TFAKE0/', 'BFAKE0/', 'faketest00', 'sk_test_', 'AIza', 'itk_', '1234',
  REAL.slice(0, 20), REAL.slice(20), 'fake-test-pass', '[REDACTED:x]', 'x.y', '${X}', 'null', 'getPw()'];
const text = fc.array(fc.constantFrom(...pieces), { minLength: 30, maxLength: 150 }).map((a) => a.join(''));
const stats = { runs: 0, pos: 0 }; const MS = JSON.parse(process.env.MS ?? "{}");
it('equivalence on arbitrary joins', () => {
  fc.assert(fc.property(text, fc.array(fc.nat(), { minLength: 50, maxLength: 400 }), (t, points) => {
    const sorted = [...new Set(points.map((p) => p % (t.length + 1)))].sort((a, b) => a - b);
    const m = createStreamMasker(scanner, MS); stats.runs++; if (scanner.find(t).length) stats.pos++; let out = ''; let at = 0;
    for (const p of [...sorted, t.length]) { out += m.push(t.slice(at, p)); at = p; }
    out += m.flush();
    expect(out).toBe(scanner.mask(t).text);
  }), { numRuns: 100000 });
  console.log(stats); }, 900000);
