/**
 * LegacyNotesIndex (the Y.Doc list of before issue 21, still the layout of version 1 backups and
 * the migration's source) at its edges: what is stored per entry (field by field), ties in the list order,
 * titles cut without splitting a character, no-op calls that write nothing, reinstating an entry
 * from a backup, and the search cache following the text. (Written from the mutants StrykerJS
 * found surviving; LegacyNotesIndex.test.ts covers the behaviour in the large.)
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { NOTES_MAP_NAME, LegacyNotesIndex as NotesIndex } from '../../../src/doc/LegacyNotesIndex';
import { MAX_DERIVED_TITLE_CHARS, MAX_TITLE_CHARS, UNTITLED, type NoteSummary } from '../../../src/doc/noteEntry';
import { newNoteId, newShareSecret } from '../../../src/doc/noteId';

function makeIndex(start = 1_000) {
  let time = start;
  const doc = new Y.Doc();
  const index = new NotesIndex(doc, { now: () => time });
  let writes = 0;
  doc.on('update', () => writes++);
  return {
    doc,
    index,
    set: (at: number) => (time = at),
    writes: () => writes,
    raw: (id: string) => (doc.getMap(NOTES_MAP_NAME).get(id) as Y.Map<unknown>).toJSON(),
  };
}

const EMOJI = '\u{1F600}'; // two UTF-16 units

describe('what an entry stores', () => {
  it('create: id, secret, empty title and text, both times; an explicit title only when not blank', () => {
    const { index, raw } = makeIndex(5);
    const plain = index.create();
    expect(raw(plain)).toEqual({ id: plain, secret: expect.any(String), derivedTitle: '', text: '', createdAt: 5, updatedAt: 5 });
    const titled = index.create({ title: 'Named', at: 9 });
    expect(raw(titled)).toEqual({ id: titled, secret: expect.any(String), derivedTitle: '', text: '', createdAt: 9, updatedAt: 9, title: 'Named' });
    expect(raw(index.create({ title: '   ' }))).not.toHaveProperty('title');
    expect(raw(index.create({ title: 'x'.repeat(MAX_TITLE_CHARS + 5) })).title).toBe('x'.repeat(MAX_TITLE_CHARS));
  });

  it('addShared: the same fields plus shared, with the given secret; malformed input throws a named RangeError', () => {
    const { index, raw } = makeIndex(7);
    const id = newNoteId();
    const secret = newShareSecret();
    expect(index.addShared(id, secret)).toBe(true);
    expect(raw(id)).toEqual({ id, secret, derivedTitle: '', text: '', createdAt: 7, updatedAt: 7, shared: true });
    expect(() => index.addShared('bad', secret)).toThrow(new RangeError('addShared: malformed note id'));
    expect(() => index.addShared(newNoteId(), 'bad')).toThrow(new RangeError('addShared: malformed share secret'));
  });

  it('reads entries defensively: a blank stored title is no title, a missing creation time is 0', () => {
    const { doc, index } = makeIndex();
    const id = newNoteId();
    const entry = new Y.Map<unknown>();
    doc.getMap(NOTES_MAP_NAME).set(id, entry);
    entry.set('title', '   ');
    entry.set('derivedTitle', 'From the text');
    expect(index.get(id)).toMatchObject({ explicitTitle: null, title: 'From the text', createdAt: 0, updatedAt: 0, secret: '', shared: false });
    entry.delete('derivedTitle');
    expect(index.get(id)?.title).toBe(UNTITLED);
  });
});

describe('reinstate (an entry back from a backup)', () => {
  const summary = (over: Partial<NoteSummary> = {}): NoteSummary => ({
    id: newNoteId(),
    title: 'T',
    explicitTitle: 'Kept title',
    derivedTitle: 'Derived',
    secret: newShareSecret(),
    createdAt: 3,
    updatedAt: 4,
    deletedAt: 99,
    shared: true,
    ...over,
  });

  it('adds the summary’s fields, out of the trash, with no text', () => {
    const { index, raw } = makeIndex();
    const s = summary();
    expect(index.reinstate(s)).toBe(true);
    expect(raw(s.id)).toEqual({ id: s.id, secret: s.secret, derivedTitle: 'Derived', text: '', createdAt: 3, updatedAt: 4, title: 'Kept title', shared: true });
    expect(index.list().map((n) => n.id)).toEqual([s.id]);
    expect(index.text(s.id)).toBe('');
  });

  it('leaves out a blank title and an unshared flag, and caps the derived title', () => {
    const { index, raw } = makeIndex();
    const s = summary({ explicitTitle: ' ', shared: false, derivedTitle: 'd'.repeat(MAX_DERIVED_TITLE_CHARS + 3) });
    expect(index.reinstate(s)).toBe(true);
    expect(raw(s.id)).toEqual({ id: s.id, secret: s.secret, derivedTitle: 'd'.repeat(MAX_DERIVED_TITLE_CHARS), text: '', createdAt: 3, updatedAt: 4 });
    const none = summary({ explicitTitle: null });
    index.reinstate(none);
    expect(raw(none.id)).not.toHaveProperty('title');
  });

  it('does nothing for a listed id, a malformed id or a malformed secret', () => {
    const { index, writes } = makeIndex();
    const s = summary();
    index.reinstate(s);
    const before = writes();
    expect(index.reinstate({ ...s, derivedTitle: 'other' })).toBe(false);
    expect(index.reinstate(summary({ id: 'bad' }))).toBe(false);
    expect(index.reinstate(summary({ secret: 'bad' }))).toBe(false);
    expect(writes()).toBe(before);
    expect(index.get(s.id)?.derivedTitle).toBe('Derived');
  });
});

describe('list order', () => {
  it('newest edit first; on a tie the newer note first; on a full tie by id', () => {
    const { index } = makeIndex();
    const ids = [newNoteId(), newNoteId(), newNoteId(), newNoteId()].sort();
    const [a, b, c, d] = ids as [string, string, string, string];
    const s = newShareSecret();
    index.addShared(c, s, 10);
    index.addShared(a, s, 10);
    index.addShared(b, s, 20);
    index.addShared(d, s, 5);
    index.updateFromContent(d, { firstLine: '', text: '', at: 10 }); // updated 10, created 5
    expect(index.list().map((n) => n.id)).toEqual([b, a, c, d]);
  });
});

describe('cutting titles and text', () => {
  it('never splits a surrogate pair, and leaves a title of exactly the limit alone', () => {
    const { index } = makeIndex();
    const id = index.create();
    const exact = 'e'.repeat(MAX_DERIVED_TITLE_CHARS - 2) + EMOJI;
    index.updateFromContent(id, { firstLine: exact, text: '' });
    expect(index.get(id)?.derivedTitle).toBe(exact);
    // The cut falls between the two halves of the emoji: the half is dropped.
    index.updateFromContent(id, { firstLine: 'a'.repeat(MAX_DERIVED_TITLE_CHARS - 1) + EMOJI, text: '' });
    expect(index.get(id)?.derivedTitle).toBe('a'.repeat(MAX_DERIVED_TITLE_CHARS - 1));
    // The cut falls right after the emoji: it stays whole.
    index.updateFromContent(id, { firstLine: 'b'.repeat(MAX_DERIVED_TITLE_CHARS - 2) + EMOJI + 'tail', text: '' });
    expect(index.get(id)?.derivedTitle).toBe('b'.repeat(MAX_DERIVED_TITLE_CHARS - 2) + EMOJI);
  });
});

describe('calls that change nothing write nothing', () => {
  it('rename to the same title, clearing an absent title, removing twice, purging an unknown id', () => {
    const { index, writes } = makeIndex();
    const id = index.create({ title: 'Same' });
    const other = index.create();
    const before = writes();
    index.rename(id, 'Same');
    index.rename(other, null);
    expect(writes()).toBe(before);
    index.remove(id, 50);
    const removed = writes();
    index.remove(id, 60);
    index.purge(newNoteId());
    expect(writes()).toBe(removed);
    expect(index.get(id)?.deletedAt).toBe(50);
  });
});

describe('search follows the text', () => {
  it('a cached search result is not reused once the text changed', () => {
    const { index } = makeIndex();
    const id = index.create();
    index.updateFromContent(id, { firstLine: 'Trip', text: 'Trip alpha' });
    expect(index.list({ query: 'alpha' }).map((n) => n.id)).toEqual([id]);
    expect(index.text(id)).toBe('Trip alpha');
    index.updateFromContent(id, { firstLine: 'Trip', text: 'Trip beta' });
    expect(index.list({ query: 'alpha' })).toEqual([]);
    expect(index.list({ query: 'beta' }).map((n) => n.id)).toEqual([id]);
    expect(index.text(newNoteId())).toBe('');
  });
});
