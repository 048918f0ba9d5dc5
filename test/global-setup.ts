// Builds the CLI once before the suite, so end-to-end tests spawn what the source says now.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  if (process.env.GUARDRUN_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, ['node_modules/tsup/dist/cli-default.js', '--silent'], { stdio: 'inherit' });
}
