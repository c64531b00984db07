/**
 * The version recorder against a churning peer (issue 14, item 5), on the IndexedDB version
 * store (fake-indexeddb): deleting 45 % at a time records the text from before, insert-then-delete
 * churn records nothing of its own, and however many versions the churn causes, the version
 * holding the user's text, and pinned ones, stay, within the count bound.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { VersionRecorder } from '../../../src/app/versionRecorder';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { noteText } from '../../../src/doc/noteText';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { MAX_VERSIONS_PER_NOTE } from '../../../src/doc/versionPolicy';
import { IndexedDbVersionStore } from '../../../src/storage/indexedDbVersions';
import { freshPrefix } from '../storage/harness';

const LOCAL = 'local-typing';
const ALICE_TEXT = 'Alice’s real text: the plan, the dates and the names we agreed on last week.';

const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

const rootOf = (doc: Y.Doc) => doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
const paragraph = (doc: Y.Doc) => (rootOf(doc).get(0) as Y.XmlElement).get(0) as Y.XmlText;

function setup() {
  const doc = new Y.Doc();
  const mallory = new Y.Doc();
  const versions = new IndexedDbVersionStore({ name: `${freshPrefix()}versions` });
  let t = 1_700_000_000_000;
  const errors: unknown[] = [];
  const recorder = new VersionRecorder({
    versions,
    noteId: 'note',
    doc,
    now: () => (t += 1000),
    intervalMs: 3_600_000, // periodic versions are taken by hand below, deterministically
    isFromElsewhere: (origin) => origin === ORIGIN_REMOTE,
    onError: (error) => errors.push(error),
  });
  disposers.push(() => recorder.dispose());
  const toMallory = () => Y.applyUpdate(mallory, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(mallory)));
  /** Mallory edits her copy; the update reaches Alice as a peer's. */
  const malloryDoes = (edit: (text: Y.XmlText) => void) => {
    mallory.transact(() => edit(paragraph(mallory)));
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(mallory, Y.encodeStateVector(doc)), ORIGIN_REMOTE);
  };
  const aliceTypes = (text: string) =>
    doc.transact(() => {
      const root = rootOf(doc);
      if (root.length === 0) {
        const p = new Y.XmlElement('paragraph');
        p.insert(0, [new Y.XmlText()]);
        root.insert(0, [p]);
      }
      paragraph(doc).insert(paragraph(doc).length, text);
    }, LOCAL);
  const textOf = async (id: number) => {
    const state = await versions.load(id);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, state!);
    return noteText(copy);
  };
  return { doc, versions, recorder, errors, toMallory, malloryDoes, aliceTypes, textOf };
}

const deleteShare = (share: number) => (text: Y.XmlText) => text.delete(0, Math.floor(text.length * share));

describe('VersionRecorder against churn', () => {
  it('a peer deleting 45 % at a time: one version holds the text from before the first slice, marked as own', async () => {
    const { versions, recorder, errors, toMallory, malloryDoes, aliceTypes, textOf } = setup();
    // A new note: nothing to record on open; Alice types, and no version has her text yet.
    recorder.start();
    await recorder.flush();
    aliceTypes(ALICE_TEXT);
    toMallory();
    expect(await versions.list('note')).toEqual([]);
    for (let i = 0; i < 4; i++) malloryDoes(deleteShare(0.45));
    await recorder.flush();
    const list = await versions.list('note');
    const guarded = list.filter((m) => m.reason === 'before-remote-removal');
    // The second slice completes a churn (55 % + of the text); the third and fourth start a new one
    // on what was left (30 % of the text), 45 % + 25 % of it: a second firing.
    expect(guarded.length).toBeGreaterThanOrEqual(1);
    const first = guarded[guarded.length - 1]!;
    expect(first).toMatchObject({ preview: ALICE_TEXT, fromElsewhere: false });
    expect(await textOf(first.id)).toBe(ALICE_TEXT);
    expect(errors).toEqual([]);
  });

  it('55 insert-then-delete cycles and repeated 45 % deletions, a version after every step: Alice’s text stays in history', async () => {
    const { doc, versions, recorder, errors, toMallory, malloryDoes, aliceTypes, textOf } = setup();
    aliceTypes(ALICE_TEXT);
    toMallory();
    recorder.start();
    await recorder.flush();
    const [opened] = await versions.list('note');
    expect(opened).toMatchObject({ reason: 'open', fromElsewhere: false, preview: ALICE_TEXT });

    for (let cycle = 0; cycle < 55; cycle++) {
      malloryDoes((text) => text.insert(text.length, ` junk ${cycle} `.repeat(20)));
      await recorder.recordIfChanged('periodic');
      malloryDoes((text) => text.delete(text.length - ` junk ${cycle} `.repeat(20).length, ` junk ${cycle} `.repeat(20).length));
      await recorder.recordIfChanged('periodic');
      if (cycle % 10 === 9) malloryDoes(deleteShare(0.45));
    }
    await recorder.flush();
    expect(noteText(doc).length).toBeLessThan(ALICE_TEXT.length * 0.1);
    const list = await versions.list('note');
    expect(list.length).toBeLessThanOrEqual(MAX_VERSIONS_PER_NOTE);
    // The churn caused well over the bound's worth of versions, all marked as from elsewhere
    // (with a version after each insertion the junk is the note's when it is deleted, so the guard
    // fires too: those versions hold Alice's text and the junk, and are Mallory's doing)…
    expect(list.filter((m) => m.fromElsewhere).length).toBeGreaterThan(MAX_VERSIONS_PER_NOTE - 10);
    expect(list.filter((m) => m.reason === 'before-remote-removal').every((m) => m.fromElsewhere)).toBe(true);
    // …and the version of Alice's text is still there, the only own one, and it is her text.
    expect(list.filter((m) => !m.fromElsewhere).map((m) => m.id)).toEqual([opened!.id]);
    expect(await textOf(opened!.id)).toBe(ALICE_TEXT);
    expect(errors).toEqual([]);
  });

  it('a version is from elsewhere exactly when nothing was changed here since the newest own version', async () => {
    const { versions, recorder, errors, toMallory, malloryDoes, aliceTypes } = setup();
    aliceTypes('first words');
    toMallory();
    recorder.start();
    await recorder.flush();
    malloryDoes((text) => text.insert(0, 'peer: '));
    await recorder.recordIfChanged('periodic');
    aliceTypes(' and more of mine');
    await recorder.recordIfChanged('periodic');
    malloryDoes((text) => text.insert(0, 'again '));
    await recorder.recordIfChanged('periodic');
    expect(await recorder.recordIfChanged('periodic')).toBeNull(); // unchanged: nothing recorded
    const list = await versions.list('note');
    expect(list.map((m) => [m.reason, m.fromElsewhere])).toEqual([
      ['periodic', true],
      ['periodic', false],
      ['periodic', true],
      ['open', false],
    ]);
    expect(errors).toEqual([]);
  });

  it('a pinned version survives any number of versions caused by a peer', async () => {
    const { versions, recorder, errors, toMallory, malloryDoes, aliceTypes, textOf } = setup();
    aliceTypes('keep me');
    toMallory();
    recorder.start();
    await recorder.flush();
    aliceTypes(', pinned');
    const pinned = (await recorder.recordIfChanged('periodic'))!;
    await versions.setPinned(pinned.id, true);
    aliceTypes(' and typed on');
    await recorder.recordIfChanged('periodic');
    for (let i = 0; i < 150; i++) {
      malloryDoes((text) => text.insert(text.length, `${i} `));
      await recorder.recordIfChanged('periodic');
    }
    const list = await versions.list('note');
    expect(list.length).toBeLessThanOrEqual(MAX_VERSIONS_PER_NOTE);
    expect(list.find((m) => m.id === pinned.id)).toMatchObject({ pinned: true });
    expect(await textOf(pinned.id)).toBe('keep me, pinned');
    expect(errors).toEqual([]);
  });
});
