/**
 * The VersionStore contract, run against every adapter (IndexedDB on
 * fake-indexeddb, memory).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IndexedDbVersionStore } from '../../../src/storage/indexedDbVersions';
import { MemoryVersionStore } from '../../../src/storage/memoryVersions';
import type { NewVersion, VersionStore } from '../../../src/storage/VersionStore';
import { freshPrefix } from './harness';

interface VersionHarness {
  name: string;
  make(): VersionStore;
  /** A second instance over the same data (a reload), or null when the adapter keeps nothing beyond itself. */
  reopen(store: VersionStore): VersionStore | null;
}

const harnesses: VersionHarness[] = [
  { name: 'MemoryVersionStore', make: () => new MemoryVersionStore(), reopen: () => null },
  {
    name: 'IndexedDbVersionStore',
    make: () => new IndexedDbVersionStore({ name: `${freshPrefix()}versions` }),
    reopen: (store) => new IndexedDbVersionStore({ name: (store as IndexedDbVersionStore).name }),
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
    expect(list[0]).toMatchObject({ noteId: 'n', reason: 'open', preview: 'v3000', size: 1 });
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
});
