// Start-up cost: wall time from spawn to exit of `node bin/guardrun.js --key-env OPENAI_API_KEY -- true`
// against `node -e 0`, interleaved, medians of `runs` each.
import { spawn } from 'node:child_process';
import { median } from './stats.js';
import { FAKE_KEY, GUARDRUN_BIN } from './targets.js';

function timeExit(cmd, args, { cwd, env }) {
  return new Promise((resolve) => {
    let stderr = '';
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (part) => (stderr = (stderr + part).slice(-1000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code: code ?? signal, stderr });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ms: null, code: 'spawn error', stderr: error.message });
    });
  });
}

/** `withGuardrun` false measures only `node -e 0`. */
export async function startupTimes({ runs, withGuardrun, cwd, bin = GUARDRUN_BIN }) {
  const node = [];
  const guard = [];
  let failure = null;
  const env = { ...process.env, OPENAI_API_KEY: FAKE_KEY };
  for (let i = 0; i < runs; i++) {
    node.push((await timeExit(process.execPath, ['-e', '0'], { cwd, env })).ms);
    if (!withGuardrun) continue;
    const run = await timeExit(process.execPath, [bin, '--key-env', 'OPENAI_API_KEY', '--', 'true'], { cwd, env });
    if (run.code !== 0) failure ??= `exit ${run.code}: ${run.stderr.trim().slice(-300)}`;
    guard.push(run.ms);
  }
  const nodeMs = median(node);
  const guardrunMs = withGuardrun ? median(guard) : null;
  return { runs, nodeMs, guardrunMs, ratio: guardrunMs && nodeMs ? guardrunMs / nodeMs : null, failure, samples: { node, guardrun: guard } };
}
