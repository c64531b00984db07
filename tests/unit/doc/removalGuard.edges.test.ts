/**
 * The large-removal guard on a doc that keeps deleted content (gc off, as a doc restored from
 * history can be): the state it rebuilds must leave earlier deletions deleted. And the size
 * threshold holds at exactly LARGE_REMOVAL_MIN_CHARS. (Written from the mutants StrykerJS found
 * surviving: with GC on, earlier deletions leave no text to bring back, so removalGuard.test.ts
 * cannot tell whether they are kept out.) Removals adding up over many updates: removalGuard.churn.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { watchLargeRemovals, type LargeRemoval } from '../../../src/doc/removalGuard';
import { LARGE_REMOVAL_MIN_CHARS } from '../../../src/doc/versionPolicy';

function setup(gc: boolean) {
  const doc = new Y.Doc({ gc });
  const peer = new Y.Doc({ gc });
  const removals: LargeRemoval[] = [];
  watchLargeRemovals(doc, { watch: (origin) => origin === ORIGIN_REMOTE, onLargeRemoval: (r) => removals.push(r) });
  const fromPeer = () => Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(doc)), ORIGIN_REMOTE);
  const toPeer = () => Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(peer)));
  return { doc, peer, removals, fromPeer, toPeer };
}
const text = (doc: Y.Doc) => doc.getText('t').toString();

describe('watchLargeRemovals, content kept after deletion (gc off)', () => {
  it('the state before a peer deletes everything leaves out what was deleted earlier, in runs and alone', () => {
    const { doc, peer, removals, fromPeer, toPeer } = setup(false);
    const t = doc.getText('t');
    t.insert(0, 'AAAA keep one BBBB keep two CCCC keep three');
    // Earlier deletions, in separate transactions: two adjacent runs, then one far from them.
    t.delete(0, 2);
    t.delete(0, 3);
    t.delete(t.toString().indexOf('BBBB'), 4);
    t.delete(t.toString().indexOf('CCCC'), 5);
    const expected = text(doc);
    expect(expected).toBe('keep one  keep two keep three');
    toPeer();
    peer.getText('t').delete(0, peer.getText('t').length);
    fromPeer();
    expect(text(doc)).toBe('');
    expect(removals).toHaveLength(1);
    const before = new Y.Doc();
    Y.applyUpdate(before, removals[0]!.before);
    expect(text(before)).toBe(expected);
    expect(removals[0]!.removedChars).toBe(expected.length);
    expect(removals[0]!.beforeChars).toBe(expected.length);
  });

  it('a deletion in an earlier update starts the churn: the state handed over is from before it, and both count', () => {
    const { doc, peer, removals, fromPeer, toPeer } = setup(false);
    doc.getText('t').insert(0, 'x'.repeat(10) + 'y'.repeat(40));
    toPeer();
    peer.getText('t').delete(0, 10);
    fromPeer();
    expect(removals).toHaveLength(0); // 10 characters: below the threshold
    peer.getText('t').delete(0, 40);
    fromPeer();
    expect(removals).toHaveLength(1);
    const before = new Y.Doc();
    Y.applyUpdate(before, removals[0]!.before);
    expect(text(before)).toBe('x'.repeat(10) + 'y'.repeat(40));
    expect(removals[0]!.removedChars).toBe(50);
    expect(removals[0]!.beforeChars).toBe(50);
  });
});

describe('watchLargeRemovals, deletions next to each other that Yjs cannot merge (gc off)', () => {
  it('two runs deleted earlier, adjacent in clock but in different texts, both stay out of the state before', () => {
    const { doc, peer, removals, fromPeer, toPeer } = setup(false);
    const a = doc.getText('a');
    const b = doc.getText('b');
    // Consecutive clocks of one client, in two parents: Yjs keeps them as separate structs.
    a.insert(0, 'AAAA');
    b.insert(0, 'BBBB');
    a.insert(4, 'keep a, which is long enough');
    b.insert(4, 'keep b, which is long enough');
    a.delete(0, 4);
    b.delete(0, 4);
    toPeer();
    peer.transact(() => {
      peer.getText('a').delete(0, peer.getText('a').length);
      peer.getText('b').delete(0, peer.getText('b').length);
    });
    fromPeer();
    expect(removals).toHaveLength(1);
    const before = new Y.Doc();
    Y.applyUpdate(before, removals[0]!.before);
    expect(before.getText('a').toString()).toBe('keep a, which is long enough');
    expect(before.getText('b').toString()).toBe('keep b, which is long enough');
  });
});

describe('the size threshold', () => {
  it(`a peer removing exactly ${LARGE_REMOVAL_MIN_CHARS} characters (most of the note) counts; one fewer does not`, () => {
    for (const [removed, counts] of [[LARGE_REMOVAL_MIN_CHARS, true], [LARGE_REMOVAL_MIN_CHARS - 1, false]] as const) {
      const { doc, peer, removals, fromPeer, toPeer } = setup(true);
      doc.getText('t').insert(0, 'z'.repeat(removed + 2));
      toPeer();
      peer.getText('t').delete(0, removed);
      fromPeer();
      expect(removals.length, `${removed} removed`).toBe(counts ? 1 : 0);
    }
  });
});
