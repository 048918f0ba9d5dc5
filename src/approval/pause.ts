// Stops and continues the child and its descendants while a prompt is open, so their output cannot
// garble the prompt and they cannot read the keystrokes. guardrun shares the child's process group
// (for Ctrl-C and terminal reads), so signalling the group would stop guardrun itself: walk the tree.
import { readFileSync } from 'node:fs';
import { processTree, send } from '../session/process-tree.js';

export { processTree };

/** SIGSTOPs `pid` and its descendants; returns the pids stopped. */
export function pauseTree(pid: number): number[] {
  const stopped = new Set<number>();
  // Stop the root first so it cannot fork more; repeat until the walk finds nothing new
  // (a child forked between the walk and its parent's stop). Bounded.
  for (let round = 0; round < 5; round++) {
    let added = false;
    for (const p of processTree(pid)) {
      if (stopped.has(p)) continue;
      if (send(p, 'SIGSTOP')) stopped.add(p);
      added = true;
    }
    if (!added) break;
  }
  return [...stopped];
}

/** SIGCONTs `pid` and its descendants; returns the pids continued. */
export function resumeTree(pid: number): number[] {
  return processTree(pid).filter((p) => send(p, 'SIGCONT'));
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined; // gone
  }
}

/**
 * Resolves once every pid is stopped (or gone), so a write already under way cannot land inside the
 * prompt; true when they all stopped within `timeoutMs`. Linux only; elsewhere resolves true at once.
 */
export async function waitStopped(pids: readonly number[], timeoutMs = 200): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = pids.filter((pid) => {
      const state = processState(pid);
      return state !== undefined && state !== 'T' && state !== 't' && state !== 'Z' && state !== 'X';
    });
    if (running.length === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** pauseTree, then waitStopped: what the approver's `pause` should be. */
export async function stopTree(pid: number, timeoutMs = 200): Promise<number[]> {
  const pids = pauseTree(pid);
  await waitStopped(pids, timeoutMs);
  return pids;
}
