/**
 * Full backup and restore through WeftApp with MemoryStore: a round trip to a
 * fresh device, idempotent import, merging with newer edits, malformed files
 * changing nothing, notes purged here coming back, open notes updated live.
 */
import { $createParagraphNode, $createTextNode, $getRoot, type LexicalEditor } from 'lexical';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { WeftApp, noteDocName } from '../../../src/app/session';
import { MapPreferences } from './mapPreferences';
import { noteText } from '../../../src/doc/noteText';
import { MemoryStore } from '../../../src/storage/memory';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { createTestEditor, flush } from '../collab/harness';
import { replaceLines } from '../editor/replaceLines';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function device() {
  const store = new MemoryStore();
  const app = new WeftApp({
    store,
    fallbackStore: () => new MemoryStore(),
    transports: new LoopbackNetwork().factory,
    crossTabIndex: null,
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
  await vi.waitFor(() => expect(session.state.get().phase).toBe('ready'));
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

const titles = (app: WeftApp) => app.index.list().map((n) => n.title).sort();

describe('backup and restore', () => {
  it('round trip: every note and the list arrive on a fresh device', async () => {
    const here = await device();
    const one = here.app.index.create();
    const two = here.app.index.create({ title: 'Named' });
    await write(here.app, one, ['First note', 'with a body']);
    await write(here.app, two, ['Second note']);
    const file = await here.app.backup();

    const there = await device();
    expect(await there.app.restoreBackup(file)).toEqual({ ok: true, notes: 2 });
    expect(titles(there.app)).toEqual(['First note', 'Named']);
    expect(await storedText(there.store, one)).toBe('First note\nwith a body');
    expect(await storedText(there.store, two)).toBe('Second note');
    expect(there.app.index.get(two)?.secret).toBe(here.app.index.get(two)?.secret);
  });

  it('importing the same backup twice changes nothing', async () => {
    const here = await device();
    const id = here.app.index.create();
    await write(here.app, id, ['Only once']);
    const file = await here.app.backup();
    const there = await device();
    await there.app.restoreBackup(file);
    const rows = there.store.rows(noteDocName(id));
    const index = Y.encodeStateAsUpdate(there.app.indexDoc);
    await there.app.restoreBackup(file);
    expect(there.store.rows(noteDocName(id))).toBe(rows);
    expect(Y.encodeStateAsUpdate(there.app.indexDoc)).toEqual(index);
    expect(await storedText(there.store, id)).toBe('Only once');
    // And restoring onto the device that made it is a no-op too.
    const before = here.store.rows(noteDocName(id));
    await here.app.restoreBackup(file);
    expect(here.store.rows(noteDocName(id))).toBe(before);
  });

  it('importing into a device with newer edits keeps both', async () => {
    const here = await device();
    const id = here.app.index.create();
    await write(here.app, id, ['shared start']);
    const file = await here.app.backup();
    const there = await device();
    await there.app.restoreBackup(file);
    // Both devices go on editing after the backup...
    await write(here.app, id, ['shared start', 'added here']);
    const newer = await here.app.backup();
    const later = there.app.index.create();
    await write(there.app, later, ['written there only']);
    there.app.index.rename(id, 'Renamed there');
    // ...then the newer backup is imported there: the rename, the new note and the new line all survive.
    expect((await there.app.restoreBackup(newer)).ok).toBe(true);
    expect(await storedText(there.store, id)).toBe('shared start\nadded here');
    expect(await storedText(there.store, later)).toBe('written there only');
    expect(there.app.index.get(id)?.title).toBe('Renamed there');
  });

  it('a malformed or foreign file is refused and changes nothing', async () => {
    const { app, store } = await device();
    const id = app.index.create();
    await write(app, id, ['keep me']);
    const index = Y.encodeStateAsUpdate(app.indexDoc);
    const rows = store.rows(noteDocName(id));
    for (const bad of ['{"format":"other"}', 'garbage', JSON.stringify({ format: 'weft-backup', version: 1 })]) {
      const result = await app.restoreBackup(bad);
      expect(result.ok).toBe(false);
    }
    expect(Y.encodeStateAsUpdate(app.indexDoc)).toEqual(index);
    expect(store.rows(noteDocName(id))).toBe(rows);
  });

  it('a note deleted for good on this device comes back from a backup', async () => {
    const { app } = await device();
    const id = app.index.create({ title: 'Lost and found' });
    await write(app, id, ['body']);
    const file = await app.backup();
    app.index.remove(id);
    await app.purgeNote(id);
    expect(app.index.get(id)).toBeUndefined();
    await app.restoreBackup(file);
    expect(app.index.get(id)).toMatchObject({ title: 'Lost and found', deletedAt: null });
  });

  it('an open note shows the imported content at once', async () => {
    const here = await device();
    const id = here.app.index.create();
    await write(here.app, id, ['from the backup']);
    const file = await here.app.backup();

    const there = await device();
    there.app.index.addShared(id, here.app.index.get(id)!.secret);
    const session = there.app.openNote(id);
    const editor: LexicalEditor = createTestEditor();
    const dispose = session.bind(editor);
    cleanups.push(dispose);
    await vi.waitFor(() => expect(session.state.get().phase).toBe('ready'));
    await there.app.restoreBackup(file);
    flush(editor);
    expect(editor.read(() => $getRoot().getTextContent())).toBe('from the backup');
  });

  it('the backup includes edits of an open note', async () => {
    const { app } = await device();
    const id = app.index.create();
    const session = app.openNote(id);
    const editor = createTestEditor();
    cleanups.push(session.bind(editor));
    await vi.waitFor(() => expect(session.state.get().phase).toBe('ready'));
    editor.update(() => $getRoot().clear().append($createParagraphNode().append($createTextNode('typing now'))), {
      discrete: true,
    });
    const there = await device();
    await there.app.restoreBackup(await app.backup());
    expect(await storedText(there.store, id)).toBe('typing now');
  });
});
