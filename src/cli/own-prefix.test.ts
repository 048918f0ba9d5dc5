// guardrun prints its errors, notes and warnings after its own `guardrun:` prefix (output.ts formatError,
// run.ts notes, key.ts warnings), so none of those messages may start with "guardrun" again
// ("guardrun: guardrun never takes…"). Messages to the agent (error bodies) are not prefixed and may.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

// The shapes a prefixed message is written in: a GuardrunError's message, a session notice, an egress `problem`
// (shown as a note), a warning.
const PREFIXED = [
  /new GuardrunError\(\s*'E_\w+',\s*[`'"]guardrun\b/g,
  /\bnotices\.push\(\s*[`'"]guardrun\b/g,
  /\b(?:problem|notice)\s*[:=]\s*[`'"]guardrun\b/g,
  /\bwarn\(\s*[`'"]guardrun\b/g,
];

describe("guardrun's own prefix", () => {
  it('no message printed after "guardrun:" starts with "guardrun" again', () => {
    const found: string[] = [];
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const shape of PREFIXED) for (const m of text.matchAll(shape)) found.push(`${file.slice(SRC.length)}: ${m[0].replace(/\s+/g, ' ')}`);
    }
    expect(found).toEqual([]);
  });

  it('the scan sees the shapes it looks for', () => {
    const sample = "throw new GuardrunError('E_USAGE', 'guardrun never…');\nnotices.push(`guardrun x`);\nreturn { problem: `guardrun y` };";
    expect(PREFIXED.map((shape) => [...sample.matchAll(shape)].length)).toEqual([1, 1, 1, 0]);
  });
});
