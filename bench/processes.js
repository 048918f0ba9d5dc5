// Every process the bench starts goes through here: each in its own process group, killed at the end,
// also on error and Ctrl-C. Plus /proc readings (CPU ticks, RSS) for a pid.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { request } from 'undici';

const children = new Set();

/** Starts `cmd args` detached (own process group) with stdout lines and a stderr tail kept. */
export function startProcess(name, cmd, args, { env = process.env, cwd, stdout = 'pipe' } = {}) {
  const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ['pipe', stdout, 'pipe'] });
  const handle = { name, child, pid: child.pid, exited: false, exitCode: null, lines: [], waiters: new Set(), stderr: '' };
  children.add(handle);
  child.stdin.on('error', () => {});
  child.stderr.on('data', (part) => (handle.stderr = (handle.stderr + part.toString()).slice(-4000)));
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      handle.lines.push(line);
      for (const wake of handle.waiters) wake();
    });
  }
  handle.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      handle.exited = true;
      handle.exitCode = code ?? (signal ? `signal ${signal}` : null);
      children.delete(handle);
      for (const wake of handle.waiters) wake();
      resolve(handle.exitCode);
    });
    child.on('error', (error) => {
      handle.exited = true;
      handle.exitCode = `spawn error: ${error.message}`;
      children.delete(handle);
      for (const wake of handle.waiters) wake();
      resolve(handle.exitCode);
    });
  });
  return handle;
}

/** Resolves with the first stdout line that parses as JSON and passes `accept`. */
export function waitForJsonLine(handle, accept, timeoutMs) {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => finish(new Error(`${handle.name}: no ready line within ${timeoutMs} ms`)), timeoutMs);
    const check = () => {
      for (; seen < handle.lines.length; seen++) {
        try {
          const value = JSON.parse(handle.lines[seen]);
          if (accept(value)) return finish(null, value);
        } catch {
          // not JSON: a banner or log line
        }
      }
      if (handle.exited) finish(new Error(`${handle.name} exited (${handle.exitCode}) before it was ready`));
    };
    const finish = (error, value) => {
      clearTimeout(timer);
      handle.waiters.delete(check);
      if (error) reject(error);
      else resolve(value);
    };
    handle.waiters.add(check);
    check();
  });
}

/** Polls an HTTP URL until anything answers (for servers that print no machine-readable ready line). */
export async function waitForHttp(handle, url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.exited) throw new Error(`${handle.name} exited (${handle.exitCode}) before it was ready`);
    try {
      const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${handle.name}: ${url} did not answer within ${timeoutMs} ms`);
}

/** Closes stdin, SIGTERMs the group, SIGKILLs it if it is still there after `graceMs`. */
export async function stopProcess(handle, graceMs = 3000) {
  if (handle.exited) return handle.exitCode;
  handle.child.stdin.end();
  signalGroup(handle, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(handle, 'SIGKILL'), graceMs);
  const code = await handle.exitPromise;
  clearTimeout(timer);
  signalGroup(handle, 'SIGKILL'); // the group may hold a grandchild (guardrun's child)
  return code;
}

function signalGroup(handle, signal) {
  try {
    process.kill(-handle.pid, signal);
  } catch {
    // already gone
  }
}

/** Kills everything still running, synchronously (safe inside an 'exit' handler). */
export function killAllSync() {
  for (const handle of children) signalGroup(handle, 'SIGKILL');
}

export function installCleanup() {
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping everything it started\n`);
      killAllSync();
      process.exit(130);
    });
  }
}

/** A port that was free a moment ago on 127.0.0.1 (for servers that must be told their port). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU time of a process so far, in microseconds (resolution: one clock tick, usually 10 ms). */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  const ticks = Number(fields[11]) + Number(fields[12]); // utime (14) + stime (15)
  return (ticks * 1e6) / clockTicks();
}

/** Current and peak resident set size in MB. */
export function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}
