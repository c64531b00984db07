/**
 * NotesIndex (src/app/NotesIndex.ts): the notes list over a NotesIndexStore, on both adapters.
 * Titles, order, paging, search, trash, share links, backups' entries; this tab's writes shown
 * at once; two tabs (two instances over one store, told of each other's changes over a real
 * BroadcastChannel) keeping each other's fields.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { NotesIndex, type IndexChange } from '../../../src/app/NotesIndex';
import { MAX_DERIVED_TITLE_CHARS, UNTITLED } from '../../../src/doc/noteEntry';
import { newNoteId, newShareSecret } from '../../../src/doc/noteId';
import { StorageError } from '../../../src/storage/DocStore';
import { IndexedDbNotesIndexStore } from '../../../src/storage/IndexedDbNotesIndexStore';
import { MemoryNotesIndexStore } from '../../../src/storage/MemoryNotesIndexStore';
import type { NotesIndexStore } from '../../../src/storage/NotesIndexStore';
import { BroadcastIndexChannel } from '../../../src/sync/IndexChannel';
import { freshPrefix } from '../storage/harness';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const adapters: Array<{ name: string; make: () => NotesIndexStore; again: (store: NotesIndexStore) => NotesIndexStore }> = [
  { name: 'memory', make: () => new MemoryNotesIndexStore(), again: (store) => store },
  {
    name: 'IndexedDB',
    make: () => new IndexedDbNotesIndexStore({ name: `${freshPrefix()}notes-index` }),
    again: (store) => new IndexedDbNotesIndexStore({ name: (store as IndexedDbNotesIndexStore).name }),
  },
];

function makeIndex(store: NotesIndexStore, options: { start?: number; channel?: string } = {}) {
  let time = options.start ?? 1_000;
  const errors: StorageError[] = [];
  const index = new NotesIndex({
    store,
    now: () => time,
    channel: options.channel ? new BroadcastIndexChannel(options.channel) : null,
    onError: (error) => errors.push(error),
  });
  index.start();
  cleanups.push(() => index.dispose());
  return { index, errors, tick: (ms = 1) => (time += ms) };
}

const ids = async (index: NotesIndex, query = '', includeDeleted = false) =>
  (await index.list({ limit: Infinity, query, includeDeleted })).notes.map((n) => n.id);

/** Resolves with the first stored change of `index` that names `id`. */
function nextStoredChange(index: NotesIndex, id: string): Promise<IndexChange> {
  return new Promise((resolve) => {
    const stop = index.observe((change) => {
      if (!change.stored || !change.ids.includes(id)) return;
      stop();
      resolve(change);
    });
  });
}

describe.each(adapters)('NotesIndex on $name storage', (adapter) => {
  it('creates notes with unique ids and secrets, listed newest first; editing moves a note up', async () => {
    const { index, tick } = makeIndex(adapter.make());
    const a = await index.create();
    tick();
    const b = await index.create();
    tick();
    const c = await index.create({ title: 'Explicit' });
    expect(await ids(index)).toEqual([c, b, a]);
    expect(await index.get(a)).toMatchObject({ title: UNTITLED, explicitTitle: null, createdAt: 1_000, updatedAt: 1_000, deletedAt: null, shared: false });
    expect((await index.get(c))!.title).toBe('Explicit');
    tick();
    await index.updateFromContent(a, { firstLine: 'A', text: 'A' });
    expect(await ids(index)).toEqual([a, c, b]);
    expect(new Set([a, b, c].map((id) => index.peek(id)!.secret)).size).toBe(3);
  });

  it('lists a page: the first `limit` notes and how many there are', async () => {
    const { index, tick } = makeIndex(adapter.make());
    const created: string[] = [];
    for (let n = 0; n < 25; n++) {
      created.push(await index.create());
      tick();
    }
    await index.remove(created[24]!);
    const page = await index.list({ limit: 10 });
    expect(page.total).toBe(24);
    expect(page.notes.map((n) => n.id)).toEqual(created.slice(14, 24).reverse());
    expect((await index.list({ limit: 10, includeDeleted: true })).total).toBe(25);
  });

  it('derives the title from the first line until one is typed, and back when it is cleared', async () => {
    const { index } = makeIndex(adapter.make());
    const id = await index.create();
    await index.updateFromContent(id, { firstLine: '  Shopping   list  ', text: 'Shopping list\nmilk' });
    expect((await index.get(id))!.title).toBe('Shopping list');
    await index.rename(id, 'Groceries ');
    expect(await index.get(id)).toMatchObject({ title: 'Groceries', explicitTitle: 'Groceries ', derivedTitle: 'Shopping list' });
    await index.rename(id, '   ');
    expect((await index.get(id))!.title).toBe('Shopping list');
    await index.rename(id, 'X');
    await index.rename(id, null);
    expect(await index.get(id)).toMatchObject({ title: 'Shopping list', explicitTitle: null });
    await index.updateFromContent(id, { firstLine: 'y'.repeat(500), text: '' });
    expect((await index.get(id))!.derivedTitle).toHaveLength(MAX_DERIVED_TITLE_CHARS);
  });

  it('shows this tab’s writes at once (peek), before they are stored; the store agrees once they are', async () => {
    const store = adapter.make();
    const { index } = makeIndex(store);
    const id = await index.create();
    const seen: IndexChange[] = [];
    index.observe((change) => seen.push(change));
    const renaming = index.rename(id, 'Typed');
    expect(index.peek(id)?.title).toBe('Typed');
    expect(seen).toEqual([{ ids: [id], stored: false }]);
    await renaming;
    expect(seen).toEqual([
      { ids: [id], stored: false },
      { ids: [id], stored: true },
    ]);
    expect((await adapter.again(store).get(id))?.explicitTitle).toBe('Typed');
  });

  it('searches title and text: every term, folding case, accents and width', async () => {
    const { index, tick } = makeIndex(adapter.make());
    const cafe = await index.create();
    await index.updateFromContent(cafe, { firstLine: 'Café notes', text: 'Café notes\nCrème brûlée recipe' });
    tick();
    const plan = await index.create({ title: 'Ｐｌａｎ' });
    await index.updateFromContent(plan, { firstLine: 'trip', text: 'trip to the CAFE' });
    tick();
    await index.create();
    expect(await ids(index, 'cafe')).toEqual([plan, cafe]);
    expect(await ids(index, 'creme BRULEE')).toEqual([cafe]);
    expect(await ids(index, 'plan')).toEqual([plan]);
    expect(await ids(index, 'cafe recipe')).toEqual([cafe]);
    expect(await ids(index, 'nothing')).toEqual([]);
    expect(await ids(index, '   ')).toHaveLength(3);
    // The text follows the note: what it no longer holds is no longer found.
    await index.updateFromContent(cafe, { firstLine: 'Café notes', text: 'Café notes only' });
    expect(await ids(index, 'recipe')).toEqual([]);
  });

  it('soft-deletes with undo, then purges for good; a late write does not bring a purged note back', async () => {
    const { index, tick } = makeIndex(adapter.make());
    const a = await index.create();
    tick(5);
    const b = await index.create();
    await index.remove(a);
    expect(await ids(index)).toEqual([b]);
    expect((await index.get(a))!.deletedAt).toBe(1_005);
    expect(await ids(index, '', true)).toContain(a);
    await index.restore(a);
    expect((await index.get(a))!.deletedAt).toBeNull();
    await index.remove(a);
    await index.purge(a);
    expect(await index.get(a)).toBeUndefined();
    expect(index.peek(a)).toBeUndefined();
    await index.updateFromContent(a, { firstLine: 'ghost', text: 'ghost' });
    await index.rename(a, 'ghost');
    expect(await index.get(a)).toBeUndefined();
    expect(await index.text(a)).toBe('');
  });

  it('adds notes from share links once, keeps an existing entry, and refuses malformed ids and secrets', async () => {
    const { index } = makeIndex(adapter.make());
    const id = newNoteId();
    const secret = newShareSecret();
    expect(await index.addShared(id, secret)).toBe(true);
    expect(index.peek(id)).toMatchObject({ id, secret, shared: true, title: UNTITLED });
    await index.rename(id, 'Theirs');
    expect(await index.addShared(id, newShareSecret())).toBe(false);
    expect(await index.get(id)).toMatchObject({ secret, title: 'Theirs' });
    await index.remove(id);
    expect(await index.addShared(id, secret)).toBe(false);
    expect((await index.get(id))!.deletedAt).toBeNull();
    await expect(index.addShared('short', secret)).rejects.toThrow(RangeError);
    await expect(index.addShared(newNoteId(), 'bad secret!')).rejects.toThrow(RangeError);
  });

  it('imports a backup’s entry whole when missing, and only its content and later edit time when listed', async () => {
    const { index } = makeIndex(adapter.make());
    const id = newNoteId();
    const secret = newShareSecret();
    const entry = { secret, title: 'From backup', createdAt: 5, updatedAt: 50, deletedAt: 60, shared: true };
    expect(await index.importEntry(id, entry, { firstLine: 'First', text: 'First line' })).toBe(true);
    expect(await index.get(id)).toMatchObject({ secret, explicitTitle: 'From backup', derivedTitle: 'First', createdAt: 5, updatedAt: 50, deletedAt: 60, shared: true });
    await index.rename(id, 'Renamed here');
    expect(await index.importEntry(id, { ...entry, updatedAt: 70 }, { firstLine: 'Newer', text: 'Newer text' })).toBe(false);
    expect(await index.get(id)).toMatchObject({ explicitTitle: 'Renamed here', derivedTitle: 'Newer', updatedAt: 70, deletedAt: 60 });
    expect(await index.text(id)).toBe('Newer text');
    expect(await index.importEntry('bad', entry, { firstLine: '', text: '' })).toBe(false);
  });

  it('two tabs: a rename in one and typing in the other both survive, and each tab hears the other', async () => {
    const channel = `weft-test-index-${freshPrefix()}`;
    const store = adapter.make();
    const one = makeIndex(store, { channel });
    const two = makeIndex(adapter.again(store), { channel });
    const id = await one.index.create();
    await two.index.get(id); // the note is open in both tabs
    const heardInTwo = nextStoredChange(two.index, id);
    await Promise.all([
      one.index.rename(id, 'Renamed in one'),
      two.index.updateFromContent(id, { firstLine: 'Typed in two', text: 'Typed in two, body', at: 2_000 }),
    ]);
    await heardInTwo;
    const expected = { title: 'Renamed in one', derivedTitle: 'Typed in two', updatedAt: 2_000 };
    expect(await one.index.get(id)).toMatchObject(expected);
    expect(two.index.peek(id)).toMatchObject(expected);
    // A purge in one tab reaches the other's open note.
    const purgedInTwo = nextStoredChange(two.index, id);
    await one.index.purge(id);
    await purgedInTwo;
    expect(two.index.peek(id)).toBeUndefined();
  });
});

describe.each(adapters)('NotesIndex capabilities (issue 17) on $name storage', (adapter) => {
  const KEY = 'B'.repeat(42) + 'A'; // 32 bytes, canonical base64url
  const view = `${KEY}.${'C'.repeat(42)}A`;

  it('stores a view-only capability from a link, upgrades it on the edit link, and never downgrades or swaps a secret', async () => {
    const store = adapter.make();
    const { index } = makeIndex(store);
    const id = newNoteId();
    expect(await index.addShared(id, view)).toBe(true);
    expect(index.peek(id)?.secret).toBe(view);
    // The view link again, or another note's view capability: kept.
    await index.addShared(id, view);
    expect(index.peek(id)?.secret).toBe(view);
    // The edit link upgrades it.
    const secret = newShareSecret();
    await index.addShared(id, secret);
    expect(index.peek(id)?.secret).toBe(secret);
    // A view link after that does not downgrade, and another edit secret for the same note does not replace it.
    await index.addShared(id, view);
    await index.addShared(id, newShareSecret());
    expect(index.peek(id)?.secret).toBe(secret);
    // As stored, too.
    const again = makeIndex(adapter.again(store)).index;
    expect((await again.get(id))?.secret).toBe(secret);
    await expect(index.addShared(id, `${KEY}.short`)).rejects.toThrow(RangeError);
  });

  it('rekey gives a note a fresh secret, stored before it resolves', async () => {
    const store = adapter.make();
    const { index } = makeIndex(store);
    const id = await index.create();
    const before = index.peek(id)!.secret;
    const after = await index.rekey(id);
    expect(after).not.toBe(before);
    expect(after).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(index.peek(id)?.secret).toBe(after);
    expect((await makeIndex(adapter.again(store)).index.get(id))?.secret).toBe(after);
    await expect(index.rekey(newNoteId())).rejects.toThrow(/no longer in the list/);
  });
});

describe('NotesIndex when storage fails', () => {
  it('reports a failed background write and shows what is stored again', async () => {
    const store = new MemoryNotesIndexStore();
    const { index, errors } = makeIndex(store);
    const id = await index.create({ title: 'Kept' });
    store.failWith('quota');
    await index.rename(id, 'Lost');
    expect(errors.map((e) => e.kind)).toEqual(['quota']);
    store.failWith(null);
    await index.flush();
    expect(index.peek(id)?.title).toBe('Kept');
    store.failWith('unavailable');
    await expect(index.create()).rejects.toThrow(StorageError);
  });
});
