/**
 * The notes list's database from version 1 (texts without change numbers,
 * folded, the first 4,000 characters) opened by version 2: every entry gets a
 * numbered search document, so the full-text index finds notes stored before.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { NotesIndex } from '../../../src/app/NotesIndex';
import { newEntry } from '../../../src/doc/noteEntry';
import { newNoteId, newShareSecret } from '../../../src/doc/noteId';
import { ENTRIES_STORE, IndexedDbNotesIndexStore, MARKERS_STORE, RECENCY_INDEX, TEXTS_STORE } from '../../../src/storage/IndexedDbNotesIndexStore';
import { freshPrefix } from './harness';

async function versionOne(name: string, rows: Array<{ entry: ReturnType<typeof newEntry>; text?: string }>): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      const entries = request.result.createObjectStore(ENTRIES_STORE, { keyPath: 'id' });
      entries.createIndex(RECENCY_INDEX, ['listed', 'updatedAt', 'createdAt'], { unique: false });
      request.result.createObjectStore(TEXTS_STORE, { keyPath: 'id' });
      request.result.createObjectStore(MARKERS_STORE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const tx = db.transaction([ENTRIES_STORE, TEXTS_STORE], 'readwrite');
  for (const { entry, text } of rows) {
    tx.objectStore(ENTRIES_STORE).put({ ...entry, listed: entry.deletedAt === null ? 1 : 0 });
    if (text !== undefined) tx.objectStore(TEXTS_STORE).put({ id: entry.id, text });
  }
  await new Promise((resolve) => (tx.oncomplete = resolve));
  db.close();
}

describe('the notes list database, version 1 to 2', () => {
  it('numbers a search document for every entry (text, title, trash) and search finds them', async () => {
    const name = `${freshPrefix()}notes-index`;
    const plain = newEntry({ id: newNoteId(), secret: newShareSecret(), at: 1 });
    const titled = newEntry({ id: newNoteId(), secret: newShareSecret(), at: 2, title: 'Old title' });
    const trashed = { ...newEntry({ id: newNoteId(), secret: newShareSecret(), at: 3 }), deletedAt: 4 };
    await versionOne(name, [{ entry: plain, text: 'folded old text about otters' }, { entry: titled }, { entry: trashed, text: 'trashed otters' }]);

    const store = new IndexedDbNotesIndexStore({ name });
    const docs = await store.changedSince(0, 10);
    expect(docs.map((d) => [d.id, d.text, d.title, d.listed]).sort()).toEqual(
      [
        [plain.id, 'folded old text about otters', '', true],
        [titled.id, '', 'Old title', true],
        [trashed.id, 'trashed otters', '', false],
      ].sort(),
    );
    expect(await store.lastChange()).toBe(3);
    const index = new NotesIndex({ store, search: { snapshotDelayMs: 60_000 } });
    await index.warmSearch();
    expect((await index.list({ limit: 10, query: 'otters' })).notes.map((n) => n.id)).toEqual([plain.id]);
    expect((await index.list({ limit: 10, query: 'title' })).notes.map((n) => n.id)).toEqual([titled.id]);
    await index.dispose();
  });
});
