/**
 * IndexedDB-specific behaviour of IndexedDbStore on fake-indexeddb: the row
 * counts y-indexeddb produces and how we keep them bounded, and the ways a
 * connection can go away under us.
 */
import { forceCloseDatabase } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { StorageError } from '../../../src/storage/DocStore';
import {
  CUSTOM_STORE,
  IndexedDbStore,
  MAX_REATTACHES,
  QUARANTINE_KEY_PREFIX,
  type IndexedDbPersistedDoc,
} from '../../../src/storage/indexeddb';
import { COMPACT_ABOVE_ROWS } from '../../../src/storage/updateLog';
import { CORRUPT_ROW, freshPrefix, indexedDbHarness, nextError, rawOpen, waitFor } from './harness';

const newStore = () => indexedDbHarness.make();
const rows = (store: IndexedDbStore, name: string) => indexedDbHarness.rows(store, name);
/** The live connection of a persisted doc, to simulate the browser closing it. */
const connectionOf = (persisted: IndexedDbPersistedDoc) => (persisted as unknown as { db: IDBDatabase }).db;

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
    expect(await rows(store, 'n')).toBeGreaterThan(30);
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
    // y-indexeddb's pre-load row + two updates.
    expect(await rows(store, 'n')).toBe(3);
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

  it('trims the log after PREFERRED_TRIM_SIZE rows while the note stays open', async () => {
    const store = newStore();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    for (let i = 0; i < 520; i++) doc.getText('t').insert(i, 'y');
    await waitFor(async () => (await rows(store, 'n')) < 10, 5_000);
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
    await waitFor(async () => !(await indexedDB.databases()).some((d) => d.name === store.databaseName('n')));
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
    await waitFor(() => errors.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    heal();
    expect(errors.map((e) => e.kind)).toEqual(['quota']);
    await persisted.destroy();
    expect(await textAfterReopen(store, 'n')).toBe('zzzzz');
  });
});
