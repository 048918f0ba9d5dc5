#!/usr/bin/env node
// Loads the built CLI; from a source checkout without a build, says how to make one.
import('../dist/cli.js').then(
  (m) => m.main(process.argv.slice(2)),
  (error) => {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist')) {
      process.stderr.write('guardrun: the CLI is not built (dist/ is missing) [E_INTERNAL]\nfix: run `npm run build` (from a clone: npm ci && npm run build)\n');
      process.exit(70);
    }
    throw error;
  },
);
