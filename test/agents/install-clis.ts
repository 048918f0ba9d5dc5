// Installs the pinned agent CLIs once into .cache/agents/cli (outside node_modules, not devDependencies:
// together they are about 800 MB). Later runs find them there and check their versions.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { CLI_DIR, CLIS, cliBin } from './paths.js';

function installedVersion(program: string): string | undefined {
  if (!existsSync(cliBin(program))) return undefined;
  try {
    return execFileSync(cliBin(program), ['--version'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, HOME: CLI_DIR } }).trim();
  } catch {
    return undefined;
  }
}

export default function setup(): void {
  const stale = CLIS.filter((c) => !installedVersion(c.program)?.includes(c.version));
  if (stale.length === 0) return;
  mkdirSync(CLI_DIR, { recursive: true });
  // Claude Code links its native binary in an install script, which npm 11 runs only when allowed.
  writeFileSync(`${CLI_DIR}/package.json`, JSON.stringify({ name: 'guardrun-agent-clis', private: true, allowScripts: Object.fromEntries(CLIS.map((c) => [c.pkg, true])) }, null, 2) + '\n');
  process.stderr.write(`test:agents: installing ${stale.map((c) => `${c.pkg}@${c.version}`).join(', ')} into ${CLI_DIR} (first run only; about 800 MB)\n`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', ...CLIS.map((c) => `${c.pkg}@${c.version}`)], { cwd: CLI_DIR, stdio: 'inherit', timeout: 840_000 });
  for (const c of CLIS) {
    const version = installedVersion(c.program);
    if (!version?.includes(c.version)) throw new Error(`${c.pkg}@${c.version} did not install: ${cliBin(c.program)} --version says ${version ?? 'nothing'}`);
  }
}
