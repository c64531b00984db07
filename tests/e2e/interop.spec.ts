/**
 * Our own WebRTC provider in real Chromium, beyond what the app's UI reaches (issue 15):
 * - a stock y-webrtc client (a third party: y-webrtc + simple-peer + Yjs, no Weft code) given
 *   the room and password a view-only link yields (what a view-only holder who bypasses the UI
 *   has) connects, but its unsigned edits are refused and it is dropped (issue 17);
 * - two Weft tabs sharing several notes at once use one RTCPeerConnection between them.
 * Each side is its own Chromium process. The test page (tests/e2e/pages/peerPage.ts) is bundled
 * into a copy of dist/ and served by a Weft server over it (helpers/testPage.ts).
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { deriveNoteKeys } from '../../src/sync/noteKeys';
import { parseShareFragment } from '../../src/sync/shareLink';
import { CONNECT_TIMEOUT_MS } from './helpers/hostilePeers';
import { caretToEnd, editorOf, expectConnected, launchPeer, newNote, shareLinkOf, syncStatusOf } from './helpers/peers';
import { bundleTestPage } from './helpers/testPage';

/** Bundles the test page into `dir` (a copy of dist/); returns its path. */
const bundlePage = (dir: string): Promise<string> => bundleTestPage(dir, join(import.meta.dirname, 'pages', 'peerPage.ts'), 'interop');

interface WeftPeer {
  open(noteId: string, secret: string): void;
  write(noteId: string, text: string): void;
  text(noteId: string): string;
  peers(noteId: string): number;
  connections(): number;
}

/** Drives the page's `window.weftPeer`. */
const weft = (page: Page) => {
  const on = <T>(fn: (peer: WeftPeer, noteId: string, arg: string) => T, noteId = '', arg = ''): Promise<T> =>
    page.evaluate(
      ({ source, noteId, arg }) =>
        // The function travels as source: evaluate() cannot pass closures into the page.
        (new Function('peer', 'noteId', 'arg', `return (${source})(peer, noteId, arg)`) as (p: unknown, n: string, a: string) => T)(
          (window as unknown as { weftPeer: unknown }).weftPeer,
          noteId,
          arg,
        ),
      { source: fn.toString(), noteId, arg },
    ) as Promise<T>;
  return {
    open: (noteId: string, secret: string) => on((peer, n, s) => peer.open(n, s), noteId, secret),
    write: (noteId: string, text: string) => on((peer, n, t) => peer.write(n, t), noteId, text),
    state: (noteId: string) => on((peer, n) => `${peer.peers(n)} peer, ${peer.text(n).length} characters`, noteId),
    connections: () => on((peer) => peer.connections()),
  };
};

/** Opens the test page in `page`. */
async function openTestPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => 'weftPeer' in window && 'stockPeer' in window);
}

test('a stock y-webrtc client with a view-only link’s room and password connects, reads nothing, and its unsigned edits get it dropped', async ({ launchProfile, profileDir, copyDist, serveDir }) => {
  test.setTimeout(120_000);
  const dir = await copyDist();
  const pagePath = await bundlePage(dir);
  const server = await serveDir(dir);
  const alice = await launchPeer(launchProfile, profileDir, 'alice');
  await alice.page.goto(`${server.url}/`);
  await newNote(alice.page);
  await alice.page.keyboard.type('Written in Weft');
  const link = await shareLinkOf(alice.page);
  const share = parseShareFragment(new URL(link).hash);
  if (!share.ok) throw new Error(`unparsable share link ${link}`);
  const { noteId, secret } = share;

  const stock = await launchPeer(launchProfile, profileDir, 'stock');
  await openTestPage(stock.page, `${server.url}${pagePath}`);
  // What a view-only link yields: the topic and the password, no signing key.
  const { roomId, password } = await deriveNoteKeys(noteId, secret);
  await stock.page.evaluate(([room, key, url]) => (window as unknown as { stockPeer: { start(r: string, s: string, u: string): void } }).stockPeer.start(room!, key!, url!), [
    roomId,
    password,
    `${server.url.replace(/^http/, 'ws')}/signal`,
  ]);
  const stockText = () => stock.page.evaluate(() => (window as unknown as { stockPeer: { text(): string } }).stockPeer.text());
  await expectConnected(alice.page, 1, CONNECT_TIMEOUT_MS);
  // Updates travel signed: stock y-webrtc cannot read them.
  expect(await stockText()).not.toContain('Written in Weft');
  // Three unsigned edits: three strikes, and the peer is dropped.
  for (const word of ['Forged ', 'by ', 'stock ']) {
    await stock.page.evaluate((w) => (window as unknown as { stockPeer: { append(t: string): void } }).stockPeer.append(w), word);
  }
  await expect(syncStatusOf(alice.page)).not.toHaveText(/Connected to 1 peer/, { timeout: CONNECT_TIMEOUT_MS });
  await caretToEnd(alice.page);
  await alice.page.keyboard.type(' still mine');
  await expect(editorOf(alice.page)).toContainText('Written in Weft still mine');
  await expect(editorOf(alice.page)).not.toContainText('Forged');
});

test('two Weft tabs sharing three notes at once use one RTCPeerConnection, every note syncing both ways', async ({ launchProfile, profileDir, copyDist, serveDir }) => {
  test.setTimeout(120_000);
  const dir = await copyDist();
  const pagePath = await bundlePage(dir);
  const app = await serveDir(dir);
  const [a, b] = [await launchPeer(launchProfile, profileDir, 'a'), await launchPeer(launchProfile, profileDir, 'b')];
  for (const peer of [a, b]) await openTestPage(peer.page, `${app.url}${pagePath}`);
  const notes = ['AAECAwQFBgcICQoLDA0OAA', 'AAECAwQFBgcICQoLDA0OAQ', 'AAECAwQFBgcICQoLDA0OAg'];
  const secret = '__79_Pv6-fj39vX08_Lx8A';
  for (const noteId of notes) {
    await weft(a.page).open(noteId, secret);
    await weft(a.page).write(noteId, `A:${noteId} `);
  }
  // B opens the notes one after the other: the first connects through signaling, the others ride on it.
  for (const noteId of notes) {
    await weft(b.page).open(noteId, secret);
    await weft(b.page).write(noteId, `B:${noteId} `);
    const synced = `1 peer, ${2 * (noteId.length + 3)} characters`;
    await expect.poll(() => weft(a.page).state(noteId), { timeout: CONNECT_TIMEOUT_MS }).toBe(synced);
    await expect.poll(() => weft(b.page).state(noteId), { timeout: CONNECT_TIMEOUT_MS }).toBe(synced);
  }
  // Open connections (both tabs announcing at once may create a second one that loses the glare and closes).
  expect(await weft(a.page).connections()).toBe(1);
  expect(await weft(b.page).connections()).toBe(1);
});
