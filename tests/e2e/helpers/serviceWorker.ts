/**
 * Service-worker helpers for e2e tests: wait until the built app's worker controls a page, and
 * fake a new deployment in a served directory.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';

/**
 * Resolves once a service worker controls `page` — i.e. the app shell is precached and the next
 * load can happen offline. The worker never claims the page that installed it (no clientsClaim:
 * updates wait for the user), so on a first visit this reloads the page once.
 */
export async function waitForServiceWorkerControl(page: Page): Promise<void> {
  // `ready` resolves once a worker is active, which is after its install (the precache) succeeded.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
  if (!controlled) await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

/** The `<meta name="weft-build">` of the page (the build it was loaded from). */
export function buildIdOf(page: Page): Promise<string | null> {
  return page.locator('meta[name="weft-build"]').getAttribute('content');
}

/**
 * Turns the build in `staticDir` into "a newer version" in place, as a deploy would: index.html
 * gets `buildId` in its `<meta name="weft-build">`, and sw.js's precache manifest gets the new
 * revision of index.html, so the worker script differs byte-wise and the browser installs it on
 * its next update check. Only for a *copy* of dist/ (see the `copyDist` fixture).
 */
export async function deployNewBuild(staticDir: string, buildId: string): Promise<void> {
  const indexPath = join(staticDir, 'index.html');
  const swPath = join(staticDir, 'sw.js');
  const html = await readFile(indexPath, 'utf8');
  const meta = /<meta name="weft-build" content="[^"]*"\s*\/?>/;
  if (!meta.test(html)) throw new Error(`${indexPath} has no <meta name="weft-build">`);
  const newHtml = html.replace(meta, `<meta name="weft-build" content="${buildId}">`);
  // workbox-build revisions are the MD5 of the file's bytes.
  const revision = createHash('md5').update(newHtml).digest('hex');
  const sw = await readFile(swPath, 'utf8');
  const entry = /(\{\s*url:\s*"index\.html",\s*revision:\s*")[0-9a-f]+(")/;
  if (!entry.test(sw)) throw new Error(`${swPath} has no precache entry for index.html`);
  await writeFile(indexPath, newHtml);
  await writeFile(swPath, sw.replace(entry, `$1${revision}$2`));
}

/**
 * Serves a private copy of the built app (so a test can "deploy" into it later), opens it in
 * `page` and waits until its service worker controls the page. Pass the `copyDist` and
 * `serveDir` fixtures.
 */
export async function openPrivateDeployment(
  page: Page,
  copyDist: () => Promise<string>,
  serveDir: (dir: string) => Promise<{ url: string }>,
): Promise<{ dir: string; url: string }> {
  const dir = await copyDist();
  const { url } = await serveDir(dir);
  await page.goto(`${url}/`);
  await waitForServiceWorkerControl(page);
  return { dir, url };
}
