import { defineConfig } from 'tsup';

// Two entry points: the library and the CLI. Bundled so that `guardrun -- cmd` loads few files at start.
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' } },
  splitting: true,
  clean: true,
  sourcemap: true,
  outDir: 'dist',
});
