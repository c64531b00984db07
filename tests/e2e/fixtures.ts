/**
 * Weft's Playwright fixtures. Import `test` and `expect` from here instead of '@playwright/test':
 *
 * ```ts
 * import { test, expect } from './fixtures';
 *
 * test('opens', async ({ page }) => {
 *   await page.goto('/');                       // baseURL is the worker's Weft server
 *   await expect(page.getByRole('button', { name: 'New note' })).toBeVisible();
 * });
 * ```
 *
 * What each test gets, on top of Playwright's own `page`, `context`, `browser`, `request`:
 * - `server` (per worker): the real Weft server over `dist/` on 127.0.0.1; `baseURL` points at it.
 * - `serveDir(dir)`: another server over any directory (e.g. a `copyDist()` you then change).
 * - `copyDist()`: a private copy of `dist/` to tamper with (new deployments, broken files).
 * - `tempDir`, `profileDir`: fresh empty directories, removed after the test.
 * - `launchProfile(dir?)`: a Chromium with a persistent profile, for "quit and relaunch the browser
 *   on the same profile" tests.
 *
 * Everything a test starts through these is closed or removed in teardown, also when it fails.
 * Playwright's default `context` is a fresh incognito-like profile per test, so service workers,
 * IndexedDB and storage never leak between tests; every `serveDir` server is a new origin too.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test as base, type BrowserContext, type BrowserContextOptions } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../scripts/chromium.mjs';
import { DIST_DIR, assertBuilt, startWeftServer, type StartServerOptions, type WeftServer } from './helpers/server';

export { expect };
export type { WeftServer };

/**
 * Permissions that make WebRTC gather host ICE candidates in headless Chromium: without a
 * camera/microphone grant it may hide local addresses (mDNS) and two contexts never connect.
 */
export const WEBRTC_PERMISSIONS: readonly string[] = ['camera', 'microphone'];

/**
 * Grants `permissions` to `origin` (default: every origin) in `context`. With no list, grants
 * `WEBRTC_PERMISSIONS`, which peer-to-peer tests need.
 *
 * ```ts
 * await grantPermissions(context);                                  // WebRTC between two contexts
 * await grantPermissions(context, ['clipboard-read', 'clipboard-write'], server.url);
 * ```
 */
export async function grantPermissions(
  context: BrowserContext,
  permissions: readonly string[] = WEBRTC_PERMISSIONS,
  origin?: string,
): Promise<void> {
  await context.grantPermissions([...permissions], origin === undefined ? undefined : { origin });
}

/** Test-scoped fixtures. */
export interface WeftTestFixtures {
  /** A fresh empty directory under the OS temp dir, removed after the test. */
  tempDir: string;
  /** A fresh empty Chromium profile directory for `launchProfile`, removed after the test. */
  profileDir: string;
  /**
   * Starts another Weft server over `dir` (same options as the worker's `server`); stopped after
   * the test. Each call is a new origin: its service worker and storage start empty.
   *
   * ```ts
   * const dir = await copyDist();
   * const app = await serveDir(dir);
   * await page.goto(app.url + '/');
   * ```
   */
  serveDir: (dir: string, options?: Omit<StartServerOptions, 'staticDir'>) => Promise<WeftServer>;
  /** Copies the built app (`dist/`) into a fresh directory and returns its path. */
  copyDist: () => Promise<string>;
  /**
   * Launches Chromium on a persistent profile (`profileDir` unless another directory is given)
   * and returns its context; `context.pages()[0]` is its first tab. Close it to "quit the
   * browser", then call again with the same directory to relaunch on the same profile. Contexts
   * still open at the end of the test are closed. `baseURL` defaults to the worker's server.
   *
   * ```ts
   * let browser = await launchProfile();
   * await browser.pages()[0]!.goto('/');
   * // ...write a note...
   * await browser.close();
   * browser = await launchProfile();               // same profile directory
   * const page = browser.pages()[0]!;
   * await page.goto('/');
   * ```
   */
  launchProfile: (userDataDir?: string, options?: BrowserContextOptions) => Promise<BrowserContext>;
}

/** Worker-scoped fixtures. */
export interface WeftWorkerFixtures {
  /** The real Weft server over `dist/`, shared by the tests of one worker; `baseURL` is its URL. */
  server: WeftServer;
}

async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** `test` with Weft's fixtures; see the module comment. */
// The fixtures' second parameter is named `provide`, not Playwright's customary `use`, because
// eslint-plugin-react-hooks mistakes any call to `use(...)` for React's `use` hook.
export const test = base.extend<WeftTestFixtures, WeftWorkerFixtures>({
  server: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from this pattern
    async ({}, provide) => {
      const server = await startWeftServer();
      try {
        await provide(server);
      } finally {
        await server.stop();
      }
    },
    { scope: 'worker', timeout: 30_000 },
  ],

  baseURL: async ({ server }, provide) => {
    await provide(server.url);
  },

  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from this pattern
  tempDir: async ({}, provide) => {
    const dir = await makeTempDir('weft-e2e-');
    try {
      await provide(dir);
    } finally {
      // Tests keep browser profiles here too, and Chromium may still be flushing one for a
      // moment after its context closed (ENOTEMPTY): retry like `profileDir` does.
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    }
  },

  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from this pattern
  profileDir: async ({}, provide) => {
    const dir = await makeTempDir('weft-profile-');
    try {
      await provide(dir);
    } finally {
      // Chromium may still be flushing the profile for a moment after close.
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    }
  },

  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from this pattern
  serveDir: async ({}, provide) => {
    const servers: WeftServer[] = [];
    try {
      await provide(async (dir, options = {}) => {
        const server = await startWeftServer({ ...options, staticDir: dir });
        servers.push(server);
        return server;
      });
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  },

  copyDist: async ({ tempDir }, provide) => {
    let copies = 0;
    await provide(async () => {
      assertBuilt(DIST_DIR);
      const dir = join(tempDir, `dist-${copies++}`);
      await cp(DIST_DIR, dir, { recursive: true });
      return dir;
    });
  },

  launchProfile: async ({ profileDir, baseURL }, provide) => {
    const contexts: BrowserContext[] = [];
    try {
      await provide(async (userDataDir = profileDir, options = {}) => {
        const context = await chromium.launchPersistentContext(userDataDir, {
          ...LAUNCH_OPTIONS,
          args: [...LAUNCH_OPTIONS.args],
          ...(baseURL === undefined ? {} : { baseURL }),
          ...options,
        });
        contexts.push(context);
        return context;
      });
    } finally {
      // close() on an already closed context is a no-op.
      await Promise.all(contexts.map((context) => context.close()));
    }
  },
});
