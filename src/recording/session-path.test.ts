import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { projectGuardrunDir } from './session-path.js';

describe('projectGuardrunDir: where a run records', () => {
  const tree = (): { root: string; deep: string } => {
    const root = mkdtempSync(join(tmpdir(), 'guardrun-path-'));
    const deep = join(root, 'repo', 'sub', 'deeper');
    mkdirSync(deep, { recursive: true });
    return { root, deep };
  };

  test("a run from a repository's subdirectory records in the repository's existing .guardrun/, where replay --last looks", () => {
    const { root, deep } = tree();
    mkdirSync(join(root, 'repo', '.git'));
    mkdirSync(join(root, 'repo', '.guardrun'));
    expect(projectGuardrunDir(deep)).toBe(join(root, 'repo', '.guardrun'));
    mkdirSync(join(root, 'repo', 'sub', '.guardrun'));
    expect(projectGuardrunDir(deep)).toBe(join(root, 'repo', 'sub', '.guardrun')); // the nearest one
  });

  test("the working directory's when no .guardrun/ exists up to the repository root, and outside a repository", () => {
    const { root, deep } = tree();
    mkdirSync(join(root, 'repo', '.git'));
    mkdirSync(join(root, '.guardrun')); // above the repository: not the project's
    expect(projectGuardrunDir(deep)).toBe(join(deep, '.guardrun'));
    const outside = tree();
    mkdirSync(join(outside.root, 'repo', '.guardrun'));
    writeFileSync(join(outside.root, 'repo', 'note'), '');
    expect(projectGuardrunDir(outside.deep)).toBe(join(outside.deep, '.guardrun'));
  });
});
