import { defineConfig } from 'vitest/config';

// Unit tests run in Node. Browser-only APIs come from real substitutes:
// fake-indexeddb for IndexedDB, jsdom where a test opts in with
// `// @vitest-environment jsdom`.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/unit/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
