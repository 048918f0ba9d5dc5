import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatRequest, chatResponse, fixtureText, sealEvents, startEvent } from '../replay/test-session.js';
import { sealLine, unsealLine } from './hash-chain.js';
import type { RawLine } from './reader.js';
import { verifyChain } from './verify-chain.js';

const toLines = (texts: string[]): RawLine[] => texts.map((text, i) => ({ line: i + 1, text }));
const linesOf = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('verifyChain on golden files', () => {
  it('finds every golden file written by guardrun intact, and closed when it has its session.end', () => {
    for (const name of ['plain.jsonl', 'streamed.jsonl', 'denied.jsonl', 'anthropic.jsonl', 'approved.jsonl', 'parts.jsonl']) {
      const texts = linesOf(fixtureText(name));
      const report = verifyChain(toLines(texts));
      expect(report, name).toMatchObject({ ok: true, lines: texts.length, breaks: [], closed: true });
      expect(report.finalHash).toBe(JSON.parse(texts.at(-1)!).hash);
    }
  });

  it('finds the truncated file intact up to its cut but not closed', () => {
    const texts = linesOf(fixtureText('truncated.jsonl')).slice(0, -1); // the reader leaves the cut line out
    expect(verifyChain(toLines(texts))).toMatchObject({ ok: true, closed: false });
  });

  it('names the edited line of the tampered golden file', () => {
    const tampered = linesOf(fixtureText('tampered.jsonl'));
    const original = linesOf(fixtureText('denied.jsonl'));
    const edited = tampered.findIndex((l, i) => l !== original[i]) + 1;
    const report = verifyChain(toLines(tampered));
    expect(report.ok).toBe(false);
    expect(report.finalHash).toBeUndefined();
    expect(report.breaks).toEqual([expect.objectContaining({ kind: 'edited', line: edited, seq: edited })]);
    expect(report.breaks[0].message).toMatch(new RegExp(`^line ${edited} \\(seq ${edited}\\) does not match its hash`));
  });
});

describe('verifyChain on the golden file recorded in parts (format 2)', () => {
  it('names the edited shared blob and every request made of it', () => {
    const report = verifyChain(toLines(linesOf(fixtureText('parts-tampered.jsonl'))));
    expect(report.ok).toBe(false);
    const requests = linesOf(fixtureText('parts.jsonl')).map((l, i) => [JSON.parse(l), i + 1] as const).filter(([e]) => e.type === 'request');
    expect(report.breaks.map((b) => [b.kind, b.line])).toEqual([['edited', 2], ...requests.map(([, line]) => ['reference', line])]);
  });
});

describe('verifyChain finds each kind of break', () => {
  const base = linesOf(sealEvents([
    startEvent(), chatRequest(1, 'a'), chatResponse(1, 'A'), chatRequest(2, 'b'), chatResponse(2, 'B'), chatRequest(3, 'c'), chatResponse(3, 'C'),
    { type: 'session.end', time: '2026-01-01T00:00:09.000Z', reason: 'exit', exitCode: 0, requests: 3, denied: 0, costUsd: 0, durationMs: 9000 },
  ]));

  it('removed lines: the gap in seq, where the chain resumes', () => {
    const texts = [...base.slice(0, 3), ...base.slice(5)];
    const report = verifyChain(toLines(texts));
    expect(report.breaks).toEqual([expect.objectContaining({ kind: 'removed', line: 4, seq: 6, missing: [4, 5] })]);
    expect(report.breaks[0].message).toMatch(/2 lines \(seq 4–5\) were removed/);
  });

  it('a removed first line', () => {
    expect(verifyChain(toLines(base.slice(1))).breaks).toEqual([expect.objectContaining({ kind: 'removed', missing: [1, 1] })]);
  });

  it('reordered lines: only the moved line is named', () => {
    const texts = [...base];
    const [moved] = texts.splice(2, 1); // seq 3 moved after seq 6
    texts.splice(5, 0, moved);
    const report = verifyChain(toLines(texts));
    expect(report.breaks).toEqual([expect.objectContaining({ kind: 'reordered', line: 6, seq: 3, relatedLine: 2 })]);
    expect(report.breaks[0].message).toBe('line 6 (seq 3) is out of order: it was written after line 2 (seq 2)');
  });

  it('duplicated and unsealed lines', () => {
    const texts = [...base.slice(0, 4), base[3], base[4].replace(/,"hash":"[0-9a-f]+"\}$/, '}'), ...base.slice(5)];
    const kinds = verifyChain(toLines(texts)).breaks.map((b) => [b.kind, b.line]);
    expect(kinds).toContainEqual(['duplicated', 5]);
    expect(kinds).toContainEqual(['unsealed', 6]);
  });

  it('an edit and re-seal of one line shows at the next line, and the message says so', () => {
    const texts = [...base];
    const json = unsealLine(texts[3])!.json.replace('"b"', '"evil"');
    texts[3] = sealLine(unsealLine(texts[2])!.hash, json).line; // line 4 re-sealed against line 3
    const report = verifyChain(toLines(texts));
    expect(report.breaks).toEqual([expect.objectContaining({ kind: 'edited', line: 5 })]);
    expect(report.breaks[0].message).toContain('or line 4, seq 4, was edited and its hash recomputed');
  });

  it('any single edit, removal (not of the last line), swap or duplication is detected (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 30 }), { minLength: 2, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom('edit', 'remove', 'swap', 'duplicate'),
        (prompts, a, b, op) => {
          const lines = linesOf(sealEvents([startEvent(), ...prompts.map((p, i) => chatRequest(i + 1, p))]));
          const i = a % lines.length;
          const j = b % lines.length;
          const texts = [...lines];
          if (op === 'edit') {
            const at = texts[i].indexOf('"type"');
            texts[i] = texts[i].slice(0, at) + '"x":1,' + texts[i].slice(at);
          } else if (op === 'remove') {
            if (i === lines.length - 1) return; // cutting the end needs the closing line (or a kept final hash) to show
            texts.splice(i, 1);
          } else if (op === 'swap') {
            if (i === j) return;
            [texts[i], texts[j]] = [texts[j], texts[i]];
          } else texts.splice(j, 0, texts[i]);
          expect(verifyChain(toLines(texts)).ok).toBe(false);
        },
      ),
      { numRuns: Number(process.env.GUARDRUN_FUZZ_RUNS ?? 300) },
    );
  });
});

describe('fixtures/sessions/reseal.mjs', () => {
  it('seals exactly as guardrun does: re-sealing an untouched golden file changes nothing', async () => {
    const { reseal } = await import('../../fixtures/sessions/reseal.mjs');
    for (const name of ['plain.jsonl', 'streamed.jsonl', 'denied.jsonl', 'approved.jsonl']) expect(reseal(fixtureText(name)), name).toBe(fixtureText(name));
    const fixed = linesOf(reseal(fixtureText('tampered.jsonl')));
    expect(verifyChain(toLines(fixed)).ok).toBe(true); // which is why a chain alone is not a signature
  });
});
