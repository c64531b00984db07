import { defineConfig } from '@playwright/test';
import { LAUNCH_OPTIONS } from './scripts/chromium.mjs';

/**
 * End-to-end tests drive the BUILT app (`dist/`, served by the real server in `build/server/`):
 * a service worker and offline behaviour only exist in a production build. `npm run test:e2e`
 * and `npm test` build first; running `npx playwright test` alone uses whatever was built last.
 * Fixtures (servers, persistent profiles, temp dirs) live in tests/e2e/fixtures.ts.
 */
export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  // Not test-results/ itself: Playwright empties its output dir on start, and scripts/test.mjs
  // keeps the other runners' reports there.
  outputDir: 'test-results/e2e',
  fullyParallel: true,
  // The machine has 2 cores; each test runs a browser and a server.
  workers: 2,
  // A flaky test is a bug to fix, not to retry.
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // scripts/test.mjs passes --reporter=list,json (and the JSON file name through the environment).
  reporter: 'list',
  use: {
    browserName: 'chromium',
    launchOptions: { ...LAUNCH_OPTIONS, args: [...LAUNCH_OPTIONS.args] },
    serviceWorkers: 'allow',
    actionTimeout: 10_000,
    navigationTimeout: 20_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
