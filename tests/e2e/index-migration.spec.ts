/**
 * Issue 21, in Chromium with real IndexedDB: a device whose notes list is still the Y.Doc index
 * of before (written by the old code: the old NotesIndex's Yjs update, stored in the
 * y-indexeddb layout under the old database name) opens with every note listed, searchable by
 * its text, the trash kept out, and the old database gone once the list has moved.
 */
import * as Y from 'yjs';
import { LegacyNotesIndex } from '../../src/doc/LegacyNotesIndex';
import { DEFAULT_DB_PREFIX } from '../../src/storage/IndexedDbStore';
import { NOTES_INDEX_DB_NAME } from '../../src/storage/IndexedDbNotesIndexStore';
import { CUSTOM_STORE, UPDATES_STORE } from '../../src/storage/updatesDatabase';
import { INDEX_DOC_NAME } from '../../src/app/session';
import { NOTES_PAGE_SIZE } from '../../src/ui/NotesList';
import { expect, test } from './fixtures';
import { notesNav } from './helpers/app';

const NOTES = 180;
/** Every 9th note is in the trash. */
const trashed = (n: number) => n % 9 === 4;

/** The old index doc's state, as the old app would have stored it. */
function legacyIndexUpdate(): { update: number[]; ids: string[] } {
  const doc = new Y.Doc();
  let time = 1_700_000_000_000;
  const index = new LegacyNotesIndex(doc, { now: () => (time += 1000) });
  const ids: string[] = [];
  for (let n = 0; n < NOTES; n++) {
    const id = index.create(n % 5 === 0 ? { title: `Named note ${n}` } : {});
    index.updateFromContent(id, { firstLine: `Note ${n}`, text: `Note ${n}\nbody word zq${n}x and Crème` });
    if (trashed(n)) index.remove(id);
    ids.push(id);
  }
  return { update: Array.from(Y.encodeStateAsUpdate(doc)), ids };
}

test('a device with the old Y.Doc notes list opens with every note listed and searchable', async ({ page }) => {
  const { update } = legacyIndexUpdate();
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'New note' })).toBeEnabled();
  // Make this profile what the old code left: its index database, and no list in the new layout.
  await page.evaluate(
    async ({ update, oldName, newName, updatesStore, customStore }) => {
      const done = (request: IDBRequest) =>
        new Promise((resolve, reject) => {
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      await done(indexedDB.deleteDatabase(newName)); // the open app lets go (versionchange)
      const open = indexedDB.open(oldName);
      open.onupgradeneeded = () => {
        open.result.createObjectStore(updatesStore, { autoIncrement: true });
        open.result.createObjectStore(customStore);
      };
      const db = (await done(open)) as IDBDatabase;
      const tx = db.transaction([updatesStore], 'readwrite');
      tx.objectStore(updatesStore).add(new Uint8Array(update));
      await new Promise((resolve) => (tx.oncomplete = resolve));
      db.close();
    },
    { update, oldName: DEFAULT_DB_PREFIX + INDEX_DOC_NAME, newName: NOTES_INDEX_DB_NAME, updatesStore: UPDATES_STORE, customStore: CUSTOM_STORE },
  );

  await page.reload();
  const listed = Array.from({ length: NOTES }, (_, n) => n).filter((n) => !trashed(n));
  await expect(notesNav(page)).toContainText(`Showing ${NOTES_PAGE_SIZE} of ${listed.length} notes.`);
  await expect(notesNav(page).getByRole('link')).toHaveCount(NOTES_PAGE_SIZE);
  // Newest first: the last note written heads the list, with its title.
  const newest = listed.at(-1)!;
  await expect(notesNav(page).getByRole('link').first()).toHaveText(newest % 5 === 0 ? `Named note ${newest}` : `Note ${newest}`);
  await notesNav(page).getByRole('button', { name: 'Show more notes' }).click();
  await expect(notesNav(page).getByRole('link')).toHaveCount(listed.length);

  // The search text came along: a word found only in a note's body (folded: "creme").
  const search = page.getByRole('searchbox', { name: 'Search notes' });
  await search.fill('ZQ17X creme');
  await expect(notesNav(page).getByRole('link')).toHaveText(['Note 17']);
  // A trashed note stays out of the list and of searches.
  await search.fill('zq4x');
  await expect(notesNav(page)).toContainText('No notes match your search.');
  await expect(page.getByRole('alert')).toHaveCount(0);

  // The old database is deleted once the list has moved.
  await expect
    .poll(() => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name)))
    .not.toContain(DEFAULT_DB_PREFIX + INDEX_DOC_NAME);
});
