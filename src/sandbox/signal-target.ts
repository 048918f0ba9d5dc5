// Signals for a sandboxed agent go to the agent itself. The sandbox's wrapper (bubblewrap) does not pass
// signals on, and dies of them, which kills everything inside at once: SIGINT and SIGTERM would never reach
// the agent's own handlers. guardrun sees the processes inside from its own /proc and picks the top one
// that carries the mark the start-up script sets just before it execs the command.
import { readFileSync } from 'node:fs';
import { processTree } from '../session/process-tree.js';
import { SANDBOXED_MARK } from './inner-script.js';

const MARK = Buffer.from(`${SANDBOXED_MARK}=1\0`);

function marked(pid: number): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`);
    return env.indexOf(MARK) === 0 || env.indexOf(Buffer.concat([Buffer.from('\0'), MARK])) !== -1;
  } catch {
    return false;
  }
}

/** Sends `sig` to the sandboxed agent under `childPid` (the first marked process of the tree, which lists parents first); false when none is found. */
export function sandboxedProcess(childPid: number, sig: NodeJS.Signals): boolean {
  if (process.platform !== 'linux') return false;
  const top = processTree(childPid).find(marked);
  if (top === undefined) return false;
  try {
    process.kill(top, sig);
    return true;
  } catch {
    return false;
  }
}
