/**
 * IndexedDB-specific behaviour of IndexedDbStore on fake-indexeddb: the row
 * counts of the log and how we keep them bounded, when writes start, and the
 * ways a connection can go away under us.
 */
import { forceCloseDatabase } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { applySeed, seedUpdate } from '../../../src/doc/seed';
import type { StorageError } from '../../../src/storage/DocStore';
import { MAX_REATTACHES, type IndexedDbPersistedDoc } from '../../../src/storage/IndexedDbPersistedDoc';
import { IndexedDbStore } from '../../../src/storage/IndexedDbStore';
import { CUSTOM_STORE, QUARANTINE_KEY_PREFIX, UPDATES_STORE } from '../../../src/storage/updatesDatabase';
import { COMPACT_ABOVE_ROWS } from '../../../src/storage/updateLog';
import { CORRUPT_ROW, freshPrefix, indexedDbHarness, nextError, rawOpen } from './harness';
import { waitFor } from '../waitFor';

const newStore = () => indexedDbHarness.make();
const rows = (store: IndexedDbStore, name: string) => indexedDbHarness.rows(store, name);
/** The live connection of a persisted doc, to simulate the browser closing it. */
const connectionOf = (persisted: IndexedDbPersistedDoc) => (persisted as unknown as { db: IDBDatabase }).db;

/** Every row of the stored log with its key, in key order. */
async function keyedRows(store: IndexedDbStore, name: string): Promise<Array<[IDBValidKey, Uint8Array]>> {
  const db = await rawOpen(store.databaseName(name));
  try {
    const tx = db.transaction([UPDATES_STORE], 'readonly');
    const keys = tx.objectStore(UPDATES_STORE).getAllKeys();
    const values = tx.objectStore(UPDATES_STORE).getAll();
    await new Promise((resolve) => (tx.oncomplete = resolve));
    return keys.result.map((key, i) => [key, values.result[i] as Uint8Array]);
  } finally {
    db.close();
  }
}

/** Appends `update` to the stored log of `name` as one row, as another writer would. */
async function appendRow(store: IndexedDbStore, name: string, update: Uint8Array): Promise<void> {
  const db = await rawOpen(store.databaseName(name));
  try {
    const tx = db.transaction([UPDATES_STORE], 'readwrite');
    tx.objectStore(UPDATES_STORE).add(update);
    await new Promise((resolve) => (tx.oncomplete = resolve));
  } finally {
    db.close();
  }
}

/** A note doc as the app makes it: seeded before storage is attached. */
function seededDoc(): Y.Doc {
  const doc = new Y.Doc();
  applySeed(doc);
  return doc;
}

/** A note stored through one whole open → `write` → close cycle; returns its doc. */
async function storeNote(store: IndexedDbStore, name: string, write: (doc: Y.Doc) => void, doc: Y.Doc = seededDoc()): Promise<Y.Doc> {
  const persisted = store.open(name, doc);
  await persisted.whenLoaded;
  write(doc);
  await persisted.destroy();
  return doc;
}

async function textAfterReopen(store: IndexedDbStore, name: string): Promise<string> {
  const doc = new Y.Doc();
  const persisted = store.open(name, doc);
  await persisted.whenLoaded;
  const text = doc.getText('t').toString();
  await persisted.destroy();
  return text;
}

describe('IndexedDbStore', () => {
  it('uses one database per doc, named prefix + name', async () => {
    const store = new IndexedDbStore({ prefix: freshPrefix() });
    const persisted = store.open('note:abc', new Y.Doc());
    await persisted.whenLoaded;
    await persisted.destroy();
    const names = (await indexedDB.databases()).map((d) => d.name);
    expect(names).toContain(`${store.prefix}note:abc`);
  });

  it('destroy() compacts a log longer than a handful of rows into one', async () => {
    const store = newStore();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    for (let i = 0; i < 30; i++) doc.getText('t').insert(i, 'x');
    expect(await rows(store, 'n')).toBeGreaterThanOrEqual(30);
    await persisted.destroy();
    expect(await rows(store, 'n')).toBe(1);
    expect(await textAfterReopen(store, 'n')).toBe('x'.repeat(30));
  });

  it('a few edits are not rewritten on close (below the compaction threshold)', async () => {
    const store = newStore();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    doc.getText('t').insert(0, 'a');
    doc.getText('t').insert(1, 'b');
    await persisted.destroy();
    // The two updates; the empty doc's state from before loading needs no row (y-indexeddb wrote one).
    expect(await rows(store, 'n')).toBe(2);
  });

  it('rows stay bounded over 20 reopenings, with and without a clean close', async () => {
    const store = newStore();
    for (let i = 0; i < 20; i++) {
      const doc = new Y.Doc();
      const persisted = store.open('n', doc);
      await persisted.whenLoaded;
      doc.getText('t').insert(doc.getText('t').length, String(i % 10));
      if (i % 2 === 0) {
        await persisted.destroy();
      } else {
        // A crash: the connection goes away without our destroy() compacting
        // (and, unlike a close under a live tab, nothing re-attaches).
        // Once the edit is on disk (writes are queued for one task, then committed).
        await persisted.flush();
        (persisted as IndexedDbPersistedDoc).expectRemoval();
        forceCloseDatabase(connectionOf(persisted as IndexedDbPersistedDoc) as never);
        await persisted.destroy();
      }
      expect(await rows(store, 'n')).toBeLessThanOrEqual(COMPACT_ABOVE_ROWS + 3);
    }
    expect(await textAfterReopen(store, 'n')).toBe('01234567890123456789');
  });

  it('writes an update from the task that made it, with its commit requested at once (no timer in between)', async () => {
    // The crash window (tests/e2e/faults-crash.spec.ts): a write deferred to a
    // timer task, and a commit left to the page's idle success events, ran
    // late on a loaded page and lost a keystroke typed 200 ms before a crash.
    const store = newStore();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    await persisted.flush();
    const opened = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const committed = vi.spyOn(IDBTransaction.prototype, 'commit');
    try {
      // Two updates in one task (one keystroke can make several) share one transaction.
      doc.getText('t').insert(0, 'a');
      doc.getText('t').insert(1, 'b');
      // Resumes after the microtasks queued so far: still this task, before any timer or IndexedDB event.
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      expect(opened.mock.calls).toEqual([[[UPDATES_STORE], 'readwrite']]);
      expect(committed.mock.instances).toEqual([opened.mock.results[0]!.value]);
    } finally {
      opened.mockRestore();
      committed.mockRestore();
    }
    await persisted.flush();
    expect(await rows(store, 'n')).toBe(2);
    await persisted.destroy();
    expect(await textAfterReopen(store, 'n')).toBe('ab');
  });

  it('trims the log at TRIM_AT_ROWS rows while the note stays open', async () => {
    const store = newStore();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    for (let i = 0; i < 520; i++) doc.getText('t').insert(i, 'y');
    await waitFor('compaction to fewer than 10 rows', async () => (await rows(store, 'n')) < 10);
    await persisted.destroy();
    expect(await textAfterReopen(store, 'n')).toBe('y'.repeat(520));
  });

  it('a connection force-closed by the browser (storage cleared) is re-attached: nothing is lost, no error', async () => {
    const store = newStore();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    doc.getText('t').insert(0, 'before ');
    await persisted.flush();
    const errors: StorageError[] = [];
    persisted.onError((e) => errors.push(e));
    const first = connectionOf(persisted);
    forceCloseDatabase(first as never);
    expect(() => doc.getText('t').insert(7, 'during ')).not.toThrow();
    await persisted.flush();
    expect(connectionOf(persisted)).not.toBe(first);
    doc.getText('t').insert(14, 'after');
    await persisted.compact();
    await persisted.flush();
    expect(await textAfterReopen(store, 'n')).toBe('before during after');
    await persisted.destroy();
    expect(errors).toEqual([]);
  });

  it(`a database deleted again and again is re-attached ${MAX_REATTACHES} times, then "closed" is reported`, async () => {
    const store = newStore();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    const closed = nextError(persisted, 'closed');
    let reported = false;
    void closed.then(() => (reported = true));
    for (let i = 0; i < MAX_REATTACHES; i++) {
      await indexedDbHarness.deleteFromOtherTab(store, 'n');
      doc.getText('t').insert(doc.getText('t').length, String(i));
      await persisted.flush();
      expect(reported).toBe(false);
    }
    expect(await textAfterReopen(store, 'n')).toBe('012'.slice(0, MAX_REATTACHES));
    await indexedDbHarness.deleteFromOtherTab(store, 'n');
    expect((await closed).kind).toBe('closed');
    expect(() => doc.getText('t').insert(0, 'x')).not.toThrow();
    await persisted.destroy();
  });

  it('keeps corrupt rows for salvage in the custom store', async () => {
    const store = newStore();
    await indexedDbHarness.putCorruptRow(store, 'n');
    const persisted = store.open('n', new Y.Doc());
    const corrupt = nextError(persisted, 'corrupt');
    await persisted.whenLoaded;
    expect((await corrupt).message).toMatch(/2 stored record/);
    await persisted.destroy();
    const db = await rawOpen(store.databaseName('n'));
    const tx = db.transaction([CUSTOM_STORE], 'readonly');
    const keys = await new Promise<IDBValidKey[]>((resolve) => {
      const request = tx.objectStore(CUSTOM_STORE).getAllKeys();
      request.onsuccess = () => resolve(request.result);
    });
    const values = await new Promise<unknown[]>((resolve) => {
      const request = db.transaction([CUSTOM_STORE], 'readonly').objectStore(CUSTOM_STORE).getAll();
      request.onsuccess = () => resolve(request.result);
    });
    db.close();
    expect(keys.every((k) => String(k).startsWith(QUARANTINE_KEY_PREFIX))).toBe(true);
    expect(values).toContainEqual(CORRUPT_ROW);
    expect(values).toContain('not an update');
  });

  it('adds the stores to a same-named database that lacks them', async () => {
    const store = newStore();
    const stray = await rawOpen(store.databaseName('n'));
    stray.close();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    doc.getText('t').insert(0, 'ok');
    await persisted.destroy();
    expect(await textAfterReopen(store, 'n')).toBe('ok');
  });

  it('remove() rejects with "blocked" while another tab will not let go, and completes once it does', async () => {
    const store = newStore();
    const persisted = store.open('n', new Y.Doc());
    await persisted.whenLoaded;
    await persisted.destroy();
    const held = await rawOpen(store.databaseName('n')); // ignores versionchange
    await expect(store.remove('n')).rejects.toMatchObject({ kind: 'blocked' });
    held.close();
    await waitFor('the database to be deleted', async () => !(await indexedDB.databases()).some((d) => d.name === store.databaseName('n')));
  });

  it('indexedDB.open throwing (sandboxed frame) is "unavailable"', async () => {
    const store = newStore();
    const original = indexedDB.open;
    indexedDB.open = () => {
      throw new DOMException('denied', 'SecurityError');
    };
    try {
      const persisted = store.open('n', new Y.Doc());
      await expect(persisted.whenLoaded).rejects.toMatchObject({ kind: 'unavailable' });
      await persisted.destroy();
    } finally {
      indexedDB.open = original;
    }
  });

  it('a quota failure is reported once per streak, not once per keystroke', async () => {
    const store = newStore();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    const errors: StorageError[] = [];
    persisted.onError((e) => errors.push(e));
    const heal = indexedDbHarness.injectQuota(store);
    for (let i = 0; i < 5; i++) doc.getText('t').insert(0, 'z');
    await waitFor('a storage error', () => errors.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    heal();
    expect(errors.map((e) => e.kind)).toEqual(['quota']);
    await persisted.destroy();
    expect(await textAfterReopen(store, 'n')).toBe('zzzzz');
  });

  describe('the doc state from before loading (y-indexeddb stores it as a row on every open; we only when it is new)', () => {
    it.each([
      ['a seeded note', seededDoc],
      ['an unseeded doc (the notes index)', () => new Y.Doc()],
    ])('reopening %s 20 times leaves the stored log exactly as it was', async (_label, makeDoc) => {
      const store = newStore();
      await storeNote(store, 'n', (doc) => doc.getText('t').insert(0, 'hello'), makeDoc());
      const before = await keyedRows(store, 'n');
      expect(before.length).toBeGreaterThan(0); // below the compaction threshold
      for (let i = 0; i < 20; i++) {
        const doc = makeDoc();
        const reopened = store.open('n', doc);
        await reopened.whenLoaded;
        expect(doc.getText('t').toString()).toBe('hello');
        if (i % 2 === 0) {
          await reopened.destroy();
        } else {
          // A crash right after opening: nothing of ours runs on close.
          await reopened.flush();
          reopened.expectRemoval();
          forceCloseDatabase(connectionOf(reopened) as never);
          await reopened.destroy();
        }
        expect(await keyedRows(store, 'n')).toEqual(before);
      }
    });

    it('also after compaction: a one-row note stays one row of the same bytes', async () => {
      const store = newStore();
      await storeNote(store, 'n', (doc) => {
        for (let i = 0; i < 30; i++) doc.getText('t').insert(i, 'x');
      });
      const before = await keyedRows(store, 'n');
      expect(before).toHaveLength(1);
      for (let i = 0; i < 20; i++) {
        const reopened = store.open('n', seededDoc());
        await reopened.whenLoaded;
        await reopened.destroy();
      }
      expect(await keyedRows(store, 'n')).toEqual(before);
    });

    it('a brand-new note still stores its seed row', async () => {
      const store = newStore();
      const persisted = store.open('n', seededDoc());
      await persisted.whenLoaded;
      await persisted.destroy();
      expect((await keyedRows(store, 'n')).map(([, row]) => row)).toEqual([seedUpdate()]);
      const reopened = new Y.Doc();
      const again = store.open('n', reopened);
      await again.whenLoaded;
      expect(Y.encodeStateAsUpdate(reopened)).toEqual(seedUpdate());
      await again.destroy();
    });

    it('keeps the row when the stored rows lack the seed (written by hand, or its first row set aside)', async () => {
      const store = newStore();
      const setup = store.open('n', new Y.Doc()); // creates the database, with no rows
      await setup.whenLoaded;
      await setup.destroy();
      const other = new Y.Doc();
      other.getText('t').insert(0, 'no seed here');
      await appendRow(store, 'n', Y.encodeStateAsUpdate(other));
      const before = (await keyedRows(store, 'n')).map(([, row]) => row);
      expect(before).toHaveLength(1);
      const persisted = store.open('n', seededDoc());
      await persisted.whenLoaded;
      await persisted.destroy();
      expect((await keyedRows(store, 'n')).map(([, row]) => row)).toEqual([...before, seedUpdate()]);
    });

    it('a doc with local changes before loading still stores them', async () => {
      const store = newStore();
      await storeNote(store, 'n', (doc) => doc.getText('t').insert(0, 'stored'));
      const before = await rows(store, 'n');

      const doc = seededDoc();
      doc.getText('local').insert(0, 'typed before loading');
      const reopened = store.open('n', doc);
      await reopened.whenLoaded;
      await reopened.destroy();
      expect(await rows(store, 'n')).toBe(before + 1);
      const check = new Y.Doc();
      const again = store.open('n', check);
      await again.whenLoaded;
      expect(check.getText('t').toString()).toBe('stored');
      expect(check.getText('local').toString()).toBe('typed before loading');
      await again.destroy();
    });

    it('a deletion made before loading is kept even though every struct of it is stored', async () => {
      const store = newStore();
      const stored = Y.encodeStateAsUpdate(await storeNote(store, 'n', (doc) => doc.getText('t').insert(0, 'abcdef')));

      // The doc already has the stored content (e.g. from a peer) and deletes
      // some of it before storage loads: same state vector, new delete set.
      const doc = seededDoc();
      Y.applyUpdate(doc, stored);
      doc.getText('t').delete(0, 3);
      const reopened = store.open('n', doc);
      await reopened.whenLoaded;
      await reopened.destroy();
      expect(await textAfterReopen(store, 'n')).toBe('def');
    });

    it('re-attaching still writes the whole doc state as a row', async () => {
      const store = newStore();
      await storeNote(store, 'n', (doc) => doc.getText('t').insert(0, 'stored'));
      const before = await keyedRows(store, 'n');

      const doc = seededDoc();
      const persisted = store.open('n', doc);
      await persisted.whenLoaded;
      expect(await keyedRows(store, 'n')).toEqual(before);
      const errors: StorageError[] = [];
      persisted.onError((e) => errors.push(e));
      const connection = connectionOf(persisted);
      forceCloseDatabase(connection as never);
      await persisted.flush();
      expect(connectionOf(persisted)).not.toBe(connection);
      const after = await keyedRows(store, 'n');
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after).toHaveLength(before.length + 1);
      expect(after[after.length - 1]![1]).toEqual(Y.encodeStateAsUpdate(doc));
      await persisted.destroy();
      expect(errors).toEqual([]);
    });
  });
});
