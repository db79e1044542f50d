import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    exclude: ['**/node_modules/**', 'tests/workflows/fixtures/**'],
    // Scenario tests drive real git repositories, child processes and HTTP servers.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep file-level parallelism modest so timing-sensitive servers stay responsive.
    maxWorkers: 2,
  },
});
