/**
 * "Import Markdown" through WeftApp, stored the way notes really are
 * (IndexedDbStore and IndexedDbNotesIndexStore on fake-indexeddb): one note
 * per file, titled from its first heading or its file name, listed and
 * findable by title, the same after a restart; a bad file (not UTF-8, binary,
 * too big, not .md) or a storage failure imports nothing at all.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_MARKDOWN_BATCH_BYTES, MAX_MARKDOWN_FILES, MAX_MARKDOWN_FILE_BYTES, decodeMarkdown, titleFromFileName } from '../../../src/app/importMarkdown';
import { WeftApp, noteDocName } from '../../../src/app/session';
import { docMarkdown } from '../../../src/editor/docExport';
import { StorageError, type DocStore } from '../../../src/storage/DocStore';
import { IndexedDbNotesIndexStore } from '../../../src/storage/IndexedDbNotesIndexStore';
import type { NotesIndexStore } from '../../../src/storage/NotesIndexStore';
import { IndexedDbStore } from '../../../src/storage/IndexedDbStore';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { freshPrefix } from '../storage/harness';
import { MapPreferences } from './mapPreferences';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const corpus = (name: string) => readFileSync(join(import.meta.dirname, '../../fixtures/markdown', name), 'utf8');
const md = (name: string, content: string | Uint8Array<ArrayBuffer>) => new File([content], name, { type: 'text/markdown' });

/** A device's databases (fresh names); `start` opens the app on them, as a page load does. */
function device(wrapStore: (store: DocStore) => DocStore = (store) => store, wrapIndex: (store: NotesIndexStore) => NotesIndexStore = (store) => store) {
  const prefix = freshPrefix();
  const start = async () => {
    const docs = new IndexedDbStore({ prefix });
    const app = new WeftApp({
      store: wrapStore(docs),
      fallbackStore: () => {
        throw new Error('storage must work in this test');
      },
      transports: new LoopbackNetwork().factory,
      indexStore: wrapIndex(new IndexedDbNotesIndexStore({ name: `${prefix}notes-index` })),
      preferences: new MapPreferences(),
    });
    await app.start();
    cleanups.push(() => app.destroy());
    return { app, docs };
  };
  return { start };
}

/** The note's Markdown as stored (a fresh doc loaded from storage). */
async function storedMarkdown(store: DocStore, noteId: string): Promise<string> {
  const doc = new Y.Doc();
  const persisted = store.open(noteDocName(noteId), doc);
  await persisted.whenLoaded;
  const markdown = docMarkdown(doc);
  await persisted.destroy();
  doc.destroy();
  return markdown;
}

const titles = async (app: WeftApp) => (await app.index.list({ limit: 100 })).notes.map((n) => n.title).sort();

describe('Import Markdown', () => {
  it('makes one stored, listed note per file, titled from the first heading or the file name, and they outlive a restart', async () => {
    const machine = device();
    const { app, docs } = await machine.start();
    const result = await app.importMarkdown([md('meeting.md', corpus('everything.md')), md('Inline formats.md', corpus('inline.md'))]);
    if (!result.ok) throw new Error(result.error);
    expect(result.noteIds).toHaveLength(2);
    const [meeting, inline] = result.noteIds as [string, string];
    // Listed in the order of the files.
    expect((await app.index.list({ limit: 100 })).notes.map((n) => n.title)).toEqual(['Meeting notes', 'Inline formats']);
    expect(await storedMarkdown(docs, meeting)).toBe(corpus('everything.md').trimEnd());
    expect(await storedMarkdown(docs, inline)).toBe(corpus('inline.md').trimEnd());
    // Findable by title and by text, like any note.
    expect((await app.index.list({ limit: 10, query: 'meeting' })).notes.map((n) => n.id)).toEqual([meeting]);
    expect((await app.index.list({ limit: 10, query: 'formats' })).notes.map((n) => n.id)).toEqual([inline]);
    expect((await app.index.list({ limit: 10, query: 'struck' })).notes.map((n) => n.id)).toEqual([inline]);
    // The heading is the first line: the title stays derived and follows it; the file name is set.
    expect((await app.index.get(meeting))?.explicitTitle).toBeNull();
    expect((await app.index.get(inline))?.explicitTitle).toBe('Inline formats');
    await app.flush();
    await app.destroy();

    const again = await machine.start();
    expect(await titles(again.app)).toEqual(['Inline formats', 'Meeting notes']);
    expect(await storedMarkdown(again.docs, meeting)).toBe(corpus('everything.md').trimEnd());
  });

  it.each([
    ['not UTF-8', md('latin1.md', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a])), /“latin1\.md” is not UTF-8 text/],
    ['binary with NUL bytes', md('image.md', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x41])), /“image\.md” (is not UTF-8 text|holds NUL bytes)/],
    ['valid UTF-8 holding a NUL byte', md('nul.md', 'text\u0000more'), /“nul\.md” holds NUL bytes/],
    ['too big', md('huge.md', 'x'.repeat(MAX_MARKDOWN_FILE_BYTES + 1)), /“huge\.md” is 2 MB, more than the 2 MB a Markdown file may have/],
    ['not a .md file', md('photo.png', 'hello'), /“photo\.png” is not a Markdown file \(\.md\)/],
    ['nested deeper than a note may be', md('deep.md', Array.from({ length: 40 }, (_, i) => `${'    '.repeat(i)}- level ${i}`).join('\n')), /“deep\.md” makes a note peers would refuse/],
  ])('a file %s imports nothing, not even the good file beside it, and says which', async (_what, bad, message) => {
    const opened: string[] = [];
    const { app } = await device((store) => ({
      open: (name, doc) => (opened.push(name), store.open(name, doc)),
      remove: (name) => store.remove(name),
      mayExist: (name) => store.mayExist(name),
    })).start();
    const result = await app.importMarkdown([md('good.md', '# Good\n\ntext'), bad]);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatch(message);
      expect(result.error).toMatch(/^Nothing was imported/);
    }
    expect(await titles(app)).toEqual([]);
    // Checked before anything is written: no note's storage was even opened.
    expect(opened.filter((name) => name.startsWith('note:'))).toEqual([]);
  });

  it('names every bad file of a batch', async () => {
    const { app } = await device().start();
    const result = await app.importMarkdown([md('a.md', new Uint8Array([0xff])), md('b.md', 'fine'), md('c.md', '\u0000')]);
    expect(result.ok ? '' : result.error).toMatch(/“a\.md” is not UTF-8.*; “c\.md” holds NUL bytes/);
  });

  it('a storage failure halfway imports nothing: the notes already stored are deleted again, none is listed', async () => {
    let opens = 0;
    const removed: string[] = [];
    const machine = device((store) => ({
      open: (name, doc) => {
        const persisted = store.open(name, doc);
        if (!name.startsWith('note:') || ++opens !== 2) return persisted;
        // The second note's write fails as a full disk would.
        return {
          whenLoaded: persisted.whenLoaded,
          origin: persisted.origin,
          onError: (listener) => persisted.onError(listener),
          flush: () => Promise.reject(new StorageError('quota', 'The disk is full')),
          compact: () => persisted.compact(),
          destroy: () => persisted.destroy(),
        };
      },
      remove: (name) => (name.startsWith('note:') && removed.push(name), store.remove(name)),
      mayExist: (name) => store.mayExist(name),
    }));
    const { app, docs } = await machine.start();
    const result = await app.importMarkdown([md('one.md', '# One'), md('two.md', '# Two'), md('three.md', '# Three')]);
    expect(result).toEqual({ ok: false, error: 'Nothing was imported: the notes could not be saved (The disk is full).' });
    expect(await titles(app)).toEqual([]);
    expect(removed).toHaveLength(2);
    for (const name of removed) expect(await storedMarkdown(docs, name.slice('note:'.length))).toBe('');
  });

  it('a notes list that cannot be written lists none of them, and their stored documents are deleted again', async () => {
    const removed: string[] = [];
    const machine = device(
      (store) => ({
        open: (name, doc) => store.open(name, doc),
        remove: (name) => (name.startsWith('note:') && removed.push(name), store.remove(name)),
        mayExist: (name) => store.mayExist(name),
      }),
      (store) => ({
        get: (id) => store.get(id),
        page: (options) => store.page(options),
        count: (options) => store.count(options),
        search: (terms, options) => store.search(terms, options),
        text: (id) => store.text(id),
        getMany: (ids) => store.getMany(ids),
        changedSince: (seq, limit) => store.changedSince(seq, limit),
        lastChange: () => store.lastChange(),
        searchSnapshot: () => store.searchSnapshot(),
        saveSearchSnapshot: (snapshot) => store.saveSearchSnapshot(snapshot),
        // The import lists its notes in one write of several entries: that one fails.
        update: (writes, options) => (writes.length > 1 ? Promise.reject(new StorageError('quota', 'The list is full')) : store.update(writes, options)),
        getMarker: (key) => store.getMarker(key),
        setMarker: (key, value) => store.setMarker(key, value),
        close: () => store.close(),
      }),
    );
    const { app, docs } = await machine.start();
    const result = await app.importMarkdown([md('one.md', '# One'), md('two.md', '# Two')]);
    expect(result).toEqual({ ok: false, error: 'Nothing was imported: the notes could not be saved (The list is full).' });
    expect(await titles(app)).toEqual([]);
    expect(removed).toHaveLength(2);
    for (const name of removed) expect(await storedMarkdown(docs, name.slice('note:'.length))).toBe('');
  });

  it('takes at most MAX_MARKDOWN_BATCH_BYTES of files at once', async () => {
    const { app } = await device().start();
    const file = 'x'.repeat(MAX_MARKDOWN_FILE_BYTES);
    const count = Math.floor(MAX_MARKDOWN_BATCH_BYTES / MAX_MARKDOWN_FILE_BYTES) + 1;
    const result = await app.importMarkdown(Array.from({ length: count }, (_, i) => md(`big${i}.md`, file)));
    expect(result).toEqual({ ok: false, error: `Nothing was imported: the files chosen hold ${count * 2} MB, and at most 20 MB can be imported at once.` });
    expect(await titles(app)).toEqual([]);
  });

  it('asks for at least one file, and at most MAX_MARKDOWN_FILES at once', async () => {
    const { app } = await device().start();
    expect(await app.importMarkdown([])).toEqual({ ok: false, error: 'No file was chosen, so nothing was imported.' });
    const many = Array.from({ length: MAX_MARKDOWN_FILES + 1 }, (_, i) => md(`n${i}.md`, `note ${i}`));
    expect(await app.importMarkdown(many)).toEqual({
      ok: false,
      error: `Nothing was imported: ${MAX_MARKDOWN_FILES + 1} files were chosen, and at most ${MAX_MARKDOWN_FILES} can be imported at once.`,
    });
    expect(await titles(app)).toEqual([]);
  });
});

describe('decodeMarkdown and titleFromFileName', () => {
  it('drops a byte order mark and makes every line ending \\n', () => {
    expect(decodeMarkdown(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x0d, 0x0a, 0x62, 0x0d, 0x63]))).toEqual({ ok: true, text: 'a\nb\nc' });
  });

  it('takes the .md or .markdown ending off, whatever its case', () => {
    expect(titleFromFileName('Trip notes.md')).toBe('Trip notes');
    expect(titleFromFileName('README.MARKDOWN')).toBe('README');
    expect(titleFromFileName('.md')).toBe('.md');
  });
});
