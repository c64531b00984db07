/**
 * The NotesIndexStore contract, run against every adapter (IndexedDB on
 * fake-indexeddb, memory): what the notes list may rely on, whichever storage
 * is underneath.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import {
  contentEntry,
  createEntry,
  newEntry,
  purgeEntry,
  removeEntry,
  renameEntry,
  restoreEntry,
  searchTerms,
  searchTextOf,
  type IndexRecord,
} from '../../../src/doc/noteEntry';
import { newNoteId, newShareSecret } from '../../../src/doc/noteId';
import { ENTRIES_STORE, IndexedDbNotesIndexStore } from '../../../src/storage/IndexedDbNotesIndexStore';
import { MemoryNotesIndexStore } from '../../../src/storage/MemoryNotesIndexStore';
import type { NotesIndexStore } from '../../../src/storage/NotesIndexStore';
import { freshPrefix, rawOpen } from './harness';

interface IndexStoreHarness {
  name: string;
  make(): NotesIndexStore;
  /** A second instance over the same data (another tab, a reload). */
  again(store: NotesIndexStore): NotesIndexStore;
  /** Puts a record as another app version might have written it; null when the adapter keeps nothing raw. */
  putRaw(store: NotesIndexStore, value: unknown): Promise<void> | null;
}

const harnesses: IndexStoreHarness[] = [
  {
    name: 'MemoryNotesIndexStore',
    make: () => new MemoryNotesIndexStore(),
    again: (store) => store,
    putRaw: () => null,
  },
  {
    name: 'IndexedDbNotesIndexStore',
    make: () => new IndexedDbNotesIndexStore({ name: `${freshPrefix()}notes-index` }),
    again: (store) => new IndexedDbNotesIndexStore({ name: (store as IndexedDbNotesIndexStore).name }),
    putRaw: async (store, value) => {
      await store.count(); // creates the database as the adapter does
      const db = await rawOpen((store as IndexedDbNotesIndexStore).name);
      try {
        const tx = db.transaction([ENTRIES_STORE], 'readwrite');
        tx.objectStore(ENTRIES_STORE).put(value);
        await new Promise((resolve) => (tx.oncomplete = resolve));
      } finally {
        db.close();
      }
    },
  },
];

const entry = (at: number, fields: Partial<IndexRecord> = {}): IndexRecord => ({
  ...newEntry({ id: newNoteId(), secret: newShareSecret(), at }),
  ...fields,
});

async function add(store: NotesIndexStore, record: IndexRecord, text?: string): Promise<IndexRecord> {
  await store.update([{ id: record.id, change: createEntry(record), ...(text === undefined ? {} : { text: searchTextOf(text) }) }]);
  return record;
}

describe.each(harnesses)('NotesIndexStore contract: $name', (harness) => {
  it('an entry written is read back by id, from another instance too; unknown ids read as undefined', async () => {
    const store = harness.make();
    const a = await add(store, entry(10, { explicitTitle: 'Named', shared: true }));
    expect(await store.get(a.id)).toEqual(a);
    expect(await harness.again(store).get(a.id)).toEqual(a);
    expect(await store.get(newNoteId())).toBeUndefined();
  });

  it('page: the newest first (last edit, then creation, then id descending), at most `limit`, trash left out unless asked', async () => {
    const store = harness.make();
    const old = await add(store, entry(1));
    const newest = await add(store, entry(5));
    const tieA = await add(store, entry(3, { id: 'AAAAAAAAAAAAAAAAAAAAAA' }));
    const tieB = await add(store, entry(3, { id: 'BBBBBBBBBBBBBBBBBBBBBB' }));
    const edited = await add(store, entry(2, { updatedAt: 4 }));
    const trashed = await add(store, entry(9, { deletedAt: 9 }));
    expect((await store.page({ limit: 10 })).map((r) => r.id)).toEqual([newest.id, edited.id, tieB.id, tieA.id, old.id]);
    expect((await store.page({ limit: 2 })).map((r) => r.id)).toEqual([newest.id, edited.id]);
    expect(await store.page({ limit: 0 })).toEqual([]);
    expect((await store.page({ limit: 10, includeDeleted: true })).map((r) => r.id)).toEqual([trashed.id, newest.id, edited.id, tieB.id, tieA.id, old.id]);
    expect(await store.count()).toBe(5);
    expect(await store.count({ includeDeleted: true })).toBe(6);
  });

  it('a change runs on the stored entry and reports what it wrote; a change to nothing writes nothing', async () => {
    const store = harness.make();
    const a = await add(store, entry(10));
    const [renamed] = await store.update([{ id: a.id, change: renameEntry('Title') }]);
    expect(renamed).toEqual({ entry: { ...a, explicitTitle: 'Title' }, changed: true });
    const [again] = await store.update([{ id: a.id, change: renameEntry('Title') }]);
    expect(again).toEqual({ entry: { ...a, explicitTitle: 'Title' }, changed: false });
    const ghost = newNoteId();
    expect(await store.update([{ id: ghost, change: renameEntry('x'), text: 'x' }])).toEqual([{ entry: undefined, changed: false }]);
    expect(await store.get(ghost)).toBeUndefined();
    expect(await store.text(ghost)).toBe('');
  });

  it('two instances changing different fields of one entry both keep their change (read-modify-write per entry)', async () => {
    const tabOne = harness.make();
    const tabTwo = harness.again(tabOne);
    const a = await add(tabOne, entry(10));
    await Promise.all([
      tabOne.update([{ id: a.id, change: renameEntry('Renamed in one') }]),
      tabTwo.update([{ id: a.id, change: contentEntry('Typed in two', 20), text: 'typed in two' }]),
      tabTwo.update([{ id: a.id, change: removeEntry(30) }]),
    ]);
    expect(await tabOne.get(a.id)).toEqual({ ...a, explicitTitle: 'Renamed in one', derivedTitle: 'Typed in two', updatedAt: 20, deletedAt: 30 });
    expect(await tabOne.text(a.id)).toBe('typed in two');
  });

  it('a batch is all or nothing: a change that throws leaves every entry as it was', async () => {
    const store = harness.make();
    const a = await add(store, entry(10));
    const b = entry(11);
    await expect(
      store.update([
        { id: a.id, change: renameEntry('never') },
        { id: b.id, change: createEntry(b) },
        {
          id: a.id,
          change: () => {
            throw new Error('bad change');
          },
        },
      ]),
    ).rejects.toThrow('bad change');
    expect(await store.get(a.id)).toEqual(a);
    expect(await store.get(b.id)).toBeUndefined();
  });

  it('later writes of one id in a batch see the earlier ones', async () => {
    const store = harness.make();
    const a = entry(10);
    const results = await store.update([
      { id: a.id, change: createEntry(a), text: 'one' },
      { id: a.id, change: renameEntry('T'), text: 'two' },
      { id: a.id, change: createEntry({ ...a, derivedTitle: 'ignored: it exists' }) },
    ]);
    expect(results.map((r) => r.changed)).toEqual([true, true, false]);
    expect(await store.get(a.id)).toEqual({ ...a, explicitTitle: 'T' });
    expect(await store.text(a.id)).toBe('two');
  });

  it('search: every term in the titles or the text (folded), trash only when asked, newest first', async () => {
    const store = harness.make();
    const cafe = await add(store, entry(1, { derivedTitle: 'Café notes' }), 'Café notes\nCrème brûlée recipe');
    const plan = await add(store, entry(2, { explicitTitle: 'Ｐｌａｎ', derivedTitle: 'trip' }), 'trip to the CAFE');
    const untexted = await add(store, entry(3, { explicitTitle: 'Cafe without text' }));
    const trashed = await add(store, entry(4, { deletedAt: 5 }), 'cafe in the trash');
    const ids = async (query: string, includeDeleted = false) => (await store.search(searchTerms(query), { includeDeleted })).map((r) => r.id);
    expect(await ids('cafe')).toEqual([untexted.id, plan.id, cafe.id]);
    expect(await ids('cafe', true)).toEqual([trashed.id, untexted.id, plan.id, cafe.id]);
    expect(await ids('creme BRULEE')).toEqual([cafe.id]);
    expect(await ids('plan cafe')).toEqual([plan.id]);
    expect(await ids('nothing')).toEqual([]);
  });

  it('search reads past one batch of texts (more notes than a read step)', async () => {
    const store = harness.make();
    const records = Array.from({ length: 1_203 }, (_, n) => entry(n + 1));
    await store.update(records.map((r, n) => ({ id: r.id, change: createEntry(r), text: searchTextOf(n % 100 === 7 ? `needle ${n}` : `hay ${n}`) })));
    const found = await store.search(searchTerms('needle'));
    expect(found.map((r) => r.id)).toEqual(records.filter((_, n) => n % 100 === 7).reverse().map((r) => r.id));
  });

  it('purging deletes the entry and its text', async () => {
    const store = harness.make();
    const a = await add(store, entry(1), 'some text');
    expect(await store.text(a.id)).toBe('some text');
    expect(await store.update([{ id: a.id, change: purgeEntry }])).toEqual([{ entry: undefined, changed: true }]);
    expect(await store.get(a.id)).toBeUndefined();
    expect(await store.text(a.id)).toBe('');
    expect(await store.count({ includeDeleted: true })).toBe(0);
  });

  it('counts follow creation, the trash, restoring, purging and a failed batch, for every instance', async () => {
    const store = harness.make();
    const counts = async (s: NotesIndexStore) => [await s.count(), await s.count({ includeDeleted: true })];
    const [a, b, c] = [entry(1), entry(2), entry(3)];
    await store.update([{ id: a.id, change: createEntry(a) }, { id: b.id, change: createEntry(b) }, { id: c.id, change: createEntry(c) }]);
    expect(await counts(store)).toEqual([3, 3]);
    await store.update([{ id: a.id, change: removeEntry(5) }, { id: a.id, change: removeEntry(6) }]);
    expect(await counts(store)).toEqual([2, 3]);
    await store.update([{ id: b.id, change: purgeEntry }, { id: a.id, change: restoreEntry }, { id: c.id, change: createEntry(c) }]);
    expect(await counts(store)).toEqual([2, 2]);
    await expect(
      store.update([
        { id: c.id, change: purgeEntry },
        {
          id: a.id,
          change: () => {
            throw new Error('bad change');
          },
        },
      ]),
    ).rejects.toThrow('bad change');
    expect(await counts(harness.again(store))).toEqual([2, 2]);
  });

  it('counts are right again when the kept ones are gone (they are recounted from the entries)', async () => {
    const store = harness.make();
    const [a, b] = [entry(1), entry(2, { deletedAt: 3 })];
    await store.update([{ id: a.id, change: createEntry(a) }, { id: b.id, change: createEntry(b) }]);
    await store.setMarker('counts', undefined);
    expect([await store.count(), await store.count({ includeDeleted: true })]).toEqual([1, 2]);
    await add(store, entry(4));
    expect([await store.count(), await store.count({ includeDeleted: true })]).toEqual([2, 3]);
  });

  it('markers persist, and unset reads as undefined', async () => {
    const store = harness.make();
    expect(await store.getMarker('m')).toBeUndefined();
    await store.setMarker('m', { state: 'done' });
    expect(await harness.again(store).getMarker('m')).toEqual({ state: 'done' });
  });

  it('reads records written by another version defensively', async () => {
    const store = harness.make();
    const written = harness.putRaw(store, { id: 'weird', explicitTitle: 42, updatedAt: 'yesterday', listed: 1 });
    if (written === null) return;
    await written;
    expect(await store.get('weird')).toEqual({
      id: 'weird',
      secret: '',
      explicitTitle: null,
      derivedTitle: '',
      createdAt: 0,
      updatedAt: 0,
      deletedAt: null,
      shared: false,
    });
  });

  it('search documents: each change search sees is numbered in order, deletions leave a removed one, read after a number', async () => {
    const store = harness.make();
    expect(await store.lastChange()).toBe(0);
    const a = await add(store, entry(1), 'Alpha text');
    const b = await add(store, entry(2, { explicitTitle: 'Bee' }));
    const docs = await store.changedSince(0, 10);
    expect(docs.map((d) => [d.id, d.text, d.title, d.listed, d.removed])).toEqual([
      [a.id, 'Alpha text', '', true, false],
      [b.id, '', 'Bee', true, false],
    ]);
    const [first, second] = docs.map((d) => d.seq);
    expect(second).toBeGreaterThan(first!);
    // Nothing search sees changes: no new number (a refresh of the derived title and edit time).
    await store.update([{ id: a.id, change: contentEntry('Alpha', 50), text: 'Alpha text' }]);
    expect(await store.changedSince(second!, 10)).toEqual([]);
    // The text, the trash and a purge do.
    await store.update([{ id: a.id, change: contentEntry('Alpha', 60), text: 'Alpha text, longer' }]);
    await store.update([{ id: b.id, change: removeEntry(70) }]);
    await store.update([{ id: a.id, change: purgeEntry }]);
    const later = await harness.again(store).changedSince(second!, 10);
    expect(later.map((d) => [d.id, d.listed, d.removed, d.text])).toEqual([
      [b.id, false, false, ''],
      [a.id, false, true, ''],
    ]);
    expect(await store.lastChange()).toBe(later[1]!.seq);
    expect((await store.changedSince(0, 1)).map((d) => d.id)).toEqual([b.id]);
  });

  it('getMany reads entries and texts in the order asked, unknown ids as undefined', async () => {
    const store = harness.make();
    const a = await add(store, entry(1), 'text of a');
    const b = await add(store, entry(2));
    expect(await store.getMany([b.id, 'unknown', a.id])).toEqual([
      { entry: b, text: '' },
      { entry: undefined, text: '' },
      { entry: a, text: 'text of a' },
    ]);
  });

  it('the persisted search index: read back whole; one holding earlier changes does not replace a later one', async () => {
    const store = harness.make();
    expect(await store.searchSnapshot()).toBeUndefined();
    const snapshot = { format: 1, seq: 5, checksum: 'abc', data: '{"x":1}' };
    expect(await store.saveSearchSnapshot(snapshot)).toBe(true);
    expect(await harness.again(store).searchSnapshot()).toEqual(snapshot);
    expect(await store.saveSearchSnapshot({ ...snapshot, seq: 4, data: 'older' })).toBe(false);
    expect(await store.saveSearchSnapshot({ ...snapshot, seq: 6, data: 'newer' })).toBe(true);
    expect((await store.searchSnapshot())?.data).toBe('newer');
  });
});
