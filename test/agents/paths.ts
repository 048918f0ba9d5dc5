// Where `npm run test:agents` keeps the agent CLIs and its runs: under .cache/agents/ in the repository
// (gitignored), never under the system temp dir, where Codex refuses to lay its sandbox helper binaries.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_DIR = join(ROOT, '.cache', 'agents', 'cli');
export const RUNS_DIR = join(ROOT, '.cache', 'agents', 'runs');

/** The pinned versions the adapters were measured with (docs/agents.md). */
export const CLIS = [
  { program: 'codex', pkg: '@openai/codex', version: '0.171.0' },
  { program: 'claude', pkg: '@anthropic-ai/claude-code', version: '2.1.332' },
] as const;

export function cliBin(program: string): string {
  return join(CLI_DIR, 'node_modules', '.bin', program);
}
