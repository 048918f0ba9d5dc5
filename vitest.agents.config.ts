import { defineConfig } from 'vitest/config';

// `npm run test:agents`: the real Codex CLI and Claude Code under guardrun (test/agents/). Separate from
// `npm test` because the two CLIs are a large download (about 800 MB, installed once into .cache/agents/).
export default defineConfig({
  test: {
    include: ['test/agents/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts', 'test/agents/install-clis.ts'],
  },
});
