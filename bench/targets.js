// The upstream and the four targets, each started in its own process, bound to 127.0.0.1.
// A target is { name, label, origin, path, headers, handle (null for direct), pid (the measured process) }.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, waitForJsonLine, waitForHttp, freePort } from './processes.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = join(ROOT, 'bench');
/** The "real" key guardrun is given (from the environment) and the key sent straight to the upstream. */
export const FAKE_KEY = 'sk-test-fake-bench-key-0000';
const CHAT_PATH = '/v1/chat/completions';
const READY_MS = 20_000;

export async function startUpstream({ gapMs, events }) {
  const handle = startProcess('upstream', process.execPath, [join(BENCH, 'upstream.js'), '--gap-ms', String(gapMs), '--events', String(events)]);
  const { port } = await waitForJsonLine(handle, (v) => typeof v.port === 'number', READY_MS);
  return { handle, pid: handle.pid, port, origin: `http://127.0.0.1:${port}` };
}

export function directTarget(upstream) {
  return {
    name: 'direct',
    label: 'direct to upstream',
    origin: upstream.origin,
    path: CHAT_PATH,
    headers: { authorization: `Bearer ${FAKE_KEY}` },
    handle: null,
    pid: null,
  };
}

export async function startFloor(upstream) {
  const handle = startProcess('floor', process.execPath, [join(BENCH, 'floor-proxy.js'), '--upstream', upstream.origin]);
  const { port } = await waitForJsonLine(handle, (v) => typeof v.port === 'number', READY_MS);
  return {
    name: 'floor',
    label: 'floor (node:http + JSON.parse + undici Pool)',
    origin: `http://127.0.0.1:${port}`,
    path: CHAT_PATH,
    headers: { authorization: `Bearer ${FAKE_KEY}` },
    handle,
    pid: handle.pid,
  };
}

export const GUARDRUN_BIN = join(ROOT, 'bin', 'guardrun.js');

/** Why guardrun cannot be benchmarked yet, or null when its build is there. */
export function guardrunMissing(bin = GUARDRUN_BIN) {
  if (bin === GUARDRUN_BIN && !existsSync(join(ROOT, 'dist', 'cli.js'))) return 'dist/cli.js is not built (run `npm run build` first)';
  if (!existsSync(bin)) return `${bin} does not exist`;
  return null;
}

/**
 * Starts the real CLI with bench/hold.js as its child; hold.js reports OPENAI_BASE_URL and the dummy key.
 * cwd is a scratch directory so no project config changes the default policy.
 */
/**
 * guardrun as the CLI starts it. `policy` names a file in bench/: policy.yaml is the default policy without a
 * session budget (see the file); policy-exact.yaml also counts every request's tokens. `nodeArgs` go to node
 * before the script (e.g. `--cpu-prof`, which NODE_OPTIONS does not take).
 */
export async function startGuardrun(upstream, { cwd, sessionFile, name = 'guardrun', bin = GUARDRUN_BIN, policy = 'policy.yaml', nodeArgs = [] }) {
  const args = [...nodeArgs, bin, '--key-env', 'OPENAI_API_KEY', '--upstream', upstream.origin, '--policy', join(BENCH, policy),
    '--session-file', sessionFile, '--', process.execPath, join(BENCH, 'hold.js')];
  const handle = startProcess(name, process.execPath, args, { cwd, env: { ...process.env, OPENAI_API_KEY: FAKE_KEY } });
  let ready;
  try {
    ready = await waitForJsonLine(handle, (v) => 'OPENAI_BASE_URL' in v, READY_MS);
  } catch (error) {
    throw new Error(`${error.message}${handle.stderr ? `; its stderr: ${handle.stderr.trim().slice(-600)}` : ''}`);
  }
  if (!ready.OPENAI_BASE_URL || !ready.OPENAI_API_KEY) throw new Error('guardrun gave its child no OPENAI_BASE_URL / OPENAI_API_KEY');
  if (ready.OPENAI_API_KEY === FAKE_KEY) throw new Error('guardrun passed the real key to its child');
  const base = new URL(ready.OPENAI_BASE_URL);
  return {
    name,
    label: bin === GUARDRUN_BIN ? `guardrun (default policy${policy === 'policy.yaml' ? ', no budget' : ', tokens always counted'})` : `guardrun (${bin})`,
    origin: base.origin,
    path: `${base.pathname.replace(/\/$/, '')}/chat/completions`,
    headers: { authorization: `Bearer ${ready.OPENAI_API_KEY}` },
    handle,
    pid: handle.pid,
  };
}

/** Portkey's bin, from its package.json; it has no host option, so bench/loopback-only.js pins it to 127.0.0.1. */
export async function startPortkey(upstream) {
  const dir = join(ROOT, 'node_modules', '@portkey-ai', 'gateway');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const bin = typeof pkg.bin === 'string' ? pkg.bin : Object.values(pkg.bin)[0];
  const port = await freePort();
  const args = ['--import', join(BENCH, 'loopback-only.js'), join(dir, bin), `--port=${port}`, '--headless'];
  // stdout ignored: it draws a spinner and a banner, no machine-readable ready line.
  const handle = startProcess('portkey', process.execPath, args, { cwd: dir, stdout: 'ignore' });
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(handle, `${origin}/`, READY_MS);
  return {
    name: 'portkey',
    label: `Portkey gateway ${pkg.version}`,
    origin,
    path: CHAT_PATH,
    headers: {
      authorization: `Bearer ${FAKE_KEY}`,
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstream.origin}/v1`,
    },
    handle,
    pid: handle.pid,
  };
}
