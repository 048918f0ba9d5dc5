import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuardrunError } from '../errors.js';
import { chatRequest, chatResponse, fixtureText, readFixture, sealEvents, startEvent } from '../replay/test-session.js';
import { FORMAT_VERSION } from './format.js';
import { parseSession, readSession } from './reader.js';

function rawLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('readSession', () => {
  it('reads every line of a complete golden file, in order, with line numbers', () => {
    const s = readFixture('plain.jsonl');
    const raw = rawLines(fixtureText('plain.jsonl'));
    expect(s.events.map((e) => e.event.type)).toEqual(raw.map((l) => l.type));
    expect(s.events.map((e) => e.line)).toEqual(raw.map((_, i) => i + 1));
    expect(s.header.session).toBe(raw[0].session);
    expect(s.complete).toBe(true);
    expect(s.truncated).toBe(false);
    expect(s.problems).toEqual([]);
    expect(s.sourceVersion).toBe(1);
  });


  it('reads a golden file recorded in parts (format 2): bodies whole, no blob events', () => {
    const s = readFixture('parts.jsonl');
    expect(s.sourceVersion).toBe(2);
    expect(s.problems).toEqual([]);
    expect(s.events.some((e) => (e.event.type as string) === 'blob')).toBe(false);
    const raw = rawLines(fixtureText('parts.jsonl'));
    expect(s.events.map((e) => e.line)).toEqual(raw.map((l, i) => (l.type === 'blob' ? 0 : i + 1)).filter(Boolean));
    const bodies = s.events.filter((e) => e.event.type === 'request').map((e) => (e.event as { body: { json: { messages: Array<{ role: string }> } } }).body);
    // Turn k sends the system prompt, k questions and k-1 answers; each turn continues the one before.
    expect(bodies.map((b) => b.json.messages.length)).toEqual([2, 4, 6, 8]);
    expect(bodies[3].json.messages.slice(0, 6)).toEqual([...bodies[2].json.messages, expect.objectContaining({ role: 'assistant' })].slice(0, 6));
    expect(Object.keys(bodies[0])).toEqual(['json']);
  });

  it('reads every version-1 golden file through the converter: version 2, each line the event it was', () => {
    for (const name of ['plain.jsonl', 'streamed.jsonl', 'denied.jsonl', 'anthropic.jsonl', 'approved.jsonl']) {
      const s = readFixture(name);
      expect(s.sourceVersion, name).toBe(1);
      expect(s.header.version, name).toBe(2);
      const raw = rawLines(fixtureText(name));
      expect(s.events.map((e) => e.event), name).toEqual(raw.map((l, i) => (i === 0 ? { ...l, version: 2 } : l)));
    }
  });

  it('reads a cut-off file up to its last complete line and reports the cut line', () => {
    const text = fixtureText('truncated.jsonl');
    const s = readFixture('truncated.jsonl');
    const complete = text.split('\n').length - 1;
    expect(s.truncated).toBe(true);
    expect(s.complete).toBe(false);
    expect(s.events).toHaveLength(complete);
    expect(s.lines).toHaveLength(complete);
    expect(s.problems).toEqual([{ line: complete + 1, kind: 'truncated', message: expect.stringMatching(/cut off after \d+ characters/) }]);
  });

  it('reports a corrupt line with its number and still reads the rest', () => {
    const lines = sealEvents([startEvent(), chatRequest(1, 'hi'), chatResponse(1, 'hello'), chatRequest(2, 'again'), chatResponse(2, 'yes')]).split('\n');
    lines[2] = lines[2].slice(0, 40) + '#garbage#' + lines[2].slice(40);
    lines.splice(4, 0, '');
    const s = parseSession(lines.join('\n'), 'x.jsonl');
    expect(s.problems.map((p) => [p.line, p.kind])).toEqual([[3, 'corrupt'], [5, 'corrupt']]);
    expect(s.events.map((e) => e.event.type)).toEqual(['session.start', 'request', 'request', 'response']);
    expect(s.events.map((e) => e.line)).toEqual([1, 2, 4, 6]);
    expect(s.truncated).toBe(false);
  });

  it('skips events of an unknown type or without their required fields, saying which line', () => {
    const text = sealEvents([startEvent(), { type: 'future.thing', x: 1 }, { type: 'request', id: 'one' }, chatRequest(1, 'ok')]);
    const s = parseSession(text, 'x.jsonl');
    expect(s.problems).toEqual([
      { line: 2, kind: 'unknown-type', message: expect.stringContaining('"future.thing"') },
      { line: 3, kind: 'invalid', message: expect.stringContaining('"id"') },
    ]);
    expect(s.events.map((e) => e.line)).toEqual([1, 4]);
  });

  it('accepts a whole last line whose newline is missing', () => {
    const text = sealEvents([startEvent(), chatRequest(1, 'hi')]).trimEnd();
    const s = parseSession(text, 'x.jsonl');
    expect(s.truncated).toBe(false);
    expect(s.events).toHaveLength(2);
    expect(s.lines).toHaveLength(2);
  });

  it('refuses a file from a newer format with "upgrade guardrun"', () => {
    const text = sealEvents([startEvent({ version: FORMAT_VERSION + 1 }), chatRequest(1, 'hi')]);
    let error: unknown;
    try {
      parseSession(text, 'new.jsonl');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GuardrunError);
    expect((error as GuardrunError).code).toBe('E_SESSION_VERSION');
    expect((error as GuardrunError).fix).toMatch(/^upgrade guardrun/);
  });

  it('refuses files that are not session files, and says why a file cannot be read', async () => {
    expect(() => parseSession('', 'empty.jsonl')).toThrow(/empty\.jsonl is not a guardrun session file: it is empty/);
    expect(() => parseSession('{"a":1}\n', 'other.jsonl')).toThrow(/first line is not a guardrun session.start/);
    expect(() => parseSession('{"seq":1,"type":"sess', 'cut.jsonl')).toThrow(/not a guardrun session file/);
    const dir = mkdtempSync(join(tmpdir(), 'guardrun-reader-'));
    await expect(readSession(join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'E_SESSION_FILE', message: expect.stringContaining('no such file') });
    writeFileSync(join(dir, 'ok.jsonl'), sealEvents([startEvent()]));
    expect((await readSession(join(dir, 'ok.jsonl'))).file).toBe(join(dir, 'ok.jsonl'));
  });
});
