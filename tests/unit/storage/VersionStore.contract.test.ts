/**
 * The VersionStore contract, run against every adapter (IndexedDB on
 * fake-indexeddb, memory).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IndexedDbVersionStore, META_STORE, STATES_STORE, VERSIONS_DB_VERSION } from '../../../src/storage/indexedDbVersions';
import { MemoryVersionStore } from '../../../src/storage/memoryVersions';
import type { NewVersion, VersionStore } from '../../../src/storage/VersionStore';
import { freshPrefix } from './harness';

interface VersionHarness {
  name: string;
  make(): VersionStore;
  /** A second instance over the same data (a reload), or null when the adapter keeps nothing beyond itself. */
  reopen(store: VersionStore): VersionStore | null;
  /**
   * Writes a version the way the first release of the adapter did (no `pinned`, no
   * `fromElsewhere`) and returns its id, or null when the adapter keeps nothing from before.
   */
  writeLegacy(store: VersionStore, noteId: string, at: number): Promise<number | null>;
}

/** Puts a record as version 1 of the IndexedDB adapter wrote it, straight into the database. */
async function writeLegacyIndexedDb(name: string, noteId: string, at: number): Promise<number> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name, VERSIONS_DB_VERSION);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      const tx = db.transaction([META_STORE, STATES_STORE], 'readwrite');
      const add = tx.objectStore(META_STORE).add({
        noteId,
        at,
        snapshot: new Uint8Array([9]),
        preview: 'from an older version of Weft',
        reason: 'open',
        size: 2,
      });
      add.onsuccess = () => tx.objectStore(STATES_STORE).put(new Uint8Array([4, 2]), add.result);
      tx.oncomplete = () => resolve(add.result as number);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const harnesses: VersionHarness[] = [
  { name: 'MemoryVersionStore', make: () => new MemoryVersionStore(), reopen: () => null, writeLegacy: () => Promise.resolve(null) },
  {
    name: 'IndexedDbVersionStore',
    make: () => new IndexedDbVersionStore({ name: `${freshPrefix()}versions` }),
    reopen: (store) => new IndexedDbVersionStore({ name: (store as IndexedDbVersionStore).name }),
    writeLegacy: async (store, noteId, at) => {
      await store.list(noteId); // creates the database as the adapter does
      return writeLegacyIndexedDb((store as IndexedDbVersionStore).name, noteId, at);
    },
  },
];

const version = (noteId: string, at: number, bytes: number[] = [at % 256], preview = `v${at}`): NewVersion => ({
  noteId,
  at,
  state: new Uint8Array(bytes),
  snapshot: new Uint8Array([1, 2, at % 256]),
  preview,
  reason: 'periodic',
});

describe.each(harnesses)('VersionStore contract: $name', (harness) => {
  it('saves, lists newest first (metadata only) and loads a state', async () => {
    const store = harness.make();
    const first = await store.save(version('n', 1000, [1, 2, 3]));
    await store.save({ ...version('n', 3000), reason: 'open' });
    await store.save(version('n', 2000));
    const list = await store.list('n');
    expect(list.map((m) => m.at)).toEqual([3000, 2000, 1000]);
    expect(list[0]).toMatchObject({ noteId: 'n', reason: 'open', preview: 'v3000', size: 1, pinned: false, fromElsewhere: false });
    expect(list[0]).not.toHaveProperty('state');
    expect([...list[2]!.snapshot]).toEqual([1, 2, 1000 % 256]);
    expect([...((await store.load(first.id)) ?? [])]).toEqual([1, 2, 3]);
  });

  it('equal times are ordered by save order, newest first', async () => {
    const store = harness.make();
    const a = await store.save(version('n', 5));
    const b = await store.save(version('n', 5));
    expect((await store.list('n')).map((m) => m.id)).toEqual([b.id, a.id]);
    expect(b.id).toBeGreaterThan(a.id);
  });

  it('keeps notes apart; an unknown note lists nothing; an unknown id loads null', async () => {
    const store = harness.make();
    await store.save(version('a', 1));
    await store.save(version('b', 2));
    expect((await store.list('a')).map((m) => m.noteId)).toEqual(['a']);
    expect(await store.list('nobody')).toEqual([]);
    expect(await store.load(987654)).toBeNull();
  });

  it('deleteNote removes that note’s versions and states only', async () => {
    const store = harness.make();
    const gone = await store.save(version('a', 1));
    const kept = await store.save(version('b', 2));
    await store.deleteNote('a');
    expect(await store.list('a')).toEqual([]);
    expect(await store.load(gone.id)).toBeNull();
    expect(await store.load(kept.id)).not.toBeNull();
  });

  it('prune deletes what the rule picks, and never another note’s versions', async () => {
    const store = harness.make();
    for (let at = 1; at <= 5; at++) await store.save(version('n', at));
    const other = await store.save(version('o', 1));
    const deleted = await store.prune('n', (list) => [...list.slice(2).map((m) => m.id), other.id]);
    expect(deleted).toBe(3);
    expect((await store.list('n')).map((m) => m.at)).toEqual([5, 4]);
    expect(await store.load(other.id)).not.toBeNull();
  });

  it('a stored state is a copy: changing the caller’s buffer changes nothing', async () => {
    const store = harness.make();
    const bytes = new Uint8Array([7, 7, 7]);
    const meta = await store.save({ ...version('n', 1), state: bytes });
    bytes[0] = 0;
    expect([...((await store.load(meta.id)) ?? [])]).toEqual([7, 7, 7]);
  });

  it('survives a reload (durable adapters)', async () => {
    const store = harness.make();
    const meta = await store.save(version('n', 42, [4, 2]));
    const again = harness.reopen(store);
    if (!again) return;
    expect((await again.list('n')).map((m) => m.id)).toEqual([meta.id]);
    expect([...((await again.load(meta.id)) ?? [])]).toEqual([4, 2]);
  });

  it('keeps whether a version came from elsewhere', async () => {
    const store = harness.make();
    const mine = await store.save(version('n', 1));
    const theirs = await store.save({ ...version('n', 2), fromElsewhere: true });
    expect(mine.fromElsewhere).toBe(false);
    expect(theirs.fromElsewhere).toBe(true);
    expect((await store.list('n')).map((m) => [m.id, m.fromElsewhere])).toEqual([[theirs.id, true], [mine.id, false]]);
  });

  it('pins and unpins a version; an unknown id pins nothing', async () => {
    const store = harness.make();
    const meta = await store.save(version('n', 1, [5]));
    expect(meta.pinned).toBe(false);
    expect(await store.setPinned(meta.id, true)).toMatchObject({ id: meta.id, pinned: true, preview: 'v1', at: 1 });
    expect((await store.list('n'))[0]!.pinned).toBe(true);
    expect([...((await store.load(meta.id)) ?? [])]).toEqual([5]);
    expect(await store.setPinned(meta.id, false)).toMatchObject({ id: meta.id, pinned: false });
    expect((await store.list('n'))[0]!.pinned).toBe(false);
    expect(await store.setPinned(987654, true)).toBeNull();
    expect(await store.list('nobody')).toEqual([]);
  });

  it('prune never deletes a pinned version, whatever the rule picks', async () => {
    const store = harness.make();
    const a = await store.save(version('n', 1));
    const b = await store.save(version('n', 2));
    const c = await store.save(version('n', 3));
    await store.setPinned(b.id, true);
    expect(await store.prune('n', (list) => list.map((m) => m.id))).toBe(2);
    expect((await store.list('n')).map((m) => m.id)).toEqual([b.id]);
    expect(await store.load(a.id)).toBeNull();
    expect(await store.load(c.id)).toBeNull();
    expect(await store.load(b.id)).not.toBeNull();
  });

  it('a version pinned while a prune’s rule runs is not deleted', async () => {
    const store = harness.make();
    const a = await store.save(version('n', 1));
    const b = await store.save(version('n', 2));
    let pinning: Promise<unknown> = Promise.resolve();
    const deleted = await store.prune('n', (list) => {
      // The dialog pins `a` between the prune's read and its delete.
      pinning = store.setPinned(a.id, true);
      return list.map((m) => m.id);
    });
    await pinning;
    expect(deleted).toBe(1);
    expect((await store.list('n')).map((m) => [m.id, m.pinned])).toEqual([[a.id, true]]);
    expect(await store.load(b.id)).toBeNull();
  });

  it('pins survive a reload (durable adapters)', async () => {
    const store = harness.make();
    const meta = await store.save(version('n', 7));
    await store.setPinned(meta.id, true);
    const again = harness.reopen(store);
    if (!again) return;
    expect((await again.list('n')).map((m) => [m.id, m.pinned])).toEqual([[meta.id, true]]);
  });

  it('records from before pins existed read as unpinned and own, and can be pinned and pruned', async () => {
    const store = harness.make();
    const legacy = await harness.writeLegacy(store, 'n', 100);
    if (legacy === null) return;
    const fresh = await store.save(version('n', 200));
    const [newest, old] = await store.list('n');
    expect(newest!.id).toBe(fresh.id);
    expect(old).toMatchObject({ id: legacy, at: 100, reason: 'open', pinned: false, fromElsewhere: false, size: 2 });
    expect(await store.setPinned(legacy, true)).toMatchObject({ id: legacy, pinned: true, preview: 'from an older version of Weft' });
    expect(await store.prune('n', (list) => list.map((m) => m.id))).toBe(1);
    expect((await store.list('n')).map((m) => m.id)).toEqual([legacy]);
    expect(await store.setPinned(legacy, false)).toMatchObject({ pinned: false });
    expect(await store.prune('n', (list) => list.map((m) => m.id))).toBe(1);
    expect(await store.list('n')).toEqual([]);
  });
});
