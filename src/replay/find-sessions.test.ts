import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { sessionFiles } from './find-sessions.js';

const start = (time: string): string => `${JSON.stringify({ seq: 1, type: 'session.start', time })}\n`;

describe('sessionFiles: newest first', () => {
  test('sessions started in the same second are ordered by the start time on their first line, not by their random ids or mtimes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guardrun-find-'));
    // Same second in the name; "ffff" sorts after "0000" by name, and its mtime is the later one too, yet it started first.
    const earlier = join(dir, '2026-11-30T15-05-42Z-ffffffffffff.jsonl');
    const later = join(dir, '2026-11-30T15-05-42Z-000000000000.jsonl');
    const older = join(dir, '2026-11-30T15-05-41Z-ffffffffffff.jsonl');
    writeFileSync(earlier, start('2026-11-30T15:05:42.100Z'));
    writeFileSync(later, start('2026-11-30T15:05:42.900Z'));
    writeFileSync(older, start('2026-11-30T15:05:41.000Z'));
    utimesSync(later, new Date('2026-11-30T15:05:43Z'), new Date('2026-11-30T15:05:43Z'));
    utimesSync(earlier, new Date('2026-11-30T15:05:50Z'), new Date('2026-11-30T15:05:50Z'));
    utimesSync(older, new Date('2026-11-30T15:06:00Z'), new Date('2026-11-30T15:06:00Z'));
    expect(await sessionFiles(dir)).toEqual([later, earlier, older]);
  });
});
