/**
 * Faults in the network: the signaling server dies and comes back mid-session. Each peer is its
 * own Chromium process (own profile), so sync can only go through signaling + WebRTC. The server
 * runs on a fixed free port so the restarted one is the same origin the clients reconnect to.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { join } from 'node:path';
import { expect, test, WEBRTC_PERMISSIONS } from './fixtures';
import { editor, typeAtEnd } from './helpers/app';
import { DIST_DIR, pickFreePort } from './helpers/server';

const syncStatus = (page: Page) => page.getByRole('status', { name: 'Sync status' });

test('signaling server killed and restarted: connected peers keep syncing, then everyone finds each other again', async ({
  launchProfile,
  serveDir,
  tempDir,
}) => {
  test.setTimeout(120_000);
  const port = await pickFreePort();
  let server = await serveDir(DIST_DIR, { port });
  const launch = async (name: string): Promise<Page> => {
    const context: BrowserContext = await launchProfile(join(tempDir, name), {
      permissions: [...WEBRTC_PERMISSIONS],
      baseURL: server.url,
    });
    return context.pages()[0] ?? (await context.newPage());
  };

  const alice = await launch('alice');
  await alice.goto('/');
  await alice.getByRole('button', { name: 'New note' }).click();
  await editor(alice).click();
  await alice.keyboard.type('Signaling fault');
  await alice.getByRole('button', { name: 'Share' }).click();
  const link = await alice.getByRole('textbox', { name: 'Share link' }).inputValue();
  await alice.keyboard.press('Escape');

  const bob = await launch('bob');
  await bob.goto(link);
  await expect(editor(bob)).toContainText('Signaling fault');
  await expect(syncStatus(alice)).toContainText(/Connected to 1 peer/);

  // The server goes away: the WebRTC link between alice and bob does not need it.
  await server.stop();
  await typeAtEnd(alice, ' | alice while down');
  await expect(editor(bob)).toContainText('alice while down');
  await typeAtEnd(bob, ' | bob while down');
  await expect(editor(alice)).toContainText('bob while down');

  // Back on the same port: the clients' websockets reconnect (y-webrtc backs off up to 2.5 s),
  // and a newcomer finds them through it.
  server = await serveDir(DIST_DIR, { port });
  const carol = await launch('carol');
  await carol.goto(link);
  await expect(editor(carol)).toContainText('bob while down', { timeout: 30_000 });
  await typeAtEnd(carol, ' | carol after restart');
  await expect(editor(alice)).toContainText('carol after restart');
  await expect(editor(bob)).toContainText('carol after restart');
  await expect(syncStatus(carol)).toContainText(/Connected to 2 peers/, { timeout: 30_000 });
});
