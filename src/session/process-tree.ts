// The agent's processes: the child and its descendants, and any process that still carries this session's
// GUARDRUN_SESSION in its environment (a grandchild whose parent exited is re-parented, so the tree alone
// would lose it). Linux reads /proc; elsewhere only the child itself is known.
import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid of every process, from /proc/<pid>/stat (Linux only). */
function readParents(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const pid of pids()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(pid, Number(fields[1]));
    } catch {
      // The process exited while we looked.
    }
  }
  return parents;
}

function pids(): number[] {
  try {
    return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
  } catch {
    return [];
  }
}

/** `pid` and every descendant of it (just `pid` where /proc is not available). */
export function processTree(pid: number): number[] {
  if (process.platform !== 'linux') return [pid];
  const parents = readParents();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i] && !tree.includes(child)) tree.push(child);
  }
  return tree;
}

/** Processes (other than guardrun itself) whose environment holds `GUARDRUN_SESSION=<sessionId>`. */
export function sessionProcesses(sessionId: string): number[] {
  if (process.platform !== 'linux') return [];
  const marker = Buffer.from(`\0GUARDRUN_SESSION=${sessionId}\0`);
  const first = Buffer.from(`GUARDRUN_SESSION=${sessionId}\0`);
  const found: number[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`);
      if (env.includes(marker) || env.subarray(0, first.length).equals(first)) found.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Sends `sig` to `pid` (never to guardrun itself or init); false when the process is gone. */
export function send(pid: number, sig: NodeJS.Signals): boolean {
  if (pid === process.pid || pid <= 1) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false; // already gone
  }
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

/** Every process of the session still there: the child's tree and everything carrying the session id. */
export function leftoverProcesses(sessionId: string, childPid: number | undefined): number[] {
  const all = new Set<number>(sessionProcesses(sessionId));
  if (childPid !== undefined && alive(childPid)) for (const p of processTree(childPid)) all.add(p);
  all.delete(process.pid);
  return [...all].filter(alive);
}

/**
 * Ends the session's remaining processes: SIGCONT + SIGTERM now, SIGKILL to those still there after `graceMs`.
 * Blocks (polling every 50 ms) so it also works on guardrun's own crash path, where no event loop turn is left.
 * Returns the pids it signalled.
 */
export function endProcessesSync(pidsToEnd: readonly number[], graceMs: number): number[] {
  const signalled = pidsToEnd.filter((p) => send(p, 'SIGCONT') && send(p, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline && signalled.some(alive)) Atomics.wait(nap, 0, 0, 50);
  for (const p of signalled) if (alive(p)) send(p, 'SIGKILL');
  return signalled;
}
