/**
 * NoteVersions (src/app/NoteVersions.ts) on its own, with the in-memory stores: recording starts
 * once storage has loaded (or failed to), this device's own origins count as local and others as
 * from elsewhere, failures reach the user, and dispose stops recording.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { NoteVersions } from '../../../src/app/NoteVersions';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { ORIGIN_LOOPBACK } from '../../../src/doc/origins';
import { applySeed } from '../../../src/doc/seed';
import { MemoryStore } from '../../../src/storage/memory';
import { MemoryVersionStore } from '../../../src/storage/memoryVersions';
import type { VersionStore } from '../../../src/storage/VersionStore';

const BINDING = { binding: 'editor' };
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A note doc with text, stored; opened again with NoteVersions wired as the session does. */
async function open(versions: VersionStore = new MemoryVersionStore(), loaded?: Promise<void>) {
  const store = new MemoryStore();
  const doc = new Y.Doc();
  applySeed(doc);
  const persisted = store.open('note:n', doc);
  let t = 1_700_000_000_000;
  const errors: string[] = [];
  const noteVersions = new NoteVersions({
    versions,
    noteId: 'n',
    doc,
    now: () => (t += 1000),
    intervalMs: 3_600_000, // no periodic versions: each test records by hand
    loaded: loaded ?? persisted.whenLoaded,
    onError: (message) => errors.push(message),
  });
  cleanups.push(() => noteVersions.dispose(), () => persisted.destroy());
  const run = new Y.XmlText();
  (doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement).get(0) as Y.XmlElement).insert(0, [run]);
  const type = (text: string, origin: unknown) => doc.transact(() => run.insert(run.length, text), origin);
  return { doc, versions, noteVersions, errors, type };
}

/** A version store whose disk is full. */
class FullVersionStore extends MemoryVersionStore {
  override async save(): Promise<never> {
    throw new Error('quota');
  }
}

describe('NoteVersions', () => {
  it('records the note as opened once storage has loaded, then marks versions by whose changes they hold', async () => {
    const { versions, noteVersions, type } = await open();
    type('My own notes on the plan, typed here.', BINDING);
    noteVersions.start();
    await noteVersions.flush();
    expect((await versions.list('n')).map((v) => [v.reason, v.fromElsewhere])).toEqual([['open', false]]);

    type(' A peer adds this.', ORIGIN_LOOPBACK);
    await noteVersions.recorder.recordIfChanged('periodic');
    type(' And I add this.', BINDING);
    await noteVersions.recorder.recordIfChanged('periodic');
    expect((await versions.list('n')).map((v) => v.fromElsewhere)).toEqual([false, true, false]);
  });

  it('starts even when storage failed to load', async () => {
    const failed = Promise.reject(new Error('storage gone'));
    const { versions, noteVersions, type } = await open(new MemoryVersionStore(), failed);
    type('Typed while storage is down.', BINDING);
    noteVersions.start();
    await noteVersions.flush();
    expect(await versions.list('n')).toHaveLength(1);
  });

  it('tells the user when a version cannot be saved', async () => {
    const { noteVersions, errors, type } = await open(new FullVersionStore());
    type('Text', BINDING);
    noteVersions.start();
    await noteVersions.flush();
    expect(errors).toEqual(['Version history could not be saved: quota']);
  });

  it('records nothing once disposed, even when disposed before storage loaded', async () => {
    const { versions, noteVersions, type } = await open();
    type('Text', BINDING);
    noteVersions.start();
    noteVersions.dispose();
    await noteVersions.flush();
    expect(await versions.list('n')).toEqual([]);
  });
});
