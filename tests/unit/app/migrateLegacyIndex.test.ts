/**
 * The move of an existing device's notes list from the Y.Doc index (before issue 21) into the
 * NotesIndexStore (src/app/migrateLegacyIndex.ts), on both storage pairs: complete, crash-safe
 * (a run killed after some batches resumes and ends with every entry exactly once), the old
 * database deleted only after the marker; and a device written by the old code path opening
 * in today's app with every note listed and searchable.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MIGRATION_BATCH, MIGRATION_COPIED, MIGRATION_DONE, MIGRATION_MARKER, migrateLegacyIndex } from '../../../src/app/migrateLegacyIndex';
import { INDEX_DOC_NAME, WeftApp } from '../../../src/app/session';
import { LegacyNotesIndex } from '../../../src/doc/LegacyNotesIndex';
import { normalizeForSearch } from '../../../src/doc/noteEntry';
import type { DocStore } from '../../../src/storage/DocStore';
import { IndexedDbNotesIndexStore } from '../../../src/storage/IndexedDbNotesIndexStore';
import { IndexedDbStore } from '../../../src/storage/IndexedDbStore';
import { MemoryStore } from '../../../src/storage/memory';
import { MemoryNotesIndexStore } from '../../../src/storage/MemoryNotesIndexStore';
import type { EntryWrite, NotesIndexStore, UpdateOptions, WriteResult } from '../../../src/storage/NotesIndexStore';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { mulberry32 } from '../../prng';
import { freshPrefix, rawRows } from '../storage/harness';
import { MapPreferences } from './mapPreferences';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SEED = Number(process.env.WEFT_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`migrateLegacyIndex: seed ${SEED} (WEFT_SEED=<seed> replays it)`);

interface Device {
  docs: DocStore;
  index: NotesIndexStore;
  /** Whether the old index database still holds anything. */
  legacyRows(): Promise<number>;
}

const devices: Array<{ name: string; make(): Device }> = [
  {
    name: 'memory',
    make: () => {
      const docs = new MemoryStore();
      return { docs, index: new MemoryNotesIndexStore(), legacyRows: async () => docs.rows(INDEX_DOC_NAME) };
    },
  },
  {
    name: 'IndexedDB',
    make: () => {
      const prefix = freshPrefix();
      const docs = new IndexedDbStore({ prefix });
      return {
        docs,
        index: new IndexedDbNotesIndexStore({ name: `${prefix}notes-index` }),
        legacyRows: async () => (await rawRows(docs.databaseName(INDEX_DOC_NAME))).length,
      };
    },
  },
];

/**
 * Writes `count` notes into the Y.Doc index the way the app did before issue 21 (through the
 * old NotesIndex, persisted by the DocStore under INDEX_DOC_NAME): titles, typed text, some in
 * the trash, some from share links.
 */
async function writeLegacyIndex(docs: DocStore, count: number, seed: number): Promise<Map<string, { title: string; text: string; deleted: boolean; shared: boolean }>> {
  const random = mulberry32(seed);
  const doc = new Y.Doc();
  const persisted = docs.open(INDEX_DOC_NAME, doc);
  await persisted.whenLoaded;
  let time = 1_000;
  const legacy = new LegacyNotesIndex(doc, { now: () => (time += 1 + Math.floor(random() * 5)) });
  const written = new Map<string, { title: string; text: string; deleted: boolean; shared: boolean }>();
  for (let n = 0; n < count; n++) {
    const named = random() < 0.3;
    const id = legacy.create(named ? { title: `Named ${n}` } : {});
    const text = `Note ${n} line\nword${n}end Café ${Math.floor(random() * 1e6)}`;
    legacy.updateFromContent(id, { firstLine: `Note ${n} line`, text });
    const deleted = random() < 0.1;
    if (deleted) legacy.remove(id);
    written.set(id, { title: named ? `Named ${n}` : `Note ${n} line`, text, deleted, shared: false });
  }
  await persisted.flush();
  await persisted.destroy();
  doc.destroy();
  return written;
}

/** A store that dies (throws, as a killed page stops) on its `failAt`-th write batch. */
function dyingAt(store: NotesIndexStore, failAt: number): NotesIndexStore {
  let batches = 0;
  return Object.assign(Object.create(store) as NotesIndexStore, {
    update: (writes: readonly EntryWrite[], options?: UpdateOptions): Promise<WriteResult[]> => {
      if (++batches === failAt) return Promise.reject(new Error('killed'));
      expect(options?.durable).toBe(true); // on disk before the marker
      return store.update(writes, options);
    },
  });
}

describe.each(devices)('migrating the Y.Doc index: $name storage', (device) => {
  it('copies every entry with its search text, marks it done, then deletes the old index; later starts do nothing', async () => {
    const { docs, index, legacyRows } = device.make();
    const written = await writeLegacyIndex(docs, 30, SEED);
    expect(await legacyRows()).toBeGreaterThan(0);
    expect(await migrateLegacyIndex({ docs, index, legacyName: INDEX_DOC_NAME })).toEqual({ entries: 30 });
    expect(await index.getMarker(MIGRATION_MARKER)).toEqual({ state: MIGRATION_DONE, entries: 30 });
    expect(await legacyRows()).toBe(0);
    const all = await index.page({ limit: Infinity, includeDeleted: true });
    expect(all).toHaveLength(30);
    for (const record of all) {
      const want = written.get(record.id)!;
      expect(record.explicitTitle?.trim() || record.derivedTitle).toBe(want.title);
      expect(record.deletedAt !== null).toBe(want.deleted);
      expect(normalizeForSearch(await index.text(record.id))).toContain(`word${[...written.keys()].indexOf(record.id)}end cafe`);
    }
    expect(await migrateLegacyIndex({ docs, index, legacyName: INDEX_DOC_NAME })).toBeNull();
  });

  it('a first start on a fresh device marks the migration done with nothing to copy, and never opens (creates) the old index', async () => {
    const { docs, index } = device.make();
    const opened: string[] = [];
    const removed: string[] = [];
    const watched: DocStore = {
      open: (name, doc) => (opened.push(name), docs.open(name, doc)),
      remove: (name) => (removed.push(name), docs.remove(name)),
      mayExist: (name) => docs.mayExist(name),
    };
    expect(await migrateLegacyIndex({ docs: watched, index, legacyName: INDEX_DOC_NAME })).toEqual({ entries: 0 });
    expect(await index.getMarker(MIGRATION_MARKER)).toEqual({ state: MIGRATION_DONE, entries: 0 });
    expect([opened, removed]).toEqual([[], []]);
    expect(await docs.mayExist(INDEX_DOC_NAME)).toBe(false);
    expect(await index.count({ includeDeleted: true })).toBe(0);
    expect(await migrateLegacyIndex({ docs, index, legacyName: INDEX_DOC_NAME })).toBeNull();
  });

  it('killed half-way, it resumes on the next start and ends with every entry exactly once; the old index stays until the marker', async () => {
    const { docs, index, legacyRows } = device.make();
    const count = 2 * MIGRATION_BATCH + 17;
    const written = await writeLegacyIndex(docs, count, SEED + 1);
    // Killed while writing the second batch: the first is stored, nothing else.
    await expect(migrateLegacyIndex({ docs, index: dyingAt(index, 2), legacyName: INDEX_DOC_NAME })).rejects.toThrow('killed');
    expect(await index.count({ includeDeleted: true })).toBe(MIGRATION_BATCH);
    expect(await index.getMarker(MIGRATION_MARKER)).toBeUndefined();
    expect(await legacyRows()).toBeGreaterThan(0);
    // Killed again, later (the third batch): still no marker.
    await expect(migrateLegacyIndex({ docs, index: dyingAt(index, 3), legacyName: INDEX_DOC_NAME })).rejects.toThrow('killed');
    expect(await index.getMarker(MIGRATION_MARKER)).toBeUndefined();
    expect(await migrateLegacyIndex({ docs, index, legacyName: INDEX_DOC_NAME })).toEqual({ entries: count });
    const all = await index.page({ limit: Infinity, includeDeleted: true });
    expect(all.map((r) => r.id).sort()).toEqual([...written.keys()].sort());
    expect(await legacyRows()).toBe(0);
  });

  it('killed between the marker and the deletion, the next start deletes the old index and copies nothing again', async () => {
    const { docs, index, legacyRows } = device.make();
    await writeLegacyIndex(docs, 5, SEED + 2);
    const failingRemove = Object.assign(Object.create(docs) as DocStore, { remove: () => Promise.reject(new Error('killed')) });
    await expect(migrateLegacyIndex({ docs: failingRemove, index, legacyName: INDEX_DOC_NAME })).rejects.toThrow('killed');
    expect(await index.getMarker(MIGRATION_MARKER)).toEqual({ state: MIGRATION_COPIED, entries: 5 });
    expect(await legacyRows()).toBeGreaterThan(0);
    // An entry changed in between (the app ran on the copied list) is not overwritten.
    const [first] = await index.page({ limit: 1 });
    await index.update([{ id: first!.id, change: (current) => current && { ...current, explicitTitle: 'Changed since' } }]);
    await migrateLegacyIndex({ docs, index, legacyName: INDEX_DOC_NAME });
    expect(await legacyRows()).toBe(0);
    expect((await index.get(first!.id))?.explicitTitle).toBe('Changed since');
    expect(await index.getMarker(MIGRATION_MARKER)).toMatchObject({ state: MIGRATION_DONE });
  });
});

describe('a device written by the old code opens in today’s app', () => {
  it('lists and searches every note of the old Y.Doc index (trash included)', async () => {
    const prefix = freshPrefix();
    const docs = new IndexedDbStore({ prefix });
    const written = await writeLegacyIndex(docs, 250, SEED + 3);
    const app = new WeftApp({
      store: docs,
      fallbackStore: () => new MemoryStore(),
      indexStore: new IndexedDbNotesIndexStore({ name: `${prefix}notes-index` }),
      transports: new LoopbackNetwork().factory,
      preferences: new MapPreferences(),
    });
    cleanups.push(() => app.destroy());
    await app.start();
    expect(app.alerts.get()).toEqual([]);
    const listed = [...written].filter(([, note]) => !note.deleted);
    const page = await app.index.list({ limit: 100 });
    expect(page.total).toBe(listed.length);
    expect(page.notes).toHaveLength(100);
    const all = await app.index.list({ limit: Infinity });
    expect(new Set(all.notes.map((n) => n.id))).toEqual(new Set(listed.map(([id]) => id)));
    for (const note of all.notes) expect(note.title).toBe(written.get(note.id)!.title);
    // Search text came along: a word only in the body finds its note.
    const [someId] = listed[17]!;
    const word = `word${[...written.keys()].indexOf(someId)}end`;
    expect((await app.index.list({ limit: 10, query: `${word} cafe` })).notes.map((n) => n.id)).toEqual([someId]);
    expect((await app.index.list({ limit: Infinity, includeDeleted: true })).total).toBe(250);
  });
});
