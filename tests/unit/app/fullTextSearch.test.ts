/**
 * Issue 19, "Find anything": the notes list's search over the whole text of
 * every note (src/app/NotesSearch.ts through NotesIndex.list), on both store
 * adapters: a word far down a note, prefixes, typos, ranking, snippets,
 * incremental changes (this tab's and another's), and the persisted index:
 * loaded again after a reload, rebuilt when damaged, with search working by
 * the scan while it is rebuilt.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { NotesIndex, type ListPage } from '../../../src/app/NotesIndex';
import { SEARCH_BATCH, SNAPSHOT_MIN_CHANGES } from '../../../src/app/NotesSearch';
import { IndexedDbNotesIndexStore, SNAPSHOTS_STORE } from '../../../src/storage/IndexedDbNotesIndexStore';
import { MemoryNotesIndexStore } from '../../../src/storage/MemoryNotesIndexStore';
import type { NotesIndexStore } from '../../../src/storage/NotesIndexStore';
import { BroadcastIndexChannel } from '../../../src/sync/IndexChannel';
import { mulberry32 } from '../../prng';
import { freshPrefix, rawOpen } from '../storage/harness';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Adapter {
  name: string;
  make: () => NotesIndexStore;
  /** The same data through a new instance (a reload). */
  again: (store: NotesIndexStore) => NotesIndexStore;
  /** Overwrites the persisted index's data as stored. */
  damage: (store: NotesIndexStore, data: string) => Promise<void>;
}

const adapters: Adapter[] = [
  {
    name: 'memory',
    make: () => new MemoryNotesIndexStore(),
    again: (store) => store,
    damage: async (store, data) => (store as MemoryNotesIndexStore).damageSearchSnapshot(data),
  },
  {
    name: 'IndexedDB',
    make: () => new IndexedDbNotesIndexStore({ name: `${freshPrefix()}notes-index` }),
    again: (store) => new IndexedDbNotesIndexStore({ name: (store as IndexedDbNotesIndexStore).name }),
    damage: async (store, data) => {
      const db = await rawOpen((store as IndexedDbNotesIndexStore).name);
      try {
        const tx = db.transaction([SNAPSHOTS_STORE], 'readwrite');
        tx.objectStore(SNAPSHOTS_STORE).put(data, 'data');
        await new Promise((resolve) => (tx.oncomplete = resolve));
      } finally {
        db.close();
      }
    },
  },
];

function makeIndex(store: NotesIndexStore, search: ConstructorParameters<typeof NotesIndex>[0]['search'] = { snapshotDelayMs: 60_000 }, channel?: string) {
  let time = 1_000;
  const index = new NotesIndex({ store, now: () => (time += 1), search, channel: channel ? new BroadcastIndexChannel(channel) : null });
  index.start();
  cleanups.push(() => index.dispose());
  return index;
}

const find = (index: NotesIndex, query: string, includeDeleted = false): Promise<ListPage> => index.list({ limit: 100, query, includeDeleted });
const ids = async (index: NotesIndex, query: string, includeDeleted = false) => (await find(index, query, includeDeleted)).notes.map((n) => n.id);

/** Prose of `chars` characters from a seeded word list (the seed is printed by the test's name). */
function prose(seed: number, chars: number): string {
  const words = 'river stone light paper window garden quiet morning letter harbor field silver winter kitchen lantern'.split(' ');
  const random = mulberry32(seed);
  let text = '';
  while (text.length < chars) text += `${words[Math.floor(random() * words.length)]} `;
  return text.slice(0, chars);
}

async function note(index: NotesIndex, text: string, title?: string): Promise<string> {
  const id = await index.create(title === undefined ? {} : { title });
  await index.updateFromContent(id, { firstLine: text.split('\n', 1)[0] ?? '', text });
  return id;
}

describe.each(adapters)('full-text search on $name storage', (adapter) => {
  it('finds a word at character 50,000 of a note, with the snippet around it (seed 19)', async () => {
    const index = makeIndex(adapter.make());
    const before = prose(19, 50_000);
    const long = await note(index, `${before} xylophone rehearsal tonight ${prose(20, 2_000)}`);
    await note(index, prose(21, 3_000));
    await index.warmSearch();
    const page = await find(index, 'xylophone');
    expect(page.notes.map((n) => n.id)).toEqual([long]);
    const snippet = page.notes[0]!.snippet!;
    expect(snippet.filter((part) => part.hit).map((part) => part.text)).toEqual(['xylophone']);
    const shown = snippet.map((part) => part.text).join('');
    expect(shown).toContain('xylophone rehearsal tonight');
    expect(shown.length).toBeLessThan(200);
    expect(snippet[0]!.text).toBe('…');
  });

  it('matches a prefix and a typo, folding case and accents; every word must match', async () => {
    const index = makeIndex(adapter.make());
    const cafe = await note(index, 'Meeting at the Café Lumière about the budget');
    const garden = await note(index, 'Planting tomatoes in the garden');
    await index.warmSearch();
    expect(await ids(index, 'lumi')).toEqual([cafe]);
    expect(await ids(index, 'tomatos')).toEqual([garden]);
    expect(await ids(index, 'budgit')).toEqual([cafe]);
    // Exact and prefix matches first: typos are only tried when nothing matches as typed.
    expect(await ids(index, 'plant')).toEqual([garden]);
    expect(await ids(index, 'cafe budget')).toEqual([cafe]);
    expect(await ids(index, 'cafe tomatoes')).toEqual([]);
    const snippet = (await find(index, 'lumi')).notes[0]!.snippet!;
    expect(snippet.filter((part) => part.hit).map((part) => part.text)).toEqual(['Lumière']);
  });

  it('ranks by relevance: a title match and a dense short note above a passing mention', async () => {
    const index = makeIndex(adapter.make());
    const mention = await note(index, `${prose(3, 3_000)} harpsichord ${prose(4, 3_000)}`);
    const dense = await note(index, 'harpsichord tuning: the harpsichord needs a harpsichord tuner');
    const titled = await note(index, 'notes from the concert hall', 'Harpsichord');
    await index.warmSearch();
    const found = await ids(index, 'harpsichord');
    expect(found).toHaveLength(3);
    expect(found.indexOf(mention)).toBe(2);
    expect(found.slice(0, 2).sort()).toEqual([dense, titled].sort());
  });

  it('follows changes: a text replaced, a note trashed, restored and purged', async () => {
    const index = makeIndex(adapter.make());
    const id = await note(index, 'a recipe for bread');
    await index.warmSearch();
    expect(await ids(index, 'bread')).toEqual([id]);
    await index.updateFromContent(id, { firstLine: 'a recipe for soup', text: 'a recipe for soup' });
    expect(await ids(index, 'bread')).toEqual([]);
    expect(await ids(index, 'soup')).toEqual([id]);
    await index.remove(id);
    expect(await ids(index, 'soup')).toEqual([]);
    expect(await ids(index, 'soup', true)).toEqual([id]);
    await index.restore(id);
    expect(await ids(index, 'soup')).toEqual([id]);
    await index.rename(id, 'Winter menu');
    expect(await ids(index, 'menu')).toEqual([id]);
    await index.purge(id);
    expect(await ids(index, 'soup', true)).toEqual([]);
    expect(await ids(index, 'menu', true)).toEqual([]);
  });

  it('finds what another tab stored once told over the IndexChannel (it catches up before the next query)', async () => {
    const store = adapter.make();
    const channel = `weft-test-${Math.random()}`;
    const here = makeIndex(store, undefined, channel);
    const there = makeIndex(adapter.again(store), undefined, channel);
    await here.warmSearch();
    expect(await ids(here, 'quokka')).toEqual([]);
    const id = await note(there, 'written in the other tab: quokka');
    await expect.poll(() => ids(here, 'quokka')).toEqual([id]);
  });

  it('persists the index: a reload loads it (no rebuild) and reads only what changed since', async () => {
    const store = adapter.make();
    const first = makeIndex(store);
    const old = await note(first, 'the persisted pelican');
    await first.warmSearch();
    expect(first.fullText.origin).toBe('rebuilt: none stored');
    expect(await first.fullText.saveSnapshot()).toBe(true);
    const later = await note(first, 'a later pelican, after the snapshot');
    await first.flush();

    const reloaded = makeIndex(adapter.again(store));
    await reloaded.warmSearch();
    expect(reloaded.fullText.origin).toBe('snapshot');
    expect((await ids(reloaded, 'pelican')).sort()).toEqual([old, later].sort());
  });

  it('rebuilds a damaged index from the stored texts, searching by the scan meanwhile', async () => {
    const store = adapter.make();
    const first = makeIndex(store);
    const notes: string[] = [];
    for (let n = 0; n < SEARCH_BATCH + 5; n++) notes.push(await note(first, n === 7 ? 'the hidden narwhal' : `filler note ${n}`));
    await first.warmSearch();
    await first.fullText.saveSnapshot();
    await first.flush();
    await adapter.damage(store, '{"documentCount": 3, "garbage": tru');

    // The rebuild is held after its first batch, so the query has to be answered meanwhile.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reloaded = makeIndex(adapter.again(store), { snapshotDelayMs: 60_000, yieldTo: () => held });
    const meanwhile = await find(reloaded, 'narwhal');
    expect(reloaded.fullText.state).toBe('rebuilding');
    expect(reloaded.fullText.origin).toBe('rebuilt: damaged');
    expect(meanwhile.notes.map((n) => n.id)).toEqual([notes[7]]);
    expect(meanwhile.notes[0]!.snippet!.find((part) => part.hit)?.text).toBe('narwhal');
    release();
    await reloaded.warmSearch();
    expect(reloaded.fullText.state).toBe('ready');
    expect(await ids(reloaded, 'narwhl')).toEqual([notes[7]]);
    expect((await find(reloaded, 'filler')).total).toBe(SEARCH_BATCH + 4);
  });

  it('a snapshot that claims changes the store never made (the store was reset) is stale and rebuilt', async () => {
    const store = adapter.make();
    const first = makeIndex(store);
    await note(first, 'one');
    await first.warmSearch();
    await first.fullText.saveSnapshot();
    const saved = (await store.searchSnapshot())!;
    const fresh = adapter.make();
    await fresh.saveSearchSnapshot({ ...saved, seq: saved.seq + 100 });
    const id = await note(makeIndex(fresh), 'two');
    const reloaded = makeIndex(adapter.again(fresh));
    await reloaded.warmSearch();
    expect(reloaded.fullText.origin).toBe('rebuilt: stale');
    expect(await ids(reloaded, 'two')).toEqual([id]);
    expect(await ids(reloaded, 'one')).toEqual([]);
  });

  it('writes a snapshot on its own after a rebuild and after many changed notes, not after one edited note', async () => {
    const store = adapter.make();
    const index = makeIndex(store, { snapshotDelayMs: 5 });
    const id = await note(index, 'first words');
    await index.warmSearch();
    await expect.poll(async () => (await store.searchSnapshot())?.seq).toBe(await store.lastChange());
    const saved = (await store.searchSnapshot())!.seq;
    await index.updateFromContent(id, { firstLine: 'first words', text: 'first words, edited' });
    await index.flush();
    expect(await ids(index, 'edited')).toEqual([id]);
    // Only one note changed: the next load catches up with it, no snapshot is written for it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await store.searchSnapshot())!.seq).toBe(saved);
    for (let n = 0; n < SNAPSHOT_MIN_CHANGES; n++) await note(index, `bulk ${n}`);
    await expect.poll(async () => (await store.searchSnapshot())?.seq).toBe(await store.lastChange());
  });
});
