/**
 * Issue 21: nothing on the start-up path grows with the number of notes beyond the list entries
 * shown. Counted at the store's interface (every call and every entry it returns), not timed:
 * a start of the app, the list's first page and the opened note's entry, at 10 and at 3,000 notes.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { WeftApp } from '../../../src/app/session';
import { createEntry, newEntry, searchTextOf } from '../../../src/doc/noteEntry';
import { newNoteId, newShareSecret } from '../../../src/doc/noteId';
import { IndexedDbNotesIndexStore } from '../../../src/storage/IndexedDbNotesIndexStore';
import { MemoryStore } from '../../../src/storage/memory';
import type { NotesIndexStore } from '../../../src/storage/NotesIndexStore';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { NOTES_PAGE_SIZE } from '../../../src/ui/NotesList';
import { freshPrefix } from '../storage/harness';
import { MapPreferences } from './mapPreferences';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Wraps a store: records each call by name, and how many entries the calls returned. */
function counting(store: NotesIndexStore) {
  const calls: string[] = [];
  let entries = 0;
  const count = <T>(name: string, result: Promise<T>): Promise<T> => {
    calls.push(name);
    return result.then((value) => {
      if (Array.isArray(value)) entries += value.length;
      else if (value !== undefined && name === 'get') entries++;
      return value;
    });
  };
  const wrapped: NotesIndexStore = {
    get: (id) => count('get', store.get(id)),
    page: (options) => count(`page(${options.limit}${options.includeDeleted ? ', trash' : ''})`, store.page(options)),
    count: (options) => count('count', store.count(options)),
    search: (terms, options) => count('search', store.search(terms, options)),
    text: (id) => count('text', store.text(id)),
    getMany: (ids) => count('getMany', store.getMany(ids)),
    changedSince: (seq, limit) => count('changedSince', store.changedSince(seq, limit)),
    lastChange: () => count('lastChange', store.lastChange()),
    searchSnapshot: () => count('searchSnapshot', store.searchSnapshot()),
    saveSearchSnapshot: (snapshot) => count('saveSearchSnapshot', store.saveSearchSnapshot(snapshot)),
    update: (writes, options) => count('update', store.update(writes, options)),
    getMarker: (key) => count('getMarker', store.getMarker(key)),
    setMarker: (key, value) => count('setMarker', store.setMarker(key, value)),
    close: () => store.close(),
  };
  return { wrapped, calls, entries: () => entries, reset: () => ((calls.length = 0), (entries = 0)) };
}

/** A device with `notes` notes in its list (and a finished migration), then a cold start of the app on it. */
async function startWith(notes: number) {
  const name = `${freshPrefix()}notes-index`;
  const seeded = new IndexedDbNotesIndexStore({ name });
  const ids: string[] = [];
  const writes = Array.from({ length: notes }, (_, n) => {
    const entry = newEntry({ id: newNoteId(), secret: newShareSecret(), at: 1_000 + n });
    ids.push(entry.id);
    return { id: entry.id, change: createEntry(entry), text: searchTextOf(`note ${n} `.repeat(50)) };
  });
  for (let i = 0; i < writes.length; i += 500) await seeded.update(writes.slice(i, i + 500));
  const first = new WeftApp({ store: new MemoryStore(), fallbackStore: () => new MemoryStore(), indexStore: seeded, transports: new LoopbackNetwork().factory, preferences: new MapPreferences() });
  await first.start(); // the migration marker (nothing to migrate)
  await first.destroy();

  const spy = counting(new IndexedDbNotesIndexStore({ name }));
  const app = new WeftApp({ store: new MemoryStore(), fallbackStore: () => new MemoryStore(), indexStore: spy.wrapped, transports: new LoopbackNetwork().factory, preferences: new MapPreferences() });
  cleanups.push(() => app.destroy());
  await app.start();
  // What the screen reads: the list's first page (useNotes) and the opened note's entry (useNote, then its session).
  const page = await app.index.list({ limit: NOTES_PAGE_SIZE });
  const opened = await app.index.get(ids[0]!);
  return { spy, page, opened };
}

describe('the start-up path at 10 and at 3,000 notes', () => {
  it('makes the same calls and reads at most the first page plus the opened entry', async () => {
    const small = await startWith(10);
    const large = await startWith(3_000);
    expect(small.opened).toBeDefined();
    expect(large.opened).toBeDefined();
    expect(small.page.total).toBe(10);
    expect(large.page.total).toBe(3_000);
    expect(large.page.notes).toHaveLength(NOTES_PAGE_SIZE);
    // No search, no text, no whole-list read: the marker, one page, one count, one entry.
    expect(large.spy.calls).toEqual(['getMarker', `page(${NOTES_PAGE_SIZE})`, 'count', 'get']);
    expect(small.spy.calls).toEqual(large.spy.calls);
    expect(large.spy.entries()).toBe(NOTES_PAGE_SIZE + 1);
  });
});
