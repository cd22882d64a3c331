import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file in its own process: tfjs backends and opencv's wasm heap are process-wide state.
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
