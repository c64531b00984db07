/**
 * Full backup and restore through WeftApp with MemoryStore: a round trip to a
 * fresh device, idempotent import, merging with newer edits, malformed files
 * changing nothing, notes purged here coming back, open notes updated live.
 */
import { readFileSync } from 'node:fs';
import { $createParagraphNode, $createTextNode, $getRoot, type LexicalEditor } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { WeftApp, noteDocName } from '../../../src/app/session';
import { MapPreferences } from './mapPreferences';
import { noteText } from '../../../src/doc/noteText';
import { MemoryStore } from '../../../src/storage/memory';
import { StorageError, type DocStore, type PersistedDoc } from '../../../src/storage/DocStore';
import { fixtureBackup, fixtureNote } from '../../backupFixture';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { createTestEditor, flush } from '../collab/harness';
import { replaceLines } from '../editor/replaceLines';
import { eventually } from '../waitFor';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function device(wrap: (store: MemoryStore) => DocStore = (store) => store) {
  const store = new MemoryStore();
  const app = new WeftApp({
    store: wrap(store),
    fallbackStore: () => new MemoryStore(),
    transports: new LoopbackNetwork().factory,
    preferences: new MapPreferences(),
  });
  await app.start();
  cleanups.push(() => app.destroy());
  return { app, store };
}

async function write(app: WeftApp, noteId: string, lines: string[]): Promise<void> {
  const session = app.openNote(noteId);
  const editor = createTestEditor();
  const dispose = session.bind(editor);
  await eventually(() => expect(session.state.get().phase).toBe('ready'));
  replaceLines(editor, lines);
  await app.flush();
  dispose();
}

/** A note's text as stored. */
async function storedText(store: MemoryStore, noteId: string): Promise<string> {
  const doc = new Y.Doc();
  const persisted = store.open(noteDocName(noteId), doc);
  await persisted.whenLoaded;
  const text = noteText(doc);
  await persisted.destroy();
  doc.destroy();
  return text;
}

/** Counts the notes-list changes stored from now on (a write that changes nothing is none); call to stop and read. */
function storedListChanges(app: WeftApp): () => number {
  let changes = 0;
  const stop = app.index.observe((change) => {
    if (change.stored) changes++;
  });
  return () => {
    stop();
    return changes;
  };
}

const titles = async (app: WeftApp) => (await app.index.list({ limit: Infinity })).notes.map((n) => n.title).sort();

describe('backup and restore', () => {
  it('round trip: every note and the list arrive on a fresh device', async () => {
    const here = await device();
    const one = await here.app.index.create();
    const two = await here.app.index.create({ title: 'Named' });
    await write(here.app, one, ['First note', 'with a body']);
    await write(here.app, two, ['Second note']);
    const file = await here.app.backup();

    const there = await device();
    expect(await there.app.restoreBackup(file)).toEqual({ ok: true, notes: 2 });
    expect(await titles(there.app)).toEqual(['First note', 'Named']);
    expect(await storedText(there.store, one)).toBe('First note\nwith a body');
    expect(await storedText(there.store, two)).toBe('Second note');
    expect((await there.app.index.get(two))?.secret).toBe((await here.app.index.get(two))?.secret);
  });

  it('importing the same backup twice changes nothing', async () => {
    const here = await device();
    const id = await here.app.index.create();
    await write(here.app, id, ['Only once']);
    const file = await here.app.backup();
    const there = await device();
    await there.app.restoreBackup(file);
    const rows = there.store.rows(noteDocName(id));
    const listWrites = storedListChanges(there.app);
    await there.app.restoreBackup(file);
    expect(there.store.rows(noteDocName(id))).toBe(rows);
    expect(listWrites()).toBe(0);
    expect(await storedText(there.store, id)).toBe('Only once');
    // And restoring onto the device that made it is a no-op too.
    const before = here.store.rows(noteDocName(id));
    await here.app.restoreBackup(file);
    expect(here.store.rows(noteDocName(id))).toBe(before);
  });

  it('importing into a device with newer edits keeps both', async () => {
    const here = await device();
    const id = await here.app.index.create();
    await write(here.app, id, ['shared start']);
    const file = await here.app.backup();
    const there = await device();
    await there.app.restoreBackup(file);
    // Both devices go on editing after the backup...
    await write(here.app, id, ['shared start', 'added here']);
    const newer = await here.app.backup();
    const later = await there.app.index.create();
    await write(there.app, later, ['written there only']);
    await there.app.index.rename(id, 'Renamed there');
    // ...then the newer backup is imported there: the rename, the new note and the new line all survive.
    expect((await there.app.restoreBackup(newer)).ok).toBe(true);
    expect(await storedText(there.store, id)).toBe('shared start\nadded here');
    expect(await storedText(there.store, later)).toBe('written there only');
    expect((await there.app.index.get(id))?.title).toBe('Renamed there');
  });

  it('a malformed or foreign file is refused and changes nothing', async () => {
    const { app, store } = await device();
    const id = await app.index.create();
    await write(app, id, ['keep me']);
    const listWrites = storedListChanges(app);
    const rows = store.rows(noteDocName(id));
    for (const bad of ['{"format":"other"}', 'garbage', JSON.stringify({ format: 'weft-backup', version: 1 })]) {
      const result = await app.restoreBackup(new Blob([bad]));
      expect(result.ok).toBe(false);
    }
    expect(listWrites()).toBe(0);
    expect(store.rows(noteDocName(id))).toBe(rows);
  });

  it('a note deleted for good on this device comes back from a backup', async () => {
    const { app } = await device();
    const id = await app.index.create({ title: 'Lost and found' });
    await write(app, id, ['body']);
    const file = await app.backup();
    await app.index.remove(id);
    await app.purgeNote(id);
    expect((await app.index.get(id))).toBeUndefined();
    await app.restoreBackup(file);
    expect((await app.index.get(id))).toMatchObject({ title: 'Lost and found', deletedAt: null });
  });

  it('an open note shows the imported content at once', async () => {
    const here = await device();
    const id = await here.app.index.create();
    await write(here.app, id, ['from the backup']);
    const file = await here.app.backup();

    const there = await device();
    await there.app.index.addShared(id, (await here.app.index.get(id))!.secret);
    const session = there.app.openNote(id);
    const editor: LexicalEditor = createTestEditor();
    const dispose = session.bind(editor);
    cleanups.push(dispose);
    await eventually(() => expect(session.state.get().phase).toBe('ready'));
    await there.app.restoreBackup(file);
    flush(editor);
    expect(editor.read(() => $getRoot().getTextContent())).toBe('from the backup');
  });

  it('the backup includes edits of an open note', async () => {
    const { app } = await device();
    const id = await app.index.create();
    const session = app.openNote(id);
    const editor = createTestEditor();
    cleanups.push(session.bind(editor));
    await eventually(() => expect(session.state.get().phase).toBe('ready'));
    editor.update(() => $getRoot().clear().append($createParagraphNode().append($createTextNode('typing now'))), {
      discrete: true,
    });
    const there = await device();
    await there.app.restoreBackup(await app.backup());
    expect(await storedText(there.store, id)).toBe('typing now');
  });
});

describe('restoring note by note (issue 21)', () => {
  const options = { seed: 21, chars: 400 };
  const NOTES = 30;

  it('restores a version 1 file made before issue 21: titles, trash and text', async () => {
    const { app, store } = await device();
    const file = new Blob([readFileSync(new URL('../../fixtures/weft-backup-v1.json', import.meta.url))]);
    expect(await app.restoreBackup(file)).toEqual({ ok: true, notes: 3 });
    expect(await titles(app)).toEqual(['Groceries', 'Trip plan']);
    const trashed = (await app.index.all()).find((n) => n.deletedAt !== null);
    expect(trashed?.title).toBe('Old idea');
    const trip = (await app.index.list({ limit: Infinity })).notes.find((n) => n.title === 'Trip plan')!;
    expect(await storedText(store, trip.id)).toBe('Day one: the coast\nDay two: the hills');
    // Stored for search: the whole text, whitespace collapsed (folded when searched).
    expect(await app.index.text(trip.id)).toBe('Day one: the coast Day two: the hills');
    // And once more: nothing changes.
    const listWrites = storedListChanges(app);
    expect(await app.restoreBackup(file)).toEqual({ ok: true, notes: 3 });
    expect(listWrites()).toBe(0);
  });

  it('reports progress: every note checked, then every note restored', async () => {
    const { app } = await device();
    const seen: string[] = [];
    await app.restoreBackup(fixtureBackup(NOTES, options), { onProgress: (p) => seen.push(`${p.phase} ${p.done}/${p.total}`) });
    expect(seen[0]).toBe(`checking 0/${NOTES}`);
    expect(seen).toContain(`checking ${NOTES}/${NOTES}`);
    expect(seen.indexOf(`checking ${NOTES}/${NOTES}`)).toBeLessThan(seen.indexOf(`restoring 0/${NOTES}`));
    expect(seen.at(-1)).toBe(`restoring ${NOTES}/${NOTES}`);
  });

  it('a cancelled restore keeps the notes it restored whole, leaves the rest untouched, and says so; restoring again finishes', async () => {
    const { app, store } = await device();
    const file = fixtureBackup(NOTES, options);
    const controller = new AbortController();
    const result = await app.restoreBackup(file, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'restoring' && p.done === 12) controller.abort();
      },
    });
    expect(result).toMatchObject({ ok: false, restored: 12 });
    if (!result.ok) {
      expect(result.error).toBe(
        `Restore cancelled: 12 of ${NOTES} notes were restored (the first 12 in the file), each in full; ` +
          `the other ${NOTES - 12} notes were not changed. Restoring the same file again redoes only what is missing.`,
      );
    }
    for (let n = 0; n < NOTES; n++) {
      const want = fixtureNote(n, options);
      const listed = (await app.index.get(want.id));
      if (n < 12) {
        expect(listed?.createdAt).toBe(want.entry.createdAt);
        expect((await storedText(store, want.id)).length).toBeGreaterThan(300);
      } else {
        expect(listed).toBeUndefined();
        expect(store.rows(noteDocName(want.id))).toBe(0);
      }
    }
    const rows = store.rows(noteDocName(fixtureNote(0, options).id));
    expect(await app.restoreBackup(file)).toEqual({ ok: true, notes: NOTES });
    expect((await app.index.all())).toHaveLength(NOTES);
    // The notes restored before the cancel were not written again.
    expect(store.rows(noteDocName(fixtureNote(0, options).id))).toBe(rows);
  });

  it('cancelled while checking, nothing is restored', async () => {
    const { app } = await device();
    const controller = new AbortController();
    const result = await app.restoreBackup(fixtureBackup(NOTES, options), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'checking' && p.done === 5) controller.abort();
      },
    });
    expect(result).toEqual({ ok: false, restored: 0, error: 'Restore cancelled; nothing was restored.' });
    expect((await app.index.all())).toHaveLength(0);
  });

  it('a note storage refuses stops the restore there, and the message names it', async () => {
    const failing = fixtureNote(7, options);
    const { app, store } = await device(
      (inner): DocStore => ({
        open: (name, doc) =>
          name === noteDocName(failing.id) ? refusingDoc(new StorageError('quota', 'the disk is full')) : inner.open(name, doc),
        remove: (name) => inner.remove(name),
        mayExist: (name) => inner.mayExist(name),
      }),
    );
    const result = await app.restoreBackup(fixtureBackup(NOTES, options));
    expect(result).toMatchObject({ ok: false, restored: 7 });
    if (!result.ok) {
      expect(result.error).toBe(
        `The backup could not be restored completely: 7 of ${NOTES} notes were restored, each in full; ` +
          `“${failing.entry.derivedTitle}” could not be (the disk is full), so it and the ${NOTES - 8} notes after it in the file were not changed. ` +
          'Restoring the same file again redoes only what is missing.',
      );
    }
    expect(app.index.get(fixtureNote(6, options).id)).toBeDefined();
    expect((await app.index.get(failing.id))).toBeUndefined();
    expect(store.rows(noteDocName(fixtureNote(8, options).id))).toBe(0);
  });

  it('a damaged file changes nothing, even when its first notes are fine', async () => {
    const { app } = await device();
    const whole = await fixtureBackup(5, options).text();
    const cut = whole.slice(0, whole.lastIndexOf('{"end"'));
    const result = await app.restoreBackup(new Blob([cut]));
    expect(result).toMatchObject({ ok: false, restored: 0 });
    if (!result.ok) expect(result.error).toMatch(/incomplete .* nothing was restored/);
    expect((await app.index.all())).toHaveLength(0);
  });

  it('a backup is built from parts of a few megabytes, never one string of the whole file', async () => {
    const { app } = await device();
    const big = { seed: 21, chars: 5_000 };
    await app.restoreBackup(fixtureBackup(1_000, big));
    // Every string handed to a Blob, and the largest batch of them.
    const batches: number[] = [];
    const RealBlob = globalThis.Blob;
    class CountingBlob extends RealBlob {
      constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
        super(parts, options);
        const chars = (parts ?? []).reduce((sum, part) => sum + (typeof part === 'string' ? part.length : 0), 0);
        if (chars > 0) batches.push(chars);
      }
    }
    globalThis.Blob = CountingBlob;
    let file: Blob;
    try {
      file = await app.backup();
    } finally {
      globalThis.Blob = RealBlob;
    }
    expect(file.size).toBeGreaterThan(7_000_000);
    expect(batches.length).toBeGreaterThan(1);
    // 4 MiB of lines, plus the one line that crossed the mark.
    expect(Math.max(...batches)).toBeLessThan(4 * 1024 * 1024 + 20_000);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(file.size);
  });

  it('a cancelled backup rejects with an AbortError', async () => {
    const { app } = await device();
    await app.restoreBackup(fixtureBackup(NOTES, options));
    const controller = new AbortController();
    await expect(
      app.backup({
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === 3) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});

/** A stored doc that cannot be opened. */
function refusingDoc(error: StorageError): PersistedDoc {
  const whenLoaded = Promise.reject(error);
  whenLoaded.catch(() => undefined);
  return {
    whenLoaded,
    origin: 'refusing',
    onError: () => () => undefined,
    flush: () => Promise.resolve(),
    compact: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
}
