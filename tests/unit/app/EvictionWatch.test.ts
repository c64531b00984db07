/**
 * EvictionWatch (src/app/EvictionWatch.ts) on its own, with the in-memory store: a note whose
 * storage was cleared while the list remembers its text gets the "cleared" alert, then the
 * "restored" one when a peer's update arrives; a never-edited note gets neither.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { EvictionWatch, evictedAlertKey } from '../../../src/app/EvictionWatch';
import { NOTE_RESTORED_FROM_PEER_MESSAGE, NOTE_STORAGE_CLEARED_MESSAGE } from '../../../src/app/messages';
import { NotesIndex } from '../../../src/app/NotesIndex';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { ORIGIN_LOOPBACK } from '../../../src/doc/origins';
import { applySeed, holdsMoreThanSeed } from '../../../src/doc/seed';
import { MemoryStore } from '../../../src/storage/memory';
import { MemoryNotesIndexStore } from '../../../src/storage/MemoryNotesIndexStore';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A note the list knows (with text when `listed`), opened from an empty store: what eviction looks like. */
async function openFromClearedStore(listed: string) {
  const index = new NotesIndex({ store: new MemoryNotesIndexStore() });
  const noteId = await index.create();
  if (listed) await index.updateFromContent(noteId, { firstLine: listed, text: listed });
  const doc = new Y.Doc();
  applySeed(doc);
  const persisted = new MemoryStore().open(`note:${noteId}`, doc);
  await persisted.whenLoaded;
  const alerts: Array<{ key: string; message: string }> = [];
  const watch = new EvictionWatch({ index, noteId, doc, alert: (key, message) => alerts.push({ key, message }) });
  cleanups.push(() => watch.dispose(), () => persisted.destroy());
  return { noteId, doc, watch, alerts };
}

/** An update from another device that writes `text` into the note. */
function peerUpdate(doc: Y.Doc, text: string): Uint8Array {
  const peer = new Y.Doc();
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc));
  const run = new Y.XmlText();
  (peer.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement).get(0) as Y.XmlElement).insert(0, [run]);
  run.insert(0, text);
  return Y.encodeStateAsUpdate(peer, Y.encodeStateVector(doc));
}

describe('EvictionWatch', () => {
  it('alerts when the doc loads as seed only although the list remembers text, then when a peer restores it', async () => {
    const { noteId, doc, watch, alerts } = await openFromClearedStore('Shopping list');
    expect(holdsMoreThanSeed(doc)).toBe(false);
    expect(await watch.start()).toBe(true);
    expect(alerts).toEqual([{ key: evictedAlertKey(noteId), message: NOTE_STORAGE_CLEARED_MESSAGE }]);

    // Local changes (the user typing again) are not a restore.
    doc.transact(() => doc.getMap('local').set('k', 1));
    expect(alerts).toHaveLength(1);

    Y.applyUpdate(doc, peerUpdate(doc, 'Shopping list'), ORIGIN_LOOPBACK);
    expect(alerts[1]).toEqual({ key: evictedAlertKey(noteId), message: NOTE_RESTORED_FROM_PEER_MESSAGE });
    // Once only: the watch stopped itself.
    Y.applyUpdate(doc, peerUpdate(doc, 'more'), ORIGIN_LOOPBACK);
    expect(alerts).toHaveLength(2);
  });

  it('says nothing for a note that was never edited', async () => {
    const { doc, watch, alerts } = await openFromClearedStore('');
    expect(await watch.start()).toBe(false);
    Y.applyUpdate(doc, peerUpdate(doc, 'from a peer'), ORIGIN_LOOPBACK);
    expect(alerts).toEqual([]);
  });

  it('dispose stops watching for the restore', async () => {
    const { doc, watch, alerts } = await openFromClearedStore('Shopping list');
    await watch.start();
    watch.dispose();
    Y.applyUpdate(doc, peerUpdate(doc, 'from a peer'), ORIGIN_LOOPBACK);
    expect(alerts).toHaveLength(1);
  });

  it('holdsMoreThanSeed tells stored content from the seed alone', () => {
    const doc = new Y.Doc();
    applySeed(doc);
    expect(holdsMoreThanSeed(doc)).toBe(false);
    Y.applyUpdate(doc, peerUpdate(doc, 'x'));
    expect(holdsMoreThanSeed(doc)).toBe(true);
  });
});
