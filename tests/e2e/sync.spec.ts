/**
 * Issue 3 end to end: two (or three) separate Chromium processes, each on its own profile, sync a
 * note peer to peer through the real server's `/signal` and WebRTC on loopback. Nothing is shared
 * between the browsers except the share link and the network, so every assertion here is about
 * what a second device really gets.
 *
 * Every wait is on state (status text, editor content, Lexical state); the only bounded negative
 * window (wrong secret) is anchored on a positive event, see that test.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import {
  caretToEnd,
  contentOf,
  converged,
  cursorsLayerOf,
  editorOf,
  expectConnected,
  expectSelectedText,
  flushed,
  launchPeer,
  newNote,
  notesNavOf,
  occurrences,
  openShareLink,
  pasteRepeatedLines,
  peopleOf,
  plainText,
  setDisplayName,
  sha256,
  shareLinkOf,
  syncStatusOf,
  waitForCaretSync,
} from './helpers/peers';
import { waitForServiceWorkerControl } from './helpers/serviceWorker';

/** How long two processes may take to find each other (signaling + ICE on a loaded 2-core box). */
const CONNECT_TIMEOUT_MS = 20_000;

test('share link: the second peer sees the note, edits flow both ways, presence shows names and carets', async ({
  launchProfile,
  profileDir,
}) => {
  const a = await launchPeer(launchProfile, profileDir, 'a');
  await a.page.goto('/');
  const noteId = await newNote(a.page);
  await a.page.keyboard.type('Meeting notes');
  await a.page.keyboard.press('Enter');
  await a.page.keyboard.type('Written by A before sharing');
  const link = await shareLinkOf(a.page);
  expect(link).toContain(`/${noteId}/`);

  const b = await launchPeer(launchProfile, profileDir, 'b');
  expect(await openShareLink(b.page, link)).toBe(noteId);
  // The secret does not linger in the address bar.
  expect(b.page.url()).not.toContain('/share/');
  await expect(editorOf(b.page)).toContainText('Written by A before sharing', { timeout: CONNECT_TIMEOUT_MS });
  await expectConnected(a.page, 1, CONNECT_TIMEOUT_MS);
  await expectConnected(b.page, 1, CONNECT_TIMEOUT_MS);
  // The shared note is in B's list, titled from the synced content.
  await expect(notesNavOf(b.page).getByRole('link', { name: 'Meeting notes' })).toBeVisible();

  // Live edits, A → B.
  await caretToEnd(a.page);
  await a.page.keyboard.type(' and typed live by A');
  await expect(editorOf(b.page)).toContainText('Written by A before sharing and typed live by A');
  // B → A.
  await caretToEnd(b.page);
  await b.page.keyboard.press('Enter');
  await b.page.keyboard.type('Reply typed by B');
  await expect(editorOf(a.page)).toContainText('Reply typed by B');
  expect(await converged(a.page, b.page)).toEqual([
    'paragraph|Meeting notes',
    'paragraph|Written by A before sharing and typed live by A',
    'paragraph|Reply typed by B',
  ]);

  // Presence: names travel both ways and show in "People here".
  await setDisplayName(a.page, 'Alice');
  await setDisplayName(b.page, 'Bob');
  await expect(peopleOf(a.page).getByRole('listitem')).toHaveText(['Alice (you)', 'Bob']);
  await expect(peopleOf(b.page).getByRole('listitem')).toHaveText(['Bob (you)', 'Alice']);

  // Remote carets: each editor draws the other's caret, labelled with the name, in its cursor layer.
  await caretToEnd(b.page);
  await b.page.keyboard.type('!');
  await expect(cursorsLayerOf(a.page).getByText('Bob', { exact: true })).toBeAttached();
  await caretToEnd(a.page);
  await a.page.keyboard.type('?');
  await expect(cursorsLayerOf(b.page).getByText('Alice', { exact: true })).toBeAttached();
  // A rename reaches the other side's list and caret label.
  await setDisplayName(b.page, 'Bobby');
  await expect(peopleOf(a.page).getByRole('listitem')).toHaveText(['Alice (you)', 'Bobby']);
});

test('a 1 MB paste reaches the other peer intact and the connection stays up', async ({ launchProfile, profileDir }) => {
  // Building, sending and rendering 1 MiB twice takes 20–45 s on a loaded 2-core machine.
  test.setTimeout(120_000);
  const a = await launchPeer(launchProfile, profileDir, 'a');
  await a.page.goto('/');
  await newNote(a.page);
  await a.page.keyboard.type('Before the paste');
  const link = await shareLinkOf(a.page);
  const b = await launchPeer(launchProfile, profileDir, 'b');
  await openShareLink(b.page, link);
  await expectConnected(a.page, 1, CONNECT_TIMEOUT_MS);
  await expectConnected(b.page, 1, CONNECT_TIMEOUT_MS);
  await expect(editorOf(b.page)).toContainText('Before the paste');

  // 1024 lines of 1024 characters (with the newline): 1 MiB of text, far above the 256 KiB a
  // single WebRTC message may carry, so it only arrives if the transport splits large updates.
  // Non-ASCII characters make a byte/char mix-up in the chunking show as a hash mismatch.
  const LINES = 1024;
  const line = 'Größe ü ✓ '.repeat(101) + 'x'.repeat(1024 - 1 - 6 - 1010);
  expect(`00000 ${line}\n`.length).toBe(1024);
  await caretToEnd(a.page);
  await a.page.keyboard.press('Enter');
  await pasteRepeatedLines(a.page, line, LINES);

  // A holds the whole paste (so the test really moved a megabyte) ...
  await expect
    .poll(async () => plainText(await contentOf(a.page)).length, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(LINES * 1024 - 1);
  const sent = await contentOf(a.page);
  const sentText = plainText(sent);
  expect(occurrences(sentText, line)).toBe(LINES);
  expect(sentText).toContain(`01023 ${line}`);
  // ... and B gets exactly the same blocks, byte for byte.
  await expect
    .poll(async () => sha256(JSON.stringify(await contentOf(b.page))), { timeout: 30_000 })
    .toBe(sha256(JSON.stringify(sent)));

  // The link survived: still connected, and small edits keep flowing both ways.
  await expectConnected(a.page, 1);
  await expectConnected(b.page, 1);
  await caretToEnd(a.page);
  await a.page.keyboard.type(' small edit from A');
  await expect(editorOf(b.page)).toContainText('small edit from A');
  await caretToEnd(b.page);
  await b.page.keyboard.type(' and from B');
  await expect(editorOf(a.page)).toContainText('small edit from A and from B');
  await converged(a.page, b.page);
});

test('merge on reconnect: B closes, both edit apart (B offline), and they converge with every edit once', async ({
  launchProfile,
  profileDir,
}) => {
  // Two browser restarts, a service-worker install and ~25 editing steps: ~40 s on a loaded
  // 2-core machine, too close to the default 60 s.
  test.setTimeout(120_000);
  const a = await launchPeer(launchProfile, profileDir, 'a');
  await a.page.goto('/');
  const noteId = await newNote(a.page);
  for (const [i, text] of ['Alpha beta gamma', 'Format this sentence', 'Split here please', 'Join me', 'to this'].entries()) {
    if (i > 0) await a.page.keyboard.press('Enter');
    await a.page.keyboard.type(text);
  }
  const link = await shareLinkOf(a.page);

  // B joins once online: that installs the service worker (so it can start offline later) and
  // stores the note in B's IndexedDB.
  let b = await launchPeer(launchProfile, profileDir, 'b');
  await openShareLink(b.page, link);
  // Connected first: until a peer proves the link's secret the note is pending, and a reload
  // then drops it (src/app/PendingShares.ts) — the reload below would race the connection.
  await expectConnected(b.page, 1, CONNECT_TIMEOUT_MS);
  await waitForServiceWorkerControl(b.page);
  await expectConnected(b.page, 1, CONNECT_TIMEOUT_MS);
  const base = await converged(a.page, b.page);
  expect(base).toHaveLength(5);
  await flushed(b.page);
  await b.context.close();
  await expect(syncStatusOf(a.page)).toHaveText('Looking for peers…', { timeout: CONNECT_TIMEOUT_MS });
  // B's browser is gone (closed without unload handlers, like a crash or a dropped network):
  // A stops listing B as soon as the connection closes, not after awareness' 30 s timeout.
  await expect(peopleOf(a.page).getByRole('listitem')).toHaveCount(1, { timeout: 5_000 });

  // A edits alone: same paragraph as B will edit (end), formatting, a split, a list.
  const para = (page: Page, text: string) => editorOf(page).locator('p', { hasText: text });
  await para(a.page, 'Alpha beta gamma').click();
  await a.page.keyboard.press('End');
  await a.page.keyboard.type(' A-tail');
  await para(a.page, 'Format this sentence').click();
  await a.page.keyboard.press('End');
  await a.page.keyboard.press('Shift+Control+ArrowLeft');
  await expectSelectedText(a.page, 'sentence');
  await a.page.keyboard.press('Control+b');
  await para(a.page, 'Split here please').click();
  await a.page.keyboard.press('Home');
  await a.page.keyboard.press('Shift+Control+ArrowRight');
  await a.page.keyboard.press('Shift+Control+ArrowRight');
  await expectSelectedText(a.page, 'Split here');
  // Collapse to the end of the selection, between "here" and " please", and split there.
  await a.page.keyboard.press('ArrowRight');
  await expectSelectedText(a.page, '');
  await a.page.keyboard.press('Enter');
  await caretToEnd(a.page);
  await a.page.keyboard.press('Enter');
  await a.page.keyboard.type('- A list item');
  await expect(editorOf(a.page).locator('ul li')).toHaveText(['A list item']);
  expect(await contentOf(a.page)).toEqual([
    'paragraph|Alpha beta gamma A-tail',
    'paragraph|Format this **sentence**',
    'paragraph|Split here',
    'paragraph| please',
    'paragraph|Join me',
    'paragraph|to this',
    'listitem:bullet|A list item',
  ]);
  await flushed(a.page);

  // B restarts with no network: the app comes from the service worker, the note from IndexedDB.
  b = await launchPeer(launchProfile, profileDir, 'b', { offline: true });
  await b.page.goto(`/#/note/${noteId}`);
  await expect(syncStatusOf(b.page)).toHaveText('Offline');
  await expect.poll(() => contentOf(b.page)).toEqual(base);
  // B edits the same paragraph (start), formats another word of the same one A formatted,
  // joins two paragraphs and adds its own list.
  await para(b.page, 'Alpha beta gamma').click();
  await b.page.keyboard.press('Home');
  await b.page.keyboard.type('B-head ');
  await para(b.page, 'Format this sentence').click();
  await b.page.keyboard.press('Home');
  await b.page.keyboard.press('Shift+Control+ArrowRight');
  await expectSelectedText(b.page, 'Format');
  await b.page.keyboard.press('Control+i');
  await para(b.page, 'to this').click();
  await b.page.keyboard.press('Home');
  await waitForCaretSync(b.page);
  await b.page.keyboard.press('Backspace');
  await expect(para(b.page, 'Join meto this')).toBeVisible();
  await caretToEnd(b.page);
  await b.page.keyboard.press('Enter');
  await b.page.keyboard.type('- B list item');
  await expect(editorOf(b.page).locator('ul li')).toHaveText(['B list item']);
  // Still apart: nothing of A's arrived.
  expect(await contentOf(b.page)).toEqual([
    'paragraph|B-head Alpha beta gamma',
    'paragraph|*Format* this sentence',
    'paragraph|Split here please',
    'paragraph|Join meto this',
    'listitem:bullet|B list item',
  ]);
  await flushed(b.page);

  // Back online: they find each other and converge.
  await b.context.setOffline(false);
  await expectConnected(b.page, 1, CONNECT_TIMEOUT_MS);
  await expectConnected(a.page, 1, CONNECT_TIMEOUT_MS);
  const merged = await converged(a.page, b.page);
  const text = plainText(merged);
  // Every edit of both, each exactly once; the original text not duplicated.
  expect(merged).toContain('paragraph|B-head Alpha beta gamma A-tail');
  expect(merged).toContain('paragraph|*Format* this **sentence**');
  expect(merged).toContain('paragraph|Split here');
  expect(merged).toContain('paragraph| please');
  expect(merged).toContain('paragraph|Join meto this');
  expect(merged).toContain('listitem:bullet|A list item');
  expect(merged).toContain('listitem:bullet|B list item');
  for (const token of ['B-head', 'A-tail', 'Alpha', 'Format', 'sentence', 'Split here', 'please', 'Join me', 'to this', 'A list item', 'B list item']) {
    expect(occurrences(text, token), token).toBe(1);
  }
  // Five paragraphs (one split in two, two joined into one) and the two list items: nothing extra.
  expect(merged).toHaveLength(7);

  // The merged note is also what B stored: a reload offline shows the same.
  await flushed(b.page);
  await b.context.setOffline(true);
  await b.page.reload();
  await expect(syncStatusOf(b.page)).toHaveText('Offline');
  await expect.poll(() => contentOf(b.page)).toEqual(merged);
});

test('a note created offline and shared later syncs the same way', async ({ launchProfile, profileDir }) => {
  const a = await launchPeer(launchProfile, profileDir, 'a');
  await a.page.goto('/');
  await waitForServiceWorkerControl(a.page);
  await a.context.setOffline(true);
  await a.page.reload();
  await newNote(a.page);
  // Nobody else has it: that, not the network, is what the status says.
  await expect(syncStatusOf(a.page)).toHaveText('Not shared');
  await a.page.keyboard.type('Drafted on a plane');
  await a.page.keyboard.press('Enter');
  await a.page.keyboard.type('- packed list');
  // The link exists offline: the secret was made with the note.
  const link = await shareLinkOf(a.page);
  await expect(syncStatusOf(a.page)).toHaveText('Offline');
  await flushed(a.page);

  await a.context.setOffline(false);
  await expect(syncStatusOf(a.page)).toHaveText('Looking for peers…', { timeout: CONNECT_TIMEOUT_MS });
  const b = await launchPeer(launchProfile, profileDir, 'b');
  await openShareLink(b.page, link);
  await expectConnected(a.page, 1, CONNECT_TIMEOUT_MS);
  await expectConnected(b.page, 1, CONNECT_TIMEOUT_MS);
  expect(await converged(a.page, b.page)).toEqual(['paragraph|Drafted on a plane', 'listitem:bullet|packed list']);
  await caretToEnd(b.page);
  await b.page.keyboard.type(' and sunscreen');
  await expect(editorOf(a.page)).toContainText('packed list and sunscreen');
});

test('a link with the right note id but a wrong secret never shows the note and leaves no note behind', async ({ launchProfile, profileDir }) => {
  const a = await launchPeer(launchProfile, profileDir, 'a');
  await a.page.goto('/');
  const noteId = await newNote(a.page);
  await a.page.keyboard.type('Top secret content');
  const link = await shareLinkOf(a.page);
  const wrongSecret = randomBytes(16).toString('base64url');
  const wrongLink = link.replace(/\/[A-Za-z0-9_-]{22}$/, `/${wrongSecret}`);
  expect(wrongLink).not.toBe(link);

  // B: same note id, wrong secret. It is a valid link, so B gets an (empty) note and joins
  // *some* room — one nobody else is in.
  const b = await launchPeer(launchProfile, profileDir, 'b');
  expect(await openShareLink(b.page, wrongLink)).toBe(noteId);
  await setDisplayName(b.page, 'Mallory');
  await expect(syncStatusOf(b.page)).toHaveText('Looking for peers…', { timeout: CONNECT_TIMEOUT_MS });
  // From here on B records, in the page, whether it ever connects or shows the content: a
  // watcher of state, so the negative check below covers the whole window, not a few samples.
  await b.page.evaluate(() => {
    const seen = { connected: false, content: false };
    (window as unknown as { seen: typeof seen }).seen = seen;
    const check = () => {
      if (/Connected/.test(document.querySelector('[aria-label="Sync status"]')?.textContent ?? '')) seen.connected = true;
      if (/secret content/.test(document.querySelector('[aria-label="Note"]')?.textContent ?? '')) seen.content = true;
    };
    check();
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
  });

  // C: the right link, opened after B. The negative window for B is "as long as it took C to
  // find A, sync, and receive one more live edit" — B had at least that long to do the same.
  const c = await launchPeer(launchProfile, profileDir, 'c');
  await openShareLink(c.page, link);
  await expect(editorOf(c.page)).toContainText('Top secret content', { timeout: CONNECT_TIMEOUT_MS });
  await expectConnected(c.page, 1, CONNECT_TIMEOUT_MS);
  await caretToEnd(a.page);
  await a.page.keyboard.type(', more of it');
  await expect(editorOf(c.page)).toContainText('Top secret content, more of it');

  // A is connected to C only; B never connected and never showed anything of the note.
  await expectConnected(a.page, 1);
  await expect(peopleOf(a.page).getByRole('listitem')).toHaveCount(2);
  await expect(peopleOf(a.page)).not.toContainText('Mallory');
  await expect(syncStatusOf(b.page)).toHaveText('Looking for peers…');
  expect(await b.page.evaluate(() => (window as unknown as { seen: unknown }).seen)).toEqual({
    connected: false,
    content: false,
  });
  expect(plainText(await contentOf(b.page))).toBe('');
  // B leaves without ever syncing or writing: its entry for the note is gone, also after a reload.
  await b.page.goto('/');
  await expect(notesNavOf(b.page).getByRole('link')).toHaveCount(0);
  await b.page.reload();
  await expect(b.page.getByRole('button', { name: 'New note' })).toBeEnabled();
  await expect(notesNavOf(b.page).getByRole('link')).toHaveCount(0);
});
