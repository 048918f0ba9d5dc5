import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_POLICY, DEFAULT_POLICY_YAML } from './default.js';
import { loadPolicy } from './load.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'guardrun-policy-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('loadPolicy', () => {
  test('no file anywhere: the built-in default', async () => {
    const loaded = await loadPolicy({ cwd: dir });
    expect(loaded.source).toBe('built-in default');
    expect(loaded.policy).toEqual(DEFAULT_POLICY);
    expect(loaded.sha256).toBe(sha(DEFAULT_POLICY_YAML));
  });

  test('guardrun.yaml in cwd is found', async () => {
    const text = 'version: 1\nmodels:\n  allow: ["gpt-5*"]\n';
    await writeFile(join(dir, 'guardrun.yaml'), text);
    const loaded = await loadPolicy({ cwd: dir });
    expect(loaded.source).toBe(join(dir, 'guardrun.yaml'));
    expect(loaded.policy.models.allow).toEqual(['gpt-5*']);
    expect(loaded.sha256).toBe(sha(text));
  });

  test('--policy FILE is relative to cwd and wins over guardrun.yaml', async () => {
    await writeFile(join(dir, 'guardrun.yaml'), 'version: 1\n');
    await mkdir(join(dir, 'conf'));
    await writeFile(join(dir, 'conf', 'p.yaml'), 'version: 1\nmodels:\n  unknown: ask\n');
    const loaded = await loadPolicy({ cwd: dir, file: 'conf/p.yaml' });
    expect(loaded.source).toBe(join(dir, 'conf', 'p.yaml'));
    expect(loaded.policy.models.unknown).toBe('ask');
  });

  test('a missing --policy file is an E_POLICY error', async () => {
    await expect(loadPolicy({ cwd: dir, file: 'nope.yaml' })).rejects.toMatchObject({
      code: 'E_POLICY',
      message: 'cannot read policy file nope.yaml: no such file',
    });
  });

  test('a directory is an E_POLICY error', async () => {
    await mkdir(join(dir, 'guardrun.yaml'));
    await expect(loadPolicy({ cwd: dir })).rejects.toMatchObject({ code: 'E_POLICY', message: /it is a directory/ });
  });

  test('an invalid guardrun.yaml names itself and the line', async () => {
    await writeFile(join(dir, 'guardrun.yaml'), 'version: 1\nmodels:\n  alow: []\n');
    await expect(loadPolicy({ cwd: dir })).rejects.toMatchObject({ code: 'E_POLICY', message: /^guardrun\.yaml:3: models: unknown key "alow"/ });
  });

  test('a lone guardrun.yml is not silently ignored', async () => {
    await writeFile(join(dir, 'guardrun.yml'), 'version: 1\n');
    await expect(loadPolicy({ cwd: dir })).rejects.toMatchObject({ code: 'E_POLICY', fix: /rename guardrun\.yml to guardrun\.yaml/ });
  });

  test('found upward from a subdirectory, up to the repository root', async () => {
    await mkdir(join(dir, '.git'));
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'guardrun.yaml'), 'version: 1\nmodels:\n  deny: ["gpt-3*"]\n');
    const loaded = await loadPolicy({ cwd: join(dir, 'a', 'b') });
    expect(loaded.source).toBe(join(dir, 'guardrun.yaml'));
    expect(loaded.policy.models.deny).toEqual(['gpt-3*']);
  });

  test('the nearest file wins, and the search stops at the repository root', async () => {
    await writeFile(join(dir, 'guardrun.yaml'), 'version: 1\nmodels:\n  deny: ["outside"]\n');
    await mkdir(join(dir, 'repo', '.git'), { recursive: true });
    await mkdir(join(dir, 'repo', 'sub'));
    // Above the repository root: never read.
    expect((await loadPolicy({ cwd: join(dir, 'repo', 'sub') })).source).toBe('built-in default');
    await writeFile(join(dir, 'repo', 'sub', 'guardrun.yaml'), 'version: 1\nmodels:\n  deny: ["nearest"]\n');
    await writeFile(join(dir, 'repo', 'guardrun.yaml'), 'version: 1\nmodels:\n  deny: ["root"]\n');
    expect((await loadPolicy({ cwd: join(dir, 'repo', 'sub') })).policy.models.deny).toEqual(['nearest']);
  });

  test('outside a repository only the working directory is looked at', async () => {
    await writeFile(join(dir, 'guardrun.yaml'), 'version: 1\n');
    await mkdir(join(dir, 'plain'));
    expect((await loadPolicy({ cwd: join(dir, 'plain') })).source).toBe('built-in default');
  });

  test('GUARDRUN_POLICY names the file; --policy wins over it', async () => {
    await writeFile(join(dir, 'guardrun.yaml'), 'version: 1\n');
    await writeFile(join(dir, 'env.yaml'), 'version: 1\nmodels:\n  unknown: allow\n');
    await writeFile(join(dir, 'flag.yaml'), 'version: 1\nmodels:\n  unknown: ask\n');
    const env = { GUARDRUN_POLICY: 'env.yaml' };
    expect((await loadPolicy({ cwd: dir, env })).source).toBe(join(dir, 'env.yaml'));
    expect((await loadPolicy({ cwd: dir, env, file: 'flag.yaml' })).source).toBe(join(dir, 'flag.yaml'));
    await expect(loadPolicy({ cwd: dir, env: { GUARDRUN_POLICY: 'gone.yaml' } })).rejects.toMatchObject({ code: 'E_POLICY', fix: /GUARDRUN_POLICY/ });
  });

  test('a missing file given as an argument (policy check) does not talk about --policy', async () => {
    const error = await loadPolicy({ cwd: dir, file: 'nope.yaml', fileFrom: 'argument' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_POLICY', message: 'cannot read policy file nope.yaml: no such file' });
    expect((error as Error & { fix: string }).fix).not.toContain('--policy');
  });
});
