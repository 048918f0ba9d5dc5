// A real terminal for tests: a private tmux server, keys in with send-keys, the screen back with capture-pane.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const hasTmux = ((): boolean => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Tmux {
  run(...args: string[]): string;
  /** Starts a detached session running argv (120x50). */
  start(session: string, argv: string[]): void;
  /** The visible screen, or with `history` everything since the pane started (wrapped lines joined). */
  screen(session: string, history?: boolean): string;
  waitForScreen(session: string, pattern: RegExp, history?: boolean, timeoutMs?: number): Promise<string>;
  keys(session: string, ...keys: string[]): void;
  close(): void;
}

export function createTmux(dir: string): Tmux {
  const socket = `guardrun-test-${randomBytes(6).toString('hex')}`;
  const conf = join(dir, 'tmux.conf');
  writeFileSync(conf, 'set -g history-limit 200000\nset -g status off\nset -g remain-on-exit on\n');
  const run = (...args: string[]): string => execFileSync('tmux', ['-L', socket, '-f', conf, ...args], { encoding: 'utf8', timeout: 10_000 });
  const screen = (session: string, history = false): string => run('capture-pane', '-p', '-J', '-t', session, ...(history ? ['-S', '-', '-E', '-'] : []));
  return {
    run,
    screen,
    start: (session, argv) => void run('new-session', '-d', '-s', session, '-x', '120', '-y', '50', ...argv),
    async waitForScreen(session, pattern, history = false, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = screen(session, history);
        if (pattern.test(last)) return last;
        await sleep(50);
      }
      throw new Error(`the terminal never showed ${pattern}; it showed:\n${last}`);
    },
    keys: (session, ...keys) => void run('send-keys', '-t', session, ...keys),
    close() {
      try {
        run('kill-server');
      } catch {
        // already gone
      }
    },
  };
}
