/**
 * A page killed half-way through "Import Markdown" leaves nothing behind
 * (ImportJournal.ts): the next start removes the documents the dead batch
 * stored but never listed; an import another tab is running is left alone;
 * without tab locks only a day-old batch counts as dead. Stored as notes
 * really are (IndexedDbStore and IndexedDbNotesIndexStore on fake-indexeddb).
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { IMPORTS_IN_FLIGHT_KEY, ImportJournal, UNLOCKED_BATCH_EXPIRY_MS } from '../../../src/app/ImportJournal';
import { WeftApp, noteDocName } from '../../../src/app/session';
import { memoryTabLocks, type TabLocks } from '../../../src/app/TabLocks';
import type { DocStore } from '../../../src/storage/DocStore';
import { IndexedDbNotesIndexStore } from '../../../src/storage/IndexedDbNotesIndexStore';
import { IndexedDbStore } from '../../../src/storage/IndexedDbStore';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { freshPrefix } from '../storage/harness';
import { waitFor } from '../waitFor';
import { MapPreferences } from './mapPreferences';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const md = (name: string, content: string) => new File([content], name, { type: 'text/markdown' });
const FILES = ['one', 'two', 'three', 'four'].map((name) => md(`${name}.md`, `# ${name}\n\nwritten in ${name}`));

/** One device: its databases and preferences outlive a page; each page (tab) gets the locks it is given. */
function device() {
  const prefix = freshPrefix();
  const preferences = new MapPreferences();
  const stored = new Set<string>();
  /** Until released, the third note's write never lands: the import hangs there, as a page killed then would stop. */
  let release: () => void = () => undefined;
  const stall = new Promise<void>((resolve) => (release = resolve));
  const open = async (locks: TabLocks, { stallThird = false } = {}) => {
    const docs = new IndexedDbStore({ prefix });
    let notes = 0;
    const store: DocStore = {
      open(name, doc) {
        const persisted = docs.open(name, doc);
        if (!name.startsWith('note:')) return persisted;
        const third = stallThird && ++notes === 3;
        return {
          whenLoaded: persisted.whenLoaded,
          origin: persisted.origin,
          onError: (listener) => persisted.onError(listener),
          flush: async () => {
            if (third) await stall;
            await persisted.flush();
            stored.add(name.slice('note:'.length));
          },
          compact: () => persisted.compact(),
          destroy: () => persisted.destroy(),
        };
      },
      remove: (name) => docs.remove(name),
      mayExist: (name) => docs.mayExist(name),
    };
    const app = new WeftApp({
      store,
      fallbackStore: () => {
        throw new Error('storage must work in this test');
      },
      transports: new LoopbackNetwork().factory,
      indexStore: new IndexedDbNotesIndexStore({ name: `${prefix}notes-index` }),
      preferences,
      tabLocks: locks,
    });
    await app.start();
    cleanups.push(() => app.destroy());
    return { app, docs };
  };
  return { open, preferences, stored, release: () => release() };
}

/** Whether anything of the note is stored. */
async function isStored(store: DocStore, noteId: string): Promise<boolean> {
  const doc = new Y.Doc();
  const persisted = store.open(noteDocName(noteId), doc);
  await persisted.whenLoaded;
  const stored = doc.store.clients.size > 0;
  await persisted.destroy();
  doc.destroy();
  return stored;
}

const journaled = (preferences: MapPreferences): string[] =>
  Object.values(JSON.parse(preferences.get(IMPORTS_IN_FLIGHT_KEY) ?? '{}') as Record<string, { ids: string[] }>).flatMap((b) => b.ids);

describe('ImportJournal: a killed import leaves nothing behind', () => {
  it('the next start removes what a batch whose tab died stored but never listed', async () => {
    const machine = device();
    const first = await machine.open(memoryTabLocks(), { stallThird: true });
    void first.app.importMarkdown(FILES);
    await waitFor('two notes stored, the third hanging', () => machine.stored.size === 2);
    expect(journaled(machine.preferences)).toHaveLength(4);
    const leftovers = [...machine.stored];
    for (const id of leftovers) expect(await isStored(first.docs, id)).toBe(true);
    // The page dies here; its locks die with it. A new page of the same browser starts:
    const next = await machine.open(memoryTabLocks());
    await waitFor('the leftovers removed and the journal emptied', async () => {
      for (const id of leftovers) if (await isStored(next.docs, id)) return false;
      return journaled(machine.preferences).length === 0;
    });
    expect((await next.app.index.list({ limit: 100 })).total).toBe(0);
  });

  it('an import another tab is running is left alone, and lists every note once it finishes', async () => {
    const machine = device();
    const locks = memoryTabLocks(); // one browser: both tabs see the same locks
    const first = await machine.open(locks, { stallThird: true });
    const importing = first.app.importMarkdown(FILES);
    await waitFor('two notes stored, the third hanging', () => machine.stored.size === 2);
    const other = await machine.open(locks);
    // The other tab's start ran its purge; give it every chance to (wrongly) remove something.
    await other.app.index.list({ limit: 1 });
    for (const id of machine.stored) expect(await isStored(other.docs, id)).toBe(true);
    machine.release();
    const result = await importing;
    expect(result.ok).toBe(true);
    expect((await first.app.index.list({ limit: 100 })).notes.map((n) => n.title).sort()).toEqual(['four', 'one', 'three', 'two']);
    expect(result.ok && result.noteIds).toHaveLength(4);
    for (const id of result.ok ? result.noteIds : []) expect(await isStored(other.docs, id)).toBe(true);
    expect(journaled(machine.preferences)).toEqual([]);
  });
});

describe('ImportJournal', () => {
  const journal = (options: { locks: TabLocks | null; listed?: string[]; now?: () => number }) => {
    const preferences = new MapPreferences();
    const removed: string[] = [];
    let batches = 0;
    const it = new ImportJournal({
      preferences,
      locks: options.locks,
      listed: async (id) => (options.listed ?? []).includes(id),
      remove: async (id) => void removed.push(id),
      now: options.now ?? (() => 1_000),
      batchId: () => `batch${++batches}`,
    });
    return { it, preferences, removed };
  };

  it('journals a batch while it runs and forgets it after, also when it fails', async () => {
    const { it: j, preferences } = journal({ locks: memoryTabLocks() });
    await j.run(['a', 'b'], async () => expect(journaled(preferences)).toEqual(['a', 'b']));
    expect(journaled(preferences)).toEqual([]);
    await expect(j.run(['c'], () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    expect(journaled(preferences)).toEqual([]);
  });

  it('removes only the unlisted notes of a dead batch', async () => {
    const { it: j, preferences, removed } = journal({ locks: memoryTabLocks(), listed: ['b'] });
    preferences.set(IMPORTS_IN_FLIGHT_KEY, JSON.stringify({ dead: { ids: ['a', 'b', 'c'], at: 1 } }));
    expect(await j.purgeLeftovers()).toBe(2);
    expect(removed).toEqual(['a', 'c']);
    expect(journaled(preferences)).toEqual([]);
  });

  it('without tab locks, a batch counts as dead only after a day', async () => {
    let now = 1_000;
    const { it: j, preferences, removed } = journal({ locks: null, now: () => now });
    preferences.set(IMPORTS_IN_FLIGHT_KEY, JSON.stringify({ young: { ids: ['a'], at: 1_000 } }));
    expect(await j.purgeLeftovers()).toBe(0);
    now += UNLOCKED_BATCH_EXPIRY_MS + 1;
    expect(await j.purgeLeftovers()).toBe(1);
    expect(removed).toEqual(['a']);
  });

  it('ignores a journal it cannot read', async () => {
    for (const junk of ['not json', '[1,2]', JSON.stringify({ b: { ids: [1], at: 1 } }), JSON.stringify({ b: null })]) {
      const { it: j, preferences, removed } = journal({ locks: memoryTabLocks() });
      preferences.set(IMPORTS_IN_FLIGHT_KEY, junk);
      expect(await j.purgeLeftovers()).toBe(0);
      expect(removed).toEqual([]);
    }
  });
});
