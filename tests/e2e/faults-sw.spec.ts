/**
 * Faults around the service worker, on a private copy of the built app: a deploy while the user
 * types, the old hashed assets gone from the server, and a new version whose precache cannot be
 * completed.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { editor, flushed, newNote } from './helpers/app';
import { buildIdOf, deployNewBuild, openPrivateDeployment } from './helpers/serviceWorker';

async function expectShell(page: Page): Promise<void> {
  await expect(page).toHaveTitle('Weft');
  await expect(page.getByRole('button', { name: 'New note' })).toBeVisible();
}

test('a new deploy while the user types: no forced reload, the prompt appears, the text survives the update', async ({
  page,
  copyDist,
  serveDir,
}) => {
  const { dir } = await openPrivateDeployment(page, copyDist, serveDir);
  const oldBuild = await buildIdOf(page);
  const hash = await newNote(page);
  await page.keyboard.type('Typing through a deploy');

  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  await deployNewBuild(dir, `${oldBuild}-e2e-typing`);
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  // Keep typing while the new version installs.
  await page.keyboard.type(' while it installs');
  const reloadButton = page.getByRole('button', { name: 'Reload to update' });
  await expect(reloadButton).toBeVisible();
  await page.keyboard.type(' and after the prompt');
  expect(navigations).toBe(0);
  await expect(editor(page)).toHaveText('Typing through a deploy while it installs and after the prompt');

  // No flush by the test: the app's own beforeReload must keep every keystroke.
  const reloaded = page.waitForEvent('load');
  await reloadButton.click();
  await reloaded;
  expect(await buildIdOf(page)).toBe(`${oldBuild}-e2e-typing`);
  expect(new URL(page.url()).hash).toBe(hash);
  await expect(editor(page)).toHaveText('Typing through a deploy while it installs and after the prompt');
});

test('old hashed assets gone from the server: the cached app still starts, online and offline', async ({
  page,
  context,
  copyDist,
  serveDir,
}) => {
  const { dir, url } = await openPrivateDeployment(page, copyDist, serveDir);
  const hash = await newNote(page);
  await page.keyboard.type('Still here');
  await flushed(page);

  const assets = join(dir, 'assets');
  const files = await readdir(assets);
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) await rm(join(assets, file));
  const direct = await page.request.get(`${url}/assets/${files[0]!}`);
  expect(direct.status()).toBe(404);

  await page.reload();
  await expectShell(page);
  await expect(editor(page)).toHaveText('Still here');

  await context.setOffline(true);
  await page.goto(`${url}/${hash}`);
  await page.reload();
  await expectShell(page);
  await expect(editor(page)).toHaveText('Still here');
});

test('a new version whose precache fails to install: the previous version stays active and keeps working', async ({
  page,
  context,
  copyDist,
  serveDir,
}) => {
  const { dir, url } = await openPrivateDeployment(page, copyDist, serveDir);
  const oldBuild = await buildIdOf(page);

  // A new version whose worker precaches an asset the server does not have (404).
  await deployNewBuild(dir, `${oldBuild}-e2e-broken`);
  const swPath = join(dir, 'sw.js');
  const sw = await readFile(swPath, 'utf8');
  const entry = /\{\s*url:\s*"index\.html"/;
  expect(sw).toMatch(entry);
  await writeFile(swPath, sw.replace(entry, (match) => `{url:"assets/missing-e2e-asset.js",revision:null},${match}`));

  const outcome = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    if (!registration) return 'no registration';
    const found = new Promise<ServiceWorker | null>((resolve) =>
      registration.addEventListener('updatefound', () => resolve(registration.installing), { once: true }),
    );
    await registration.update();
    const worker = await found;
    if (!worker) return 'no installing worker';
    if (worker.state !== 'redundant') {
      await new Promise<void>((resolve) =>
        worker.addEventListener('statechange', () => {
          if (worker.state === 'redundant') resolve();
        }),
      );
    }
    return { waiting: registration.waiting !== null, active: registration.active?.state ?? null };
  });
  expect(outcome).toEqual({ waiting: false, active: 'activated' });
  await expect(page.getByRole('button', { name: 'Reload to update' })).toHaveCount(0);

  // The old version keeps serving the app, online and offline.
  await page.reload();
  await expectShell(page);
  expect(await buildIdOf(page)).toBe(oldBuild);
  const hash = await newNote(page);
  await page.keyboard.type('On the old version');
  await flushed(page);
  await context.setOffline(true);
  await page.goto(`${url}/${hash}`);
  await page.reload();
  await expectShell(page);
  expect(await buildIdOf(page)).toBe(oldBuild);
  await expect(editor(page)).toHaveText('On the old version');
});
