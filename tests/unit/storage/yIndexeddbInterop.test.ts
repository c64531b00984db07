/**
 * Our IndexedDB provider keeps y-indexeddb's stored layout: notes written by
 * stock y-indexeddb (earlier Weft versions used it) open unchanged, and what
 * we write opens in stock y-indexeddb. Both on fake-indexeddb.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { IndexeddbPersistence, storeState } from 'y-indexeddb';
import type { IndexedDbStore } from '../../../src/storage/IndexedDbStore';
import { CUSTOM_STORE, UPDATES_STORE } from '../../../src/storage/updatesDatabase';
import { COMPACT_ABOVE_ROWS } from '../../../src/storage/updateLog';
import { indexedDbHarness, rawOpen, rawRows } from './harness';

/** Some edits of every kind a note makes: text inserts and deletes, map entries. */
function edit(doc: Y.Doc, round: number): void {
  const text = doc.getText('t');
  text.insert(text.length, `line ${round}\n`);
  if (round % 3 === 2) text.delete(0, 2);
  doc.getMap('m').set(`k${round}`, round);
}

/** Text, map and state vector: equal for two docs holding the same updates. */
function contentOf(doc: Y.Doc): { text: string; map: unknown; stateVector: Uint8Array } {
  return { text: doc.getText('t').toString(), map: doc.getMap('m').toJSON(), stateVector: Y.encodeStateVector(doc) };
}

async function openWithOurs(store: IndexedDbStore, name: string): Promise<ReturnType<typeof contentOf>> {
  const doc = new Y.Doc();
  const persisted = store.open(name, doc);
  await persisted.whenLoaded;
  const content = contentOf(doc);
  await persisted.destroy();
  return content;
}

async function openWithStock(dbName: string): Promise<ReturnType<typeof contentOf>> {
  const doc = new Y.Doc();
  const stock = new IndexeddbPersistence(dbName, doc);
  await stock.whenSynced;
  const content = contentOf(doc);
  await stock.destroy();
  return content;
}

/** Database version, store names and their key options. */
async function layoutOf(dbName: string): Promise<unknown> {
  const db = await rawOpen(dbName);
  try {
    const tx = db.transaction([UPDATES_STORE, CUSTOM_STORE], 'readonly');
    const store = (name: string) => {
      const os = tx.objectStore(name);
      return { name, keyPath: os.keyPath, autoIncrement: os.autoIncrement, indexes: [...os.indexNames] };
    };
    return { version: db.version, stores: [...db.objectStoreNames], updates: store(UPDATES_STORE), custom: store(CUSTOM_STORE) };
  } finally {
    db.close();
  }
}

describe('y-indexeddb interop', () => {
  it('a database written by stock y-indexeddb (a log, compacted part-way) opens with the same content, and opening writes nothing', async () => {
    const store = indexedDbHarness.make();
    const dbName = store.databaseName('n');
    const written = new Y.Doc();
    const stock = new IndexeddbPersistence(dbName, written);
    await stock.whenSynced;
    for (let round = 0; round < 10; round++) edit(written, round);
    await storeState(stock); // y-indexeddb's own compaction of the first rounds
    // Few enough rows after it that our open does not compact them (COMPACT_ABOVE_ROWS).
    for (let round = 10; round < 12; round++) edit(written, round);
    await stock.destroy();
    const rowsBefore = await rawRows(dbName);
    expect(rowsBefore.length).toBeGreaterThan(1);
    expect(rowsBefore.length).toBeLessThanOrEqual(COMPACT_ABOVE_ROWS);

    expect(await openWithOurs(store, 'n')).toEqual(contentOf(written));
    // A stock-written log stays as it was, byte for byte.
    expect(await rawRows(dbName)).toEqual(rowsBefore);
  });

  it('what we write (rows, a compaction, more rows) opens in stock y-indexeddb with the same content', async () => {
    const store = indexedDbHarness.make();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    for (let round = 0; round < 10; round++) edit(doc, round);
    await persisted.compact();
    for (let round = 10; round < 12; round++) edit(doc, round); // left as rows by destroy()
    await persisted.destroy();
    expect((await rawRows(store.databaseName('n'))).length).toBeGreaterThan(1);

    expect(await openWithStock(store.databaseName('n'))).toEqual(contentOf(doc));
  });

  it('creates the same database layout as stock y-indexeddb', async () => {
    const store = indexedDbHarness.make();
    const persisted = store.open('ours', new Y.Doc());
    await persisted.whenLoaded;
    await persisted.destroy();
    const stock = new IndexeddbPersistence(store.databaseName('stock'), new Y.Doc());
    await stock.whenSynced;
    await stock.destroy();

    expect(await layoutOf(store.databaseName('ours'))).toEqual(await layoutOf(store.databaseName('stock')));
  });

  it('a long log written by stock y-indexeddb opens with the same content and is compacted', async () => {
    const store = indexedDbHarness.make();
    const dbName = store.databaseName('n');
    const written = new Y.Doc();
    const stock = new IndexeddbPersistence(dbName, written);
    await stock.whenSynced;
    for (let round = 0; round < 40; round++) edit(written, round);
    await stock.destroy();
    expect((await rawRows(dbName)).length).toBeGreaterThan(COMPACT_ABOVE_ROWS);

    expect(await openWithOurs(store, 'n')).toEqual(contentOf(written));
    expect(await rawRows(dbName)).toHaveLength(1);
    expect(await openWithStock(dbName)).toEqual(contentOf(written));
  });

  it('stock y-indexeddb and our provider take turns on one note (an old tab next to a new one)', async () => {
    const store = indexedDbHarness.make();
    const dbName = store.databaseName('n');
    const expected = new Y.Doc();
    for (let turn = 0; turn < 4; turn++) {
      const doc = new Y.Doc();
      if (turn % 2 === 0) {
        const stock = new IndexeddbPersistence(dbName, doc);
        await stock.whenSynced;
        edit(doc, turn);
        await stock.destroy();
      } else {
        const persisted = store.open('n', doc);
        await persisted.whenLoaded;
        edit(doc, turn);
        await persisted.destroy();
      }
      Y.applyUpdate(expected, Y.encodeStateAsUpdate(doc));
    }
    expect(await openWithOurs(store, 'n')).toEqual(contentOf(expected));
    expect(await openWithStock(dbName)).toEqual(contentOf(expected));
  });
});
