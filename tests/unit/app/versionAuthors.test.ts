/**
 * Who made each version: the recorder names the verified devices of the Yjs
 * clients that wrote since the previous version, and the names survive a
 * reload (the IndexedDB version store, fake-indexeddb, opened again).
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { clientsBetween, VersionRecorder } from '../../../src/app/versionRecorder';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { applySeed } from '../../../src/doc/seed';
import { IndexedDbVersionStore } from '../../../src/storage/indexedDbVersions';
import type { VersionAuthor } from '../../../src/storage/VersionStore';
import { freshPrefix } from '../storage/harness';

const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

const ALICE: VersionAuthor = { name: 'Alice', fingerprint: '1111 2222 3333 4444', key: 'alice-key' };
const BOB: VersionAuthor = { name: 'Bob', fingerprint: 'AAAA BBBB CCCC DDDD', key: 'bob-key' };

const rootOf = (doc: Y.Doc) => doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
const type = (doc: Y.Doc, text: string, origin: unknown = 'local') =>
  doc.transact(() => {
    const p = new Y.XmlElement('paragraph');
    const run = new Y.XmlText();
    run.insert(0, text);
    p.insert(0, [run]);
    rootOf(doc).insert(rootOf(doc).length, [p]);
  }, origin);

function setup(name = `${freshPrefix()}versions`) {
  const alice = new Y.Doc();
  const bob = new Y.Doc();
  const carol = new Y.Doc(); // never shows a verified presence
  for (const doc of [alice, bob, carol]) applySeed(doc);
  const versions = new IndexedDbVersionStore({ name });
  let t = 1_700_000_000_000;
  const known = new Map<number, VersionAuthor>([
    [alice.clientID, ALICE],
    [bob.clientID, BOB],
  ]);
  const recorder = new VersionRecorder({
    versions,
    noteId: 'note',
    doc: alice,
    now: () => (t += 1000),
    intervalMs: 3_600_000,
    isFromElsewhere: (origin) => origin === ORIGIN_REMOTE,
    onError: (error) => {
      throw error;
    },
    authorOf: (clientId) => known.get(clientId) ?? null,
  });
  disposers.push(() => recorder.dispose());
  const from = (peer: Y.Doc) => Y.applyUpdate(alice, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(alice)), ORIGIN_REMOTE);
  return { alice, bob, carol, versions, recorder, from, name };
}

describe('version authors', () => {
  it('clientsBetween: the clients whose clock advanced, never the seed', () => {
    const { alice, bob } = setup();
    const first = Y.snapshot(alice);
    expect(clientsBetween(null, first)).toEqual([]); // only the seed
    type(alice, 'a');
    type(bob, 'b');
    Y.applyUpdate(alice, Y.encodeStateAsUpdate(bob));
    expect(clientsBetween(first, Y.snapshot(alice))).toEqual([alice.clientID, bob.clientID].sort((x, y) => x - y));
    expect(clientsBetween(Y.snapshot(alice), Y.snapshot(alice))).toEqual([]);
  });

  it('each version names the verified devices that wrote since the previous one, and only those', async () => {
    const { alice, bob, carol, recorder, versions, from } = setup();
    type(alice, 'Alice writes');
    const first = await recorder.recordIfChanged('periodic');
    expect(first?.authors).toEqual([ALICE]);

    type(bob, 'Bob writes');
    from(bob);
    const second = await recorder.recordIfChanged('periodic');
    expect(second?.authors).toEqual([BOB]);

    // Carol's device was never verified: her change is recorded, attributed to nobody.
    type(carol, 'Carol writes');
    from(carol);
    type(alice, 'Alice again');
    const third = await recorder.recordIfChanged('periodic');
    expect(third?.authors).toEqual([ALICE]);

    // A deletion advances no clock: nobody new is named.
    alice.transact(() => rootOf(alice).delete(0, 1), 'local');
    expect((await recorder.recordIfChanged('periodic'))?.authors).toEqual([]);

    expect((await versions.list('note')).map((v) => v.authors.map((a) => a.name))).toEqual([[], ['Alice'], ['Bob'], ['Alice']]);
  });

  it('authors survive a reload: a new store over the same database lists them', async () => {
    const { bob, recorder, from, name } = setup();
    type(bob, 'Bob writes');
    from(bob);
    await recorder.recordIfChanged('periodic');
    const reopened = new IndexedDbVersionStore({ name });
    expect((await reopened.list('note'))[0]?.authors).toEqual([BOB]);
  });
});
