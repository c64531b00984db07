/**
 * The large-removal guard rebuilds the state from just before a removing
 * transaction, with garbage collection on. If a Yjs upgrade moved garbage
 * collection before `afterTransaction`, the "text comes back" test fails.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { watchLargeRemovals, type LargeRemoval } from '../../../src/doc/removalGuard';
import { LARGE_REMOVAL_MIN_CHARS } from '../../../src/doc/versionPolicy';

const LOCAL = 'local-typing';

function setup() {
  const doc = new Y.Doc();
  expect(doc.gc).toBe(true);
  const peer = new Y.Doc();
  const removals: LargeRemoval[] = [];
  const dispose = watchLargeRemovals(doc, {
    watch: (origin) => origin === ORIGIN_REMOTE,
    onLargeRemoval: (r) => removals.push(r),
  });
  const toPeer = () => Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(peer)), ORIGIN_REMOTE);
  const fromPeer = () => Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(doc)), ORIGIN_REMOTE);
  return { doc, peer, removals, dispose, toPeer, fromPeer };
}

const textOf = (doc: Y.Doc) => doc.getXmlElement('root-v2').toArray().map((t) => (t as Y.XmlText).toString()).join('|');

function write(doc: Y.Doc, parts: string[]): void {
  doc.transact(() => {
    const root = doc.getXmlElement('root-v2');
    root.insert(
      root.length,
      parts.map((p) => {
        const t = new Y.XmlText();
        t.insert(0, p);
        return t;
      }),
    );
  }, LOCAL);
}

describe('watchLargeRemovals', () => {
  it('a peer deleting everything hands over the exact state before, even though GC ran', () => {
    const { doc, peer, removals, toPeer, fromPeer } = setup();
    write(doc, ['The first paragraph of a long note', 'and a second one, also long enough']);
    // Some history with earlier deletions (already garbage-collected) too.
    doc.transact(() => (doc.getXmlElement('root-v2').get(0) as Y.XmlText).delete(0, 4), LOCAL);
    const expected = textOf(doc);
    toPeer();
    peer.transact(() => {
      const root = peer.getXmlElement('root-v2');
      root.delete(0, root.length);
    });
    fromPeer();
    expect(textOf(doc)).toBe('');
    expect(removals).toHaveLength(1);
    const before = new Y.Doc();
    Y.applyUpdate(before, removals[0]!.before);
    expect(textOf(before)).toBe(expected);
    expect(removals[0]!.removedChars).toBe(expected.replace('|', '').length);
    // The live doc is unharmed and still garbage-collects.
    expect(doc.gc).toBe(true);
  });

  it('ignores local deletions, small deletions and origins it does not watch', () => {
    const { doc, peer, removals, toPeer, fromPeer } = setup();
    write(doc, ['x'.repeat(200)]);
    toPeer();
    // A peer deleting a few characters: not large.
    peer.transact(() => (peer.getXmlElement('root-v2').get(0) as Y.XmlText).delete(0, LARGE_REMOVAL_MIN_CHARS - 1));
    fromPeer();
    // A peer deleting a large number, but a small share.
    peer.transact(() => (peer.getXmlElement('root-v2').get(0) as Y.XmlText).delete(0, 40));
    fromPeer();
    // This editor deleting everything.
    doc.transact(() => (doc.getXmlElement('root-v2').get(0) as Y.XmlText).delete(0, 100), LOCAL);
    expect(removals).toHaveLength(0);
  });

  it('a replacement of most of the text by other text counts too; the disposer stops it', () => {
    const { doc, peer, removals, dispose: guard, toPeer, fromPeer } = setup();
    write(doc, ['original text that matters a lot']);
    toPeer();
    peer.transact(() => {
      const t = peer.getXmlElement('root-v2').get(0) as Y.XmlText;
      t.delete(0, t.length);
      t.insert(0, 'spam spam spam spam spam spam spam spam');
    });
    fromPeer();
    expect(removals).toHaveLength(1);
    guard.dispose();
    peer.transact(() => {
      const t = peer.getXmlElement('root-v2').get(0) as Y.XmlText;
      t.delete(0, t.length);
    });
    fromPeer();
    expect(removals).toHaveLength(1);
  });
});
