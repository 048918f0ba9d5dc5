// The README's commands as written: the two set-up lines name scripts that exist and do what they say,
// .ci/run calls the test command, and the package ships what the install section promises.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, baseEnv, tempDir } from './harness.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; files: string[] };

/** The shell lines of the first fenced block after a heading. */
function block(heading: string): string[] {
  const at = readme.indexOf(`## ${heading}`);
  expect(at, heading).toBeGreaterThan(-1);
  const fence = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  return (fence?.[1] ?? '').split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

describe('README', () => {
  it('set-up: one line runs the demo, one runs the tests, each through scripts that exist', () => {
    const lines = block('Set up');
    expect(lines).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
    expect(pkg.scripts.demo).toMatch(/tsup.*&& node bin\/guardrun\.js demo$/);
    expect(pkg.scripts.test).toBe('vitest run');
    expect(pkg.scripts.pretest).toBe('sh scripts/test-setup.sh');
    // Installing must not build on the user's machine: the tarball is built when packed.
    expect(pkg.scripts.prepare).toBeUndefined();
    expect(pkg.scripts.prepack).toBe('tsup');
  });

  it('.ci/run runs the README test command', () => {
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm test\b/m);
    expect(ci).toMatch(/^npm ci\b/m);
  });

  it('the test set-up script says what to install when it cannot install it', async () => {
    const r = await execa('/bin/sh', [join(ROOT, 'scripts', 'test-setup.sh')], { env: { PATH: tempDir(), TEST_SETUP_INSTALL: 'never' }, extendEnv: false, reject: false });
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain('dbus gnome-keyring libsecret-tools tmux keyutils curl bubblewrap socat ripgrep');
    expect(readme).toContain('dbus gnome-keyring libsecret-tools tmux keyutils curl bubblewrap socat ripgrep');
  });

  it('try it without a provider: the commands work as written (the fake server on a free port instead of 8787)', async () => {
    const lines = block('Try it without a provider');
    const first = /^node fixtures\/fake-upstream\.mjs --port 8787 (--openai-key \S+) &$/.exec(lines[0]);
    expect(first, lines[0]).not.toBeNull();
    expect(lines.at(-1)).toBe('kill $!');
    // A clone's layout (fixtures/) and `guardrun` on PATH, in a directory of its own for the session files.
    const cwd = tempDir('guardrun-readme-');
    symlinkSync(join(ROOT, 'fixtures'), join(cwd, 'fixtures'));
    mkdirSync(join(cwd, 'bin'));
    symlinkSync(BIN, join(cwd, 'bin', 'guardrun'));
    const env = baseEnv({ PATH: `${join(cwd, 'bin')}:${process.env.PATH}` });
    const server = execa('sh', ['-c', `exec ${lines[0].replace('--port 8787', '--port 0').replace(/ &$/, '')}`], { cwd, env, extendEnv: false, reject: false });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        server.stdout!.on('data', (chunk: Buffer) => {
          const m = /listening http:\/\/127\.0\.0\.1:(\d+)/.exec(String(chunk));
          if (m) resolve(m[1]);
        });
        void server.then((r) => reject(new Error(`the fake server exited: ${String(r.stderr)}`)));
      });
      const script = lines.slice(1, -1).map((l) => l.replaceAll(':8787', `:${port}`)).join('\n');
      const r = await execa('sh', ['-e', '-c', script], { cwd, env, extendEnv: false, reject: false, timeout: 60_000 });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stdout)).toContain('the provider received: "Check my config: OPENAI_API_KEY=[REDACTED:openai-key]"');
      expect(String(r.stdout)).toMatch(/agent \| refused: HTTP 403: guardrun denied this request \(rule:/);
      expect(String(r.stdout)).toContain('"content":"Hello from the fake upstream."');
      // replay --last: the newest session, the curl one (the two may start within one second: ordered by start time).
      expect(String(r.stdout)).toMatch(/command {2}sh fixtures\/agents\/curl\.sh 'Say hi'\n[\s\S]*chain intact/);
    } finally {
      server.kill();
      await server;
    }
  });

  it('install: the tarball holds the CLI, the demo and the licence, without source maps', async () => {
    expect(block('Install')).toContain('npm pack && npm install -g ./guardrun-0.1.0.tgz');
    const r = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env: baseEnv(), reject: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const [packed] = JSON.parse(String(r.stdout)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    expect(packed.filename).toBe('guardrun-0.1.0.tgz');
    const paths = packed.files.map((f) => f.path);
    for (const needed of ['bin/guardrun.js', 'dist/cli.js', 'dist/index.js', 'fixtures/demo/agent.mjs', 'fixtures/demo/policy.yaml', 'fixtures/fake-upstream.mjs', 'LICENSE', 'README.md']) {
      expect(paths, needed).toContain(needed);
    }
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
  });
});
