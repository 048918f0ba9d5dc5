// The event masker over any text cut into any events, two channels interleaved: each channel's text out is
// scanner.mask(its whole text), events leave in order and unchanged unless they carry a piece of a finding.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileDetectors, BUILTIN_DETECTORS } from '../../secrets/detectors.js';
import { createScanner } from '../../secrets/scan.js';
import { EventMasker, type Out } from './event-masker.js';
import { parseEvent } from './sse.js';

const REAL = 'sk-guardrun-fake-real-000000000000000000000000000000';
const scanner = createScanner(compileDetectors({ exact: [{ id: 'openai-real-key', value: REAL }], patterns: [{ id: 'internal-token', regex: 'itk_fake_[0-9]{4,}' }], builtins: BUILTIN_DETECTORS }));

// Fragments that start, interrupt and overlap secrets, labels and placeholders (as in stream-masker.test.ts).
const FRAGMENTS = [
  'a', 'Z', '0', '7', ' ', '\n', '.', ',', ':', '=', '"', "'", '-', '_', '/', '+', '$', '{', '<', '>', '*', '(', '[',
  'sk-', 'sk-ant-', 'eyJ', 'eyJhbGc', 'password', 'PASSWORD', 'secret', 'api_key', 'aws_secret_access_key',
  '-----', '-----BEGIN ', 'RSA ', 'PRIVATE KEY-----', '-----END ', 'AKIA', 'FAKETEST', '0000', '00000000',
  'ghp_', 'glpat-', 'xoxb-', 'https://hooks.slack.com/services/', 'TFAKE0/', 'BFAKE0/', 'faketest00', 'sk_test_',
  'AIza', 'itk_fake_', '1234', REAL.slice(0, 20), REAL.slice(20), 'fake-test-pass', '[REDACTED:x]', '${X}', 'null',
];
const soup = fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 10, maxLength: 80 }).map((a) => a.join(''));

function cut(text: string, points: number[]): string[] {
  const sorted = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let at = 0;
  for (const p of [...sorted, text.length]) {
    out.push(text.slice(at, p));
    at = p;
  }
  return out;
}

describe('EventMasker', () => {
  it('property: per channel, the text out is mask(whole text); events keep their order and count; untouched events keep their bytes', () => {
    fc.assert(
      fc.property(soup, soup, fc.array(fc.nat(), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 30 }), fc.array(fc.boolean(), { maxLength: 80 }), (a, b, cutsA, cutsB, order) => {
        const masker = new EventMasker(scanner);
        const partsA = cut(a, cutsA);
        const partsB = cut(b, cutsB);
        const events: string[] = [];
        const out: string[] = [];
        const take = (steps: Out[]): void => {
          for (const s of steps) if (typeof s === 'string') out.push(s);
        };
        let i = 0;
        let j = 0;
        for (let k = 0; i < partsA.length || j < partsB.length; k++) {
          const useA = j >= partsB.length || (i < partsA.length && (order[k % Math.max(1, order.length)] ?? true));
          const text = useA ? partsA[i++] : partsB[j++];
          const key = useA ? 'a' : 'b';
          const raw = `data: ${JSON.stringify({ [key]: text, n: k })}\n\n`;
          events.push(raw);
          take(masker.push(parseEvent(raw), [{ channel: key, path: [key], text }]));
        }
        take(masker.end());
        expect(out).toHaveLength(events.length);
        const textOf = (key: string): string =>
          out.map((raw) => JSON.parse(parseEvent(raw).data) as Record<string, unknown>).map((d) => (typeof d[key] === 'string' ? (d[key] as string) : '')).join('');
        expect(textOf('a')).toBe(scanner.mask(a).text);
        expect(textOf('b')).toBe(scanner.mask(b).text);
        out.forEach((raw, n) => expect(JSON.parse(parseEvent(raw).data).n).toBe(n));
        if (scanner.find(a).length === 0 && scanner.find(b).length === 0) expect(out).toEqual(events);
      }),
      { numRuns: Number(process.env.GUARDRUN_FUZZ_RUNS ?? 500) },
    );
  });

  it('refuses text on a channel after its end', () => {
    const masker = new EventMasker(scanner);
    masker.push(parseEvent('data: {"a":"x"}\n\n'), [{ channel: 'a', path: ['a'], text: 'x' }]);
    masker.end((c) => c === 'a');
    expect(() => masker.push(parseEvent('data: {"a":"y"}\n\n'), [{ channel: 'a', path: ['a'], text: 'y' }])).toThrow(/after its end/);
  });

  it('holds a JSON-text channel while escapes may spell a secret, and refuses one they do spell', () => {
    const masker = new EventMasker(scanner);
    const escaped = [...REAL].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const parts = cut(`{"k":"${escaped}"}`, [20, 60, 140]);
    const steps = () => parts.forEach((p, n) => masker.push(parseEvent(`data: ${JSON.stringify({ a: p, n })}\n\n`), [{ channel: 'a', path: ['a'], text: p, json: true }]));
    expect(steps).toThrow(/JSON escapes/);
  });
});
