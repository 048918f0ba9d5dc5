import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDiscardingRecorder, createRecorder, ensureGuardrunDir } from './recorder.js';
import { RawJson } from './raw-json.js';
import { chainHash, GENESIS_HASH, unsealLine } from './hash-chain.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'guardrun-recorder-'));

describe('recorder', () => {
  it('writes sealed, numbered, chained lines, 0600 in a 0700 directory', () => {
    const file = join(dir(), 'sessions', 'a.jsonl');
    const r = createRecorder(file);
    r.write({ type: 'child.exit', time: 't', code: 0, signal: null });
    r.write({ type: 'request', id: 1, time: 't', method: 'POST', path: '/v1/x', provider: 'openai', endpoint: 'POST /v1/x', model: undefined, stream: false, headers: {}, body: { json: new RawJson('{"k":1}') } });
    r.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    let previous = GENESIS_HASH;
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line);
      expect(parsed.seq).toBe(i + 1);
      const unsealed = unsealLine(line)!;
      expect(unsealed.hash).toBe(chainHash(previous, unsealed.json));
      previous = unsealed.hash;
    });
    expect(JSON.parse(lines[1]).body.json).toEqual({ k: 1 });
    expect(r.lastHash).toBe(previous);
  });

  it('the discarding recorder (the warm-up rehearsal) makes the same chain and writes nothing anywhere', async () => {
    const where = dir();
    const file = join(where, 'same.jsonl');
    const kept = createRecorder(file);
    const dropped = createDiscardingRecorder();
    const events = [
      { type: 'child.exit' as const, time: 't', code: 0, signal: null },
      { type: 'request' as const, id: 1, time: 't', method: 'POST', path: '/v1/x', provider: 'openai' as const, endpoint: 'POST /v1/x', model: undefined, stream: false, headers: {}, body: { json: new RawJson('{"k":1}') } },
    ];
    for (const e of events) {
      kept.write(e);
      dropped.write(e);
    }
    kept.close();
    expect(dropped.lastHash).not.toBe(GENESIS_HASH);
    expect(dropped.lastHash).toBe(kept.lastHash);
    expect(dropped.path).toBe('');
    await dropped.written();
    dropped.flush();
    dropped.close();
    expect(readdirSync(where)).toEqual(['same.jsonl']);
  });

  it('writes multi-byte text byte for byte, each line whole with its newline', () => {
    const file = join(dir(), 'utf8.jsonl');
    const r = createRecorder(file);
    const texts = ['Größe 東京 😀', 'é'.repeat(3000), 'plain'];
    for (const text of texts) r.write({ type: 'request', id: 1, time: 't', method: 'POST', path: '/v1/x', provider: 'openai', endpoint: 'POST /v1/x', model: undefined, stream: false, headers: {}, body: { json: new RawJson(JSON.stringify({ text })) } });
    r.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l).body.json.text)).toEqual(texts);
  });

  it('batches lines until the end of the turn, and flush/close write them at once', async () => {
    const file = join(dir(), 'b.jsonl');
    const r = createRecorder(file);
    r.write({ type: 'child.exit', time: 't', code: 0, signal: null });
    expect(readFileSync(file, 'utf8')).toBe('');
    await new Promise((resolve) => setImmediate(resolve));
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(2);
    r.write({ type: 'child.exit', time: 't', code: 1, signal: null });
    r.close();
    r.write({ type: 'child.exit', time: 't', code: 2, signal: null }); // after close: ignored
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(2);
  });

  it('never overwrites an existing file', () => {
    const file = join(dir(), 'c.jsonl');
    writeFileSync(file, 'keep me\n');
    expect(() => createRecorder(file)).toThrow(/already exists/);
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
  });

  it('writes a .gitignore of * into .guardrun', () => {
    const guardrun = join(dir(), '.guardrun');
    ensureGuardrunDir(guardrun);
    expect(readFileSync(join(guardrun, '.gitignore'), 'utf8')).toBe('*\n');
  });
});
