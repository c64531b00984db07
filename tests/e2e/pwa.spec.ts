/**
 * The PWA layer, end to end on the built app: installability (manifest, icons), the offline app
 * shell (service worker precache + navigation fallback), the update prompt, and the status
 * indicators. Other specs own the notes themselves; these rely only on the shell's stable
 * contracts (page title, the "New note" button, the status texts, "Reload to update").
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { buildIdOf, deployNewBuild, openPrivateDeployment, waitForServiceWorkerControl } from './helpers/serviceWorker';

interface ManifestIcon {
  src: string;
  sizes: string;
  type?: string;
  purpose?: string;
}

interface WebManifest {
  name?: string;
  short_name?: string;
  description?: string;
  display?: string;
  start_url?: string;
  scope?: string;
  theme_color?: string;
  background_color?: string;
  icons?: ManifestIcon[];
}

/** Width and height from a PNG's IHDR chunk (bytes 16–23), after checking the signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(0, 8).equals(signature), 'PNG signature').toBe(true);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The app shell is up: the page is Weft's and its main action is there. */
async function expectShell(page: Page): Promise<void> {
  await expect(page).toHaveTitle('Weft');
  await expect(page.getByRole('button', { name: 'New note' })).toBeVisible();
}

test('the manifest is linked and valid, and its icons are served', async ({ page, request }) => {
  await page.goto('/');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(href).toBeTruthy();
  const manifestUrl = new URL(href!, page.url());
  const response = await request.get(manifestUrl.href);
  expect(response.status()).toBe(200);
  const manifest = (await response.json()) as WebManifest;

  expect(manifest).toMatchObject({
    name: 'Weft',
    short_name: 'Weft',
    display: 'standalone',
    start_url: '/',
    scope: '/',
  });
  expect(manifest.description).toBeTruthy();
  expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
  // The browser paints its UI with the page's theme-color before the manifest is read: they must agree.
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
  await expect(page.locator('meta[name="theme-color"]')).toHaveAttribute('content', manifest.theme_color!);

  const icons = manifest.icons ?? [];
  const find = (size: string, purpose: string) =>
    icons.find((icon) => icon.sizes === size && (icon.purpose ?? 'any').split(' ').includes(purpose));
  const wanted = [find('192x192', 'any'), find('512x512', 'any'), find('512x512', 'maskable')];
  for (const icon of wanted) {
    expect(icon, JSON.stringify(icons)).toBeDefined();
    const res = await request.get(new URL(icon!.src, manifestUrl).href);
    expect(res.status(), icon!.src).toBe(200);
    expect(res.headers()['content-type']).toContain('image/png');
    const [width, height] = icon!.sizes.split('x').map(Number);
    expect(pngSize(await res.body()), icon!.src).toEqual({ width, height });
  }

  // The favicon and the iOS home-screen icon the page links to.
  for (const rel of ['icon', 'apple-touch-icon']) {
    const iconHref = await page.locator(`link[rel="${rel}"]`).getAttribute('href');
    expect(iconHref, rel).toBeTruthy();
    const res = await request.get(new URL(iconHref!, page.url()).href);
    expect(res.status(), rel).toBe(200);
  }
});

test('after one online visit the app opens offline, deep links included', async ({ page, context }) => {
  await page.goto('/');
  await expectShell(page);
  await waitForServiceWorkerControl(page);

  await context.setOffline(true);
  await page.reload();
  await expectShell(page);

  // A route the server never precached: the worker's navigation fallback serves the shell.
  await page.goto('/note/some-id');
  await expectShell(page);
  // The app's own note links (route in the fragment) open too.
  await page.goto('/#/note/offline-deep-link');
  await expectShell(page);

  // Server endpoints are excluded from the fallback: offline they fail instead of showing the app.
  await expect(page.goto('/config.json')).rejects.toThrow(/ERR_INTERNET_DISCONNECTED/);
});

test('the app starts with no network after the browser is closed and relaunched', async ({ launchProfile }) => {
  let browser = await launchProfile();
  const first = browser.pages()[0] ?? (await browser.newPage());
  await first.goto('/');
  await waitForServiceWorkerControl(first);
  await browser.close();

  // Same profile, no network from the very first request.
  browser = await launchProfile();
  await browser.setOffline(true);
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto('/');
  await expectShell(page);
  await expect(page.getByRole('status').filter({ hasText: /^(Online|Offline)$/ })).toHaveText('Offline');
});

test('the online indicator follows the network', async ({ page, context }) => {
  await page.goto('/');
  const online = page.getByRole('status').filter({ hasText: /^(Online|Offline)$/ });
  await expect(online).toHaveText('Online');
  await context.setOffline(true);
  await expect(online).toHaveText('Offline');
  await context.setOffline(false);
  await expect(online).toHaveText('Online');
});

test('the outcome of the persistent-storage request is shown', async ({ page }) => {
  await page.goto('/');
  const status = page.getByTestId('storage-status');
  // Whether the browser grants persistence is its own decision; the app must say which it got.
  await expect(status).toHaveText(/^Storage: (persistent|may be cleared by the browser)$/);
  await expect(status).toHaveAttribute('title', /\S/);
  const persisted = await page.evaluate(() => navigator.storage.persisted());
  await expect(status).toHaveText(persisted ? 'Storage: persistent' : 'Storage: may be cleared by the browser');
});

test('a newer build makes the page offer a reload, and only the click reloads', async ({
  page,
  copyDist,
  serveDir,
}) => {
  const { dir } = await openPrivateDeployment(page, copyDist, serveDir);
  const oldBuild = await buildIdOf(page);
  expect(oldBuild).toBeTruthy();

  const newBuild = `${oldBuild}-e2e-next`;
  await deployNewBuild(dir, newBuild);

  // Every navigation of the main frame from here on counts as a reload.
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  const markPage = () => page.evaluate(() => Object.assign(window, { weftSamePage: true }));
  const isSamePage = () => page.evaluate(() => 'weftSamePage' in window);
  await markPage();

  // The app checks for a new version whenever it becomes visible again (a tab switch); fire that.
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));

  const reloadButton = page.getByRole('button', { name: 'Reload to update' });
  await expect(reloadButton).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'A new version of Weft is available.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Later' })).toBeVisible();

  // Offered, not forced: the new worker waits, the old one still serves this very page.
  expect(navigations).toBe(0);
  expect(await isSamePage()).toBe(true);
  expect(await buildIdOf(page)).toBe(oldBuild);
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting?.state)).toBe(
    'installed',
  );

  // Even a reload by hand keeps the running version (the new one only takes over on the click),
  // and the offer is made again.
  await page.reload();
  await expect(reloadButton).toBeVisible();
  expect(await buildIdOf(page)).toBe(oldBuild);

  await markPage();
  const reloaded = page.waitForEvent('load');
  await reloadButton.click();
  await reloaded;

  expect(await isSamePage()).toBe(false);
  expect(await buildIdOf(page)).toBe(newBuild);
  await expect(reloadButton).toBeHidden();
  await expectShell(page);
  expect(
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      return { waiting: registration?.waiting ?? null, controlled: navigator.serviceWorker.controller !== null };
    }),
  ).toEqual({ waiting: null, controlled: true });
});

test('"Later" hides the update offer without reloading', async ({ page, copyDist, serveDir }) => {
  const { dir } = await openPrivateDeployment(page, copyDist, serveDir);
  const oldBuild = await buildIdOf(page);
  await deployNewBuild(dir, `${oldBuild}-e2e-later`);
  await page.evaluate(() => Object.assign(window, { weftSamePage: true }));

  // The update check an app also runs on its hourly timer, called directly.
  await page.evaluate(async () => {
    await (await navigator.serviceWorker.getRegistration())?.update();
  });
  await expect(page.getByRole('button', { name: 'Reload to update' })).toBeVisible();
  await page.getByRole('button', { name: 'Later' }).click();
  await expect(page.getByRole('button', { name: 'Reload to update' })).toBeHidden();
  expect(await page.evaluate(() => 'weftSamePage' in window)).toBe(true);
  expect(await buildIdOf(page)).toBe(oldBuild);
});
