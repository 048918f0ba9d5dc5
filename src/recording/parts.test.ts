// Request bodies recorded in parts (format 2): blobs and lists written by the recorder, put back by the reader,
// and covered by the chain check (an edited shared part breaks every exchange that uses it).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordRequest } from '../proxy/record-exchange.js';
import type { Exchange, Guard } from '../proxy/types.js';
import { startEvent } from '../replay/test-session.js';
import { createCleanCheck } from '../secrets/clean-strings.js';
import { createScanner } from '../secrets/scan.js';
import { compileDetectors } from '../secrets/detectors.js';
import { scanBody, type BodyScan } from '../session/body-scan.js';
import { sealLine, unsealLine } from './hash-chain.js';
import { BLOB_FROM_CHARS, takeLongStrings } from './parts-index.js';
import { parseSession, type RawLine } from './reader.js';
import { createRecorder } from './recorder.js';
import { verifyChain } from './verify-chain.js';

const dir = mkdtempSync(join(tmpdir(), 'guardrun-parts-'));
let files = 0;

/** Words that differ per seed, so no two messages are alike. */
function words(chars: number, seed: number): string {
  let out = '';
  for (let i = 0; out.length < chars; i++) out += `w${(seed * 7919 + i * 104729) % 100003} `;
  return out.slice(0, chars);
}

/** Records each body as a request of one session (through the real recorder and the guard's scan), returns the file's text. */
function record(bodies: unknown[], detectors = compileDetectors({ exact: [{ id: 'dummy-key', value: 'sk-test-fake-dummy-0000000000000000' }] })): string {
  const path = join(dir, `s${++files}.jsonl`);
  const recorder = createRecorder(path);
  recorder.write({ ...startEvent(), type: 'session.start' } as never);
  const scanner = createScanner(detectors);
  const clean = createCleanCheck(scanner);
  const scans = new WeakMap<Exchange, BodyScan>();
  const guard = {
    maskText: (t: string) => scanner.mask(t).text,
    scanRequest(ex: Exchange) {
      let s = scans.get(ex);
      if (!s) scans.set(ex, (s = scanBody(ex.text!, ex.json, scanner, clean, recorder.parts)));
      return s;
    },
  } as unknown as Guard;
  bodies.forEach((body, i) => {
    const text = JSON.stringify(body);
    const ex: Exchange = {
      id: i + 1, provider: 'openai', method: 'POST', path: '/v1/chat/completions', apiPath: '/v1/chat/completions', endpoint: 'POST /v1/chat/completions',
      model: 'gpt-4.1', stream: false, contentType: 'application/json', body: Buffer.from(text), json: JSON.parse(text), text, startedMs: 0, guardMs: 0,
    };
    recordRequest(recorder, guard, ex, { 'content-type': 'application/json' });
  });
  recorder.close();
  return readFileSync(path, 'utf8');
}

/** An agent's conversation: the request of each turn re-sends everything so far plus an answer and a new question. */
function turns(n: number, extra: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  const tools = [{ type: 'function', function: { name: 'read_file', description: words(1500, 1), parameters: { type: 'object', properties: { path: { type: 'string' } } } } }];
  const messages: unknown[] = [{ role: 'system', content: words(3000, 2) }];
  const out: Array<Record<string, unknown>> = [];
  for (let k = 1; k <= n; k++) {
    if (k > 1) messages.push({ role: 'assistant', content: words(700, 100 + k) });
    messages.push({ role: 'user', content: words(2800, 200 + k) });
    out.push({ model: 'gpt-4.1', messages: messages.slice(), tools, ...extra });
  }
  return out;
}

const linesOf = (text: string): RawLine[] => text.split('\n').filter(Boolean).map((t, i) => ({ line: i + 1, text: t }));
const requestBodies = (text: string): unknown[] => parseSession(text, 'x.jsonl').events.filter((e) => e.event.type === 'request').map((e) => (e.event as { body?: unknown }).body);

describe('request bodies recorded in parts', () => {
  it('reads back every request body whole, as sent, while the file grows with what is new', () => {
    const bodies = turns(60);
    const text = record(bodies);
    expect(requestBodies(text)).toEqual(bodies.map((json) => ({ json })));
    const distinct = JSON.stringify(bodies.at(-1)).length;
    expect(text.length).toBeLessThan(1.5 * distinct); // whole bodies would be ~30x
    const types = linesOf(text).map((l) => JSON.parse(l.text).type as string);
    expect(types.filter((t) => t === 'blob')).toHaveLength(1 + 1 + 60); // system prompt, tool description, each question
    expect(verifyChain(linesOf(text))).toMatchObject({ ok: true, breaks: [] });
    // Turn 60 is recorded as turn 59's conversation plus the answer and the new question.
    const last = JSON.parse(linesOf(text).at(-1)!.text);
    expect(last.body.lists.messages).toMatchObject({ from: 59 });
    expect(last.body.lists.messages.items).toHaveLength(2);
    expect(last.body.lists.tools).toEqual({ from: 59 });
  });

  it('keeps a small body whole', () => {
    const text = record([{ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }]);
    const request = JSON.parse(linesOf(text)[1].text);
    expect(request.body).toEqual({ json: { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] } });
  });

  it('stores a long string once when it comes back in another item (a cache marker moved, a message edited)', () => {
    const question = words(5000, 9);
    const a = { model: 'claude-x', system: [{ type: 'text', text: words(2000, 3), cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: [{ type: 'text', text: question, cache_control: { type: 'ephemeral' } }] }] };
    const b = { ...a, messages: [{ role: 'user', content: [{ type: 'text', text: question }] }, { role: 'assistant', content: 'ok' }, { role: 'user', content: [{ type: 'text', text: words(1200, 10), cache_control: { type: 'ephemeral' } }] }] };
    const text = record([a, b]);
    expect(requestBodies(text)).toEqual([{ json: a }, { json: b }]);
    const blobs = linesOf(text).filter((l) => l.text.includes('"type":"blob"'));
    expect(blobs).toHaveLength(3); // system text, the question (once), the second question
  });

  it('masks a secret of an early message in every request that re-sends it, and reports it for each', () => {
    const bodies = turns(4);
    for (const b of bodies) (b.messages as Array<{ content: string }>)[1] = { ...(b.messages as Array<{ content: string }>)[1], content: `${words(2000, 5)} key sk-test-fake-dummy-0000000000000000 end` } as never;
    const text = record(bodies);
    expect(text).not.toContain('sk-test-fake-dummy-0000000000000000');
    for (const body of requestBodies(text) as Array<{ json: { messages: Array<{ content: string }> } }>) {
      expect(body.json.messages[1].content).toContain('key [REDACTED:dummy-key] end');
    }
  });

  it('tells the guard what each request holds even when its items were scanned on an earlier turn', () => {
    const scanner = createScanner(compileDetectors({ exact: [{ id: 'dummy-key', value: 'sk-test-fake-dummy-0000000000000000' }] }));
    const recorder = createRecorder(join(dir, `s${++files}.jsonl`));
    const bodies = turns(3);
    (bodies[2].messages as unknown[])[1] = { role: 'user', content: `${words(1500, 1)} sk-test-fake-dummy-0000000000000000` };
    (bodies[1].messages as unknown[])[1] = (bodies[2].messages as unknown[])[1];
    const found: string[][] = [];
    bodies.forEach((body, i) => {
      const text = JSON.stringify(body);
      const scan = scanBody(text, JSON.parse(text), scanner, createCleanCheck(scanner), recorder.parts);
      found.push(scan.findings.map((f) => f.detector));
      expect(scan.parts).toBeDefined();
      recorder.parts!.remember(i + 1, JSON.parse(text), scan.parts!.itemFindings, text.length);
      expect(JSON.parse(scan.masked).messages[1].content.endsWith('[REDACTED:dummy-key]')).toBe(i > 0);
    });
    recorder.close();
    expect(found).toEqual([[], ['dummy-key'], ['dummy-key']]);
  });
});

describe('the chain covers the parts', () => {
  /** Replaces line `n` (1-based) with `edit(line)` and re-seals every hash from there on, as a forger would. */
  function forge(text: string, n: number, edit: (line: string) => string, reseal: boolean): string {
    const lines = text.split('\n').filter(Boolean);
    lines[n - 1] = edit(lines[n - 1]);
    if (!reseal) return lines.join('\n') + '\n';
    let previous = n === 1 ? '0'.repeat(64) : JSON.parse(lines[n - 2]).hash;
    for (let i = n - 1; i < lines.length; i++) {
      const sealed = sealLine(previous, unsealLine(lines[i])!.json);
      lines[i] = sealed.line;
      previous = sealed.hash;
    }
    return lines.join('\n') + '\n';
  }

  it('reports an edited shared blob at every exchange that uses it, directly or through a later turn', () => {
    const text = record(turns(5));
    const lines = text.split('\n').filter(Boolean);
    const systemBlob = lines.findIndex((l) => l.includes('"type":"blob"')) + 1; // the system prompt: every turn uses it
    for (const reseal of [false, true]) {
      const edited = forge(text, systemBlob, (l) => l.replace(/w\d+ /, 'INJECTED '), reseal);
      const report = verifyChain(linesOf(edited));
      expect(report.ok).toBe(false);
      const references = report.breaks.filter((b) => b.kind === 'reference');
      expect(references.map((b) => JSON.parse(edited.split('\n')[b.line - 1]).id)).toEqual([1, 2, 3, 4, 5]);
      expect(references[0].message).toMatch(new RegExp(`blob [0-9a-f]{12}… \\(line ${systemBlob}\\), which was changed after it was written`));
      expect(references[1].message).toMatch(/the conversation of request #1 \(line \d+\), whose record is broken/);
      expect(report.breaks.some((b) => b.kind === 'edited')).toBe(!reseal);
    }
  });

  it('reports a forged blob whose id was changed to match, as a part the requests do not have', () => {
    const text = record(turns(3));
    const lines = text.split('\n').filter(Boolean);
    const n = lines.findIndex((l) => l.includes('"type":"blob"')) + 1;
    const edited = forge(text, n, (l) => l.replace(/"id":"[0-9a-f]{64}"/, `"id":"${'a'.repeat(64)}"`), true);
    const report = verifyChain(linesOf(edited));
    expect(report.breaks.filter((b) => b.kind === 'reference').map((b) => b.message)).toEqual([
      expect.stringMatching(/request #1\) is made of blob [0-9a-f]{12}…, which is not in the file before it/),
      expect.stringMatching(/request #2\) is made of the conversation of request #1/),
      expect.stringMatching(/request #3\) is made of the conversation of request #2/),
    ]);
    // The reader still shows the requests, without the bodies it cannot put together.
    const session = parseSession(edited, 'x.jsonl');
    expect(session.problems.filter((p) => p.kind === 'invalid')).toHaveLength(3);
    expect(requestBodies(edited)[0]).toMatchObject({ omitted: expect.stringContaining('parts missing') });
  });

  it('reads a file whose blob line was removed, naming what is missing', () => {
    const text = record(turns(2));
    const lines = text.split('\n').filter(Boolean);
    const n = lines.findIndex((l) => l.includes('"type":"blob"'));
    const cut = [...lines.slice(0, n), ...lines.slice(n + 1)].join('\n') + '\n';
    const report = verifyChain(linesOf(cut));
    expect(report.breaks.map((b) => b.kind)).toEqual(expect.arrayContaining(['removed', 'reference']));
  });
});

describe('takeLongStrings', () => {
  it('takes out strings of BLOB_FROM_CHARS or more, at JSON pointers, leaving the value untouched', () => {
    const long = 'x'.repeat(BLOB_FROM_CHARS);
    const value = { a: 'short', 'b/c': [1, long], d: { '~e': long } };
    const ids: string[] = [];
    const out = takeLongStrings(value, (s) => {
      ids.push(s);
      return `id${ids.length}`;
    });
    expect(out).toEqual({ json: { a: 'short', 'b/c': [1, null], d: { '~e': null } }, refs: { '/b~1c/1': 'id1', '/d/~0e': 'id2' } });
    expect(value.d['~e']).toBe(long);
    expect(takeLongStrings({ a: 'x'.repeat(BLOB_FROM_CHARS - 1) }, () => 'never')).toEqual({ json: { a: 'x'.repeat(BLOB_FROM_CHARS - 1) } });
  });
});

// The helper file for other tests: keep the temporary directory small.
writeFileSync(join(dir, 'README'), 'guardrun parts test files\n');
