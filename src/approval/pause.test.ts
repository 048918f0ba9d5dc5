// A real process tree: `sh` with two sleeping children, stopped and continued as a whole.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pauseTree, processTree, resumeTree, stopTree, waitStopped } from './pause.js';

const state = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
};

let child: ChildProcess | undefined;
afterEach(() => {
  if (!child?.pid) return;
  for (const pid of processTree(child.pid).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  child = undefined;
});

describe.runIf(process.platform === 'linux')('pauseTree / resumeTree', () => {
  it('stops the child and all its descendants, and continues them', async () => {
    child = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore' });
    const root = child.pid!;
    await vi.waitFor(() => expect(processTree(root)).toHaveLength(3), { timeout: 5000 });
    const tree = processTree(root);
    expect(tree[0]).toBe(root);

    const stopped = pauseTree(root);
    expect(stopped.sort()).toEqual([...tree].sort());
    await vi.waitFor(() => expect(tree.map(state)).toEqual(['T', 'T', 'T']), { timeout: 5000 });
    expect(state(process.pid)).not.toBe('T');

    expect(resumeTree(root).sort()).toEqual([...tree].sort());
    await vi.waitFor(() => expect(tree.map(state).every((s) => s === 'S' || s === 'R')).toBe(true), { timeout: 5000 });
  });

  it('stopTree resolves only when the whole tree is stopped', async () => {
    child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    const root = child.pid!;
    await vi.waitFor(() => expect(processTree(root)).toHaveLength(2), { timeout: 5000 });
    expect(await waitStopped(processTree(root), 20)).toBe(false);
    const pids = await stopTree(root, 2000);
    expect(pids.map(state)).toEqual(['T', 'T']);
    expect(await waitStopped(pids, 20)).toBe(true);
    resumeTree(root);
  });

  it('ignores a pid that is gone', () => {
    expect(pauseTree(2 ** 22 + 12345)).toEqual([]);
    expect(resumeTree(2 ** 22 + 12345)).toEqual([]);
  });
});
