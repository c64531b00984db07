import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { LEGACY_INDEXED_TEXT_CHARS, LegacyNotesIndex as NotesIndex } from '../../../src/doc/LegacyNotesIndex';
import { MAX_DERIVED_TITLE_CHARS, UNTITLED, normalizeForSearch } from '../../../src/doc/noteEntry';
import { isNoteId, isShareSecret, newNoteId, newShareSecret, toBase64Url } from '../../../src/doc/noteId';
import { ORIGIN_INDEX } from '../../../src/doc/origins';

/** An index over a fresh doc with a manual clock. */
function makeIndex(start = 1_000) {
  let time = start;
  const doc = new Y.Doc();
  const index = new NotesIndex(doc, { now: () => time });
  return {
    doc,
    index,
    tick: (ms = 1) => (time += ms),
  };
}

/** Exchanges all updates between two docs (both directions). */
function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

describe('noteId', () => {
  it('ids and secrets are 128-bit base64url, distinct each time', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = newNoteId();
      const secret = newShareSecret();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(isNoteId(id)).toBe(true);
      expect(isShareSecret(secret)).toBe(true);
      ids.add(id);
      ids.add(secret);
    }
    expect(ids.size).toBe(400);
    // 22 base64url characters carry 132 bits, of which 128 are random.
    expect(22 * 6).toBeGreaterThanOrEqual(128);
  });

  it('encodes like the platform base64, url alphabet, no padding', () => {
    for (const length of [0, 1, 2, 3, 16, 17, 31]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 151 + 7) & 255);
      const expected = Buffer.from(bytes).toString('base64url');
      expect(toBase64Url(bytes)).toBe(expected);
    }
  });

  it('rejects malformed ids and secrets', () => {
    const id = newNoteId();
    for (const bad of ['', id.slice(1), `${id}A`, `${id.slice(0, 21)}+`, `${id.slice(0, 21)}=`, `${id.slice(0, 21)}B`]) {
      expect(isNoteId(bad)).toBe(false);
    }
  });
});

describe('NotesIndex', () => {
  it('create() makes an entry with id, secret and timestamps; list() sorts by last edit', () => {
    const { index, tick } = makeIndex();
    const a = index.create();
    tick();
    const b = index.create();
    tick();
    const c = index.create({ title: 'Explicit' });
    expect(index.list().map((n) => n.id)).toEqual([c, b, a]);
    const entry = index.get(a)!;
    expect(isNoteId(entry.id)).toBe(true);
    expect(isShareSecret(entry.secret)).toBe(true);
    expect(entry).toMatchObject({ title: UNTITLED, explicitTitle: null, derivedTitle: '', deletedAt: null, shared: false });
    expect(index.get(c)!.title).toBe('Explicit');
    tick();
    index.updateFromContent(a, { firstLine: 'A', text: 'A' });
    expect(index.list().map((n) => n.id)).toEqual([a, c, b]);
  });

  it('every secret differs from every other', () => {
    const { index } = makeIndex();
    const secrets = new Set(Array.from({ length: 50 }, () => index.get(index.create())!.secret));
    expect(secrets.size).toBe(50);
  });

  it('title = explicit ?? derived ?? "Untitled"; rename(null) goes back to the derived title', () => {
    const { index } = makeIndex();
    const id = index.create();
    expect(index.get(id)!.title).toBe(UNTITLED);
    index.updateFromContent(id, { firstLine: '  Shopping   list  ', text: 'Shopping list\nmilk' });
    expect(index.get(id)!.title).toBe('Shopping list');
    index.rename(id, 'Groceries ');
    expect(index.get(id)).toMatchObject({ title: 'Groceries', explicitTitle: 'Groceries ', derivedTitle: 'Shopping list' });
    index.rename(id, '   ');
    expect(index.get(id)!.title).toBe('Shopping list');
    index.rename(id, 'X');
    index.rename(id, null);
    expect(index.get(id)).toMatchObject({ title: 'Shopping list', explicitTitle: null });
  });

  it('caps derived titles and indexed text without splitting characters', () => {
    const { index } = makeIndex();
    const id = index.create();
    const long = '😀'.repeat(LEGACY_INDEXED_TEXT_CHARS);
    index.updateFromContent(id, { firstLine: long, text: long });
    const entry = index.get(id)!;
    expect(entry.derivedTitle.length).toBeLessThanOrEqual(MAX_DERIVED_TITLE_CHARS);
    expect(entry.derivedTitle).toMatch(/^(😀)+$/u);
    const text = (index.doc.getMap('notes').get(id) as Y.Map<unknown>).get('text') as string;
    expect(text.length).toBeLessThanOrEqual(LEGACY_INDEXED_TEXT_CHARS);
    expect(text).toMatch(/^(😀)+$/u);
  });

  it('updateFromContent never moves updatedAt back and skips unchanged fields', () => {
    const { doc, index } = makeIndex();
    const id = index.create({ at: 100 });
    index.updateFromContent(id, { firstLine: 'x', text: 'x', at: 200 });
    index.updateFromContent(id, { firstLine: 'x', text: 'x', at: 150 });
    expect(index.get(id)!.updatedAt).toBe(200);
    let updates = 0;
    doc.on('update', () => updates++);
    index.updateFromContent(id, { firstLine: 'x', text: 'x', at: 200 });
    expect(updates).toBe(0);
  });

  it('search filters by title and text, case-, accent- and width-insensitively, all terms must match', () => {
    const { index, tick } = makeIndex();
    const cafe = index.create();
    index.updateFromContent(cafe, { firstLine: 'Café notes', text: 'Café notes\nCrème brûlée recipe' });
    tick();
    const plan = index.create({ title: 'Ｐｌａｎ' });
    index.updateFromContent(plan, { firstLine: 'trip', text: 'trip to the CAFE' });
    tick();
    index.create();
    expect(index.list({ query: 'cafe' }).map((n) => n.id)).toEqual([plan, cafe]);
    expect(index.list({ query: 'creme BRULEE' }).map((n) => n.id)).toEqual([cafe]);
    expect(index.list({ query: 'plan' }).map((n) => n.id)).toEqual([plan]);
    expect(index.list({ query: 'cafe recipe' }).map((n) => n.id)).toEqual([cafe]);
    expect(index.list({ query: 'nothing' })).toEqual([]);
    expect(index.list({ query: '   ' })).toHaveLength(3);
    expect(normalizeForSearch('ÉCOLE ﬁne')).toBe('ecole fine');
  });

  it('remove() hides a note until restore(); purge() deletes the entry for good', () => {
    const { index, tick } = makeIndex();
    const a = index.create();
    tick();
    const b = index.create();
    tick(5);
    index.remove(a);
    expect(index.list().map((n) => n.id)).toEqual([b]);
    expect(index.get(a)!.deletedAt).toBe(1_006);
    expect(index.list({ includeDeleted: true }).map((n) => n.id)).toContain(a);
    index.restore(a);
    expect(index.get(a)!.deletedAt).toBeNull();
    expect(index.list().map((n) => n.id)).toEqual([b, a]);
    index.remove(a);
    index.purge(a);
    expect(index.get(a)).toBeUndefined();
    expect(index.list({ includeDeleted: true }).map((n) => n.id)).toEqual([b]);
    // A late flush from a closing editor must not resurrect it.
    index.updateFromContent(a, { firstLine: 'ghost', text: 'ghost' });
    index.rename(a, 'ghost');
    expect(index.get(a)).toBeUndefined();
  });

  it('addShared() adds a missing entry, keeps an existing one, and validates its input', () => {
    const { index } = makeIndex();
    const id = newNoteId();
    const secret = newShareSecret();
    expect(index.addShared(id, secret)).toBe(true);
    expect(index.get(id)).toMatchObject({ id, secret, shared: true, title: UNTITLED });
    index.rename(id, 'Theirs');
    expect(index.addShared(id, newShareSecret())).toBe(false);
    expect(index.get(id)).toMatchObject({ secret, title: 'Theirs' });
    index.remove(id);
    index.addShared(id, secret);
    expect(index.get(id)!.deletedAt).toBeNull();
    const own = index.create();
    const ownSecret = index.get(own)!.secret;
    expect(index.addShared(own, secret)).toBe(false);
    expect(index.get(own)!.secret).toBe(ownSecret);
    expect(() => index.addShared('short', secret)).toThrow(RangeError);
    expect(() => index.addShared(newNoteId(), 'bad secret!')).toThrow(RangeError);
  });

  it('tags every write with ORIGIN_INDEX and notifies observers until disposed', () => {
    const { doc, index } = makeIndex();
    const origins: unknown[] = [];
    doc.on('afterTransaction', (tr: Y.Transaction) => origins.push(tr.origin));
    let calls = 0;
    const dispose = index.observe(() => calls++);
    const id = index.create();
    index.rename(id, 'T');
    index.updateFromContent(id, { firstLine: 'x', text: 'x' });
    index.remove(id);
    index.restore(id);
    index.purge(id);
    expect(calls).toBe(6);
    expect(origins.every((o) => o === ORIGIN_INDEX)).toBe(true);
    dispose();
    index.create();
    expect(calls).toBe(6);
  });

  it('two tabs editing the index concurrently converge without losing either side', () => {
    const one = makeIndex(1_000);
    const two = makeIndex(1_000);
    const shared = one.index.create();
    sync(one.doc, two.doc);

    // Offline, both tabs change different fields of the same note and add notes of their own.
    one.index.rename(shared, 'Renamed in one');
    two.tick(10);
    two.index.updateFromContent(shared, { firstLine: 'Typed in two', text: 'Typed in two, body' });
    const onlyOne = one.index.create();
    const onlyTwo = two.index.create();
    const removed = one.index.create();
    sync(one.doc, two.doc);
    two.index.remove(removed);
    one.index.updateFromContent(removed, { firstLine: 'edited while deleted', text: '' });
    // The same share link opened in both tabs.
    const linkId = newNoteId();
    const linkSecret = newShareSecret();
    one.index.addShared(linkId, linkSecret);
    two.index.addShared(linkId, linkSecret);
    sync(one.doc, two.doc);

    const listOne = one.index.list({ includeDeleted: true });
    expect(listOne).toEqual(two.index.list({ includeDeleted: true }));
    expect(one.index.get(shared)).toMatchObject({
      title: 'Renamed in one',
      derivedTitle: 'Typed in two',
      updatedAt: 1_010,
    });
    expect(one.index.list().map((n) => n.id)).toEqual(expect.arrayContaining([shared, onlyOne, onlyTwo, linkId]));
    expect(one.index.get(removed)).toMatchObject({ derivedTitle: 'edited while deleted' });
    expect(one.index.get(removed)!.deletedAt).not.toBeNull();
    expect(one.index.get(linkId)!.secret).toBe(linkSecret);
  });

  it('a purge in one tab and an edit in the other: the note stays purged', () => {
    const one = makeIndex();
    const two = makeIndex();
    const id = one.index.create();
    sync(one.doc, two.doc);
    one.index.purge(id);
    two.index.rename(id, 'late rename');
    sync(one.doc, two.doc);
    expect(one.index.get(id)).toBeUndefined();
    expect(two.index.get(id)).toBeUndefined();
  });

  it('reads entries written by another version defensively', () => {
    const { doc, index } = makeIndex();
    const entry = new Y.Map<unknown>();
    entry.set('title', 42);
    entry.set('updatedAt', 'yesterday');
    doc.getMap('notes').set('weird', entry);
    doc.getMap('notes').set('not-a-map', 'oops' as never);
    expect(index.list()).toEqual([
      expect.objectContaining({ id: 'weird', title: UNTITLED, updatedAt: 0, secret: '' }),
    ]);
  });
});
