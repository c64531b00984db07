/**
 * The removal guard against churn (issue 14, item 5): removals from elsewhere add up from the
 * first one until they reach the large-removal share of the note's own text, so deleting 45 %
 * at a time, or 19 characters at a time, is caught; a peer inserting junk and deleting it again
 * removes nothing of the note's and is never counted, however often it does so.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { watchLargeRemovals, type LargeRemoval } from '../../../src/doc/removalGuard';
import { LARGE_REMOVAL_MIN_CHARS, LARGE_REMOVAL_SHARE } from '../../../src/doc/versionPolicy';

const OTHER_TAB = 'other-tab';
const OWN_TEXT = 'Alice wrote this paragraph herself and it matters to her. '.repeat(4).trim();

function setup() {
  const doc = new Y.Doc();
  const peer = new Y.Doc();
  const removals: LargeRemoval[] = [];
  let churnStarts = 0;
  const guard = watchLargeRemovals(doc, {
    watch: (origin) => origin === ORIGIN_REMOTE || origin === OTHER_TAB,
    onLargeRemoval: (r) => removals.push(r),
    onChurnStart: () => churnStarts++,
  });
  const t = doc.getText('t');
  const p = peer.getText('t');
  const sync = () => Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(peer)));
  const fromPeer = (origin: unknown = ORIGIN_REMOTE) =>
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(doc)), origin);
  /** The peer edits its copy, then the edit arrives. */
  const peerDoes = (edit: (text: Y.Text) => void, origin?: unknown) => {
    edit(p);
    fromPeer(origin);
  };
  const beforeText = (removal: LargeRemoval) => {
    const before = new Y.Doc();
    Y.applyUpdate(before, removal.before);
    return before.getText('t').toString();
  };
  return { doc, peer, t, p, guard, removals, churns: () => churnStarts, sync, peerDoes, beforeText };
}

describe('removals from elsewhere add up', () => {
  it('deleting 45 % at a time is caught at the second slice, with the text from before the first', () => {
    const { t, removals, churns, sync, peerDoes, beforeText } = setup();
    t.insert(0, OWN_TEXT);
    sync();
    const slice = (text: Y.Text) => text.delete(0, Math.floor(text.length * 0.45));
    peerDoes(slice);
    expect(removals).toHaveLength(0);
    expect(churns()).toBe(1);
    peerDoes(slice);
    expect(removals).toHaveLength(1);
    expect(beforeText(removals[0]!)).toBe(OWN_TEXT);
    const first = Math.floor(OWN_TEXT.length * 0.45);
    const second = Math.floor((OWN_TEXT.length - first) * 0.45);
    expect(removals[0]).toMatchObject({ removedChars: first + second, beforeChars: OWN_TEXT.length, origin: ORIGIN_REMOTE });
    // A new churn starts from what is left (its baseline moved): another 45 % is not yet large.
    peerDoes(slice);
    expect(removals).toHaveLength(1);
    expect(churns()).toBe(2);
  });

  it(`slices smaller than ${LARGE_REMOVAL_MIN_CHARS} characters add up too`, () => {
    const { t, removals, sync, peerDoes, beforeText } = setup();
    t.insert(0, OWN_TEXT);
    sync();
    const needed = Math.ceil(OWN_TEXT.length * LARGE_REMOVAL_SHARE);
    let removed = 0;
    while (removals.length === 0 && removed < OWN_TEXT.length) {
      peerDoes((text) => text.delete(text.length - (LARGE_REMOVAL_MIN_CHARS - 1), LARGE_REMOVAL_MIN_CHARS - 1));
      removed += LARGE_REMOVAL_MIN_CHARS - 1;
    }
    expect(removals).toHaveLength(1);
    expect(removed).toBeGreaterThanOrEqual(needed);
    expect(removed - (LARGE_REMOVAL_MIN_CHARS - 1)).toBeLessThan(needed);
    expect(beforeText(removals[0]!)).toBe(OWN_TEXT);
  });

  it('a peer inserting junk and deleting it again, 55 times, is never counted; the note’s text is untouched', () => {
    const { t, removals, churns, sync, peerDoes } = setup();
    t.insert(0, OWN_TEXT);
    sync();
    for (let cycle = 0; cycle < 55; cycle++) {
      const junk = `junk ${cycle} `.repeat(30);
      peerDoes((text) => text.insert(text.length, junk));
      peerDoes((text) => text.delete(OWN_TEXT.length, junk.length));
    }
    expect(t.toString()).toBe(OWN_TEXT);
    expect(removals).toHaveLength(0);
    // Not even a churn: nothing of the note's was touched, so nothing was encoded.
    expect(churns()).toBe(0);
  });

  it('junk in front of the text does not water down the share: removing half of the own text counts', () => {
    const { t, removals, sync, peerDoes, beforeText } = setup();
    t.insert(0, OWN_TEXT);
    sync();
    peerDoes((text) => text.insert(0, 'z'.repeat(5 * OWN_TEXT.length)));
    const half = Math.ceil(OWN_TEXT.length * LARGE_REMOVAL_SHARE);
    peerDoes((text) => text.delete(text.length - half, half));
    expect(removals).toHaveLength(1);
    expect(removals[0]).toMatchObject({ removedChars: half, beforeChars: OWN_TEXT.length });
    expect(beforeText(removals[0]!)).toBe('z'.repeat(5 * OWN_TEXT.length) + OWN_TEXT);
  });

  it('replacing the own text with as much junk counts as removing all of it', () => {
    const { t, removals, sync, peerDoes } = setup();
    t.insert(0, OWN_TEXT);
    sync();
    peerDoes((text) => {
      text.doc!.transact(() => {
        text.delete(0, text.length);
        text.insert(0, 'spam '.repeat(OWN_TEXT.length / 5 + 1));
      });
    });
    expect(removals).toHaveLength(1);
    expect(removals[0]).toMatchObject({ removedChars: OWN_TEXT.length, beforeChars: OWN_TEXT.length });
  });

  it('text typed here during the churn is own text: a peer deleting it counts', () => {
    const { t, removals, sync, peerDoes } = setup();
    t.insert(0, 'a'.repeat(100));
    sync();
    peerDoes((text) => text.delete(0, 40)); // 40 % of what there was
    t.insert(t.length, 'b'.repeat(30)); // typed here after the churn started
    sync();
    peerDoes((text) => text.delete(text.length - 30, 30));
    expect(removals).toHaveLength(1);
    expect(removals[0]).toMatchObject({ removedChars: 70, beforeChars: 100 });
  });

  it('every origin from elsewhere adds to the same churn (two peers, another tab); unwatched origins never count', () => {
    const { t, removals, churns, sync, peerDoes } = setup();
    t.insert(0, 'c'.repeat(100));
    sync();
    peerDoes((text) => text.delete(0, 30), 'unwatched-origin');
    expect(churns()).toBe(0);
    peerDoes((text) => text.delete(0, 25), ORIGIN_REMOTE);
    expect(removals).toHaveLength(0);
    // Each origin alone removed less than half (25 and 20 of 70); together they did.
    peerDoes((text) => text.delete(0, 20), OTHER_TAB);
    expect(churns()).toBe(1);
    expect(removals).toHaveLength(1);
    expect(removals[0]).toMatchObject({ removedChars: 45, beforeChars: 70, origin: OTHER_TAB });
  });
});

describe('the baseline', () => {
  it('what a peer inserted counts once a version was recorded (checkpoint), not before', () => {
    const { t, removals, churns, guard, sync, peerDoes } = setup();
    t.insert(0, 'd'.repeat(40));
    sync();
    peerDoes((text) => text.insert(text.length, 'e'.repeat(60)));
    guard.checkpoint();
    // The peer's text is now part of the note: removing it (60 % of 100) is large.
    peerDoes((text) => text.delete(40, 60));
    expect(churns()).toBe(1);
    expect(removals).toHaveLength(1);
    expect(removals[0]).toMatchObject({ removedChars: 60, beforeChars: 100 });
  });

  it('a checkpoint during a churn changes nothing: the churn keeps its start and its baseline', () => {
    const { t, removals, guard, sync, peerDoes, beforeText } = setup();
    t.insert(0, 'f'.repeat(100));
    sync();
    peerDoes((text) => text.delete(0, 30));
    peerDoes((text) => text.insert(0, 'g'.repeat(200)));
    guard.checkpoint();
    // The junk inserted during the churn is still not the note's: deleting it counts nothing.
    peerDoes((text) => text.delete(0, 200));
    expect(removals).toHaveLength(0);
    peerDoes((text) => text.delete(0, 25));
    expect(removals).toHaveLength(1);
    expect(beforeText(removals[0]!)).toBe('f'.repeat(100));
    expect(removals[0]).toMatchObject({ removedChars: 55, beforeChars: 100 });
  });

  it('after a firing, text the peer inserted before it is the note’s: the next churn counts it', () => {
    const { t, removals, sync, peerDoes, beforeText } = setup();
    t.insert(0, 'h'.repeat(100));
    sync();
    peerDoes((text) => text.insert(100, 'i'.repeat(100)));
    peerDoes((text) => text.delete(0, 100)); // all of the own text: fires
    expect(removals).toHaveLength(1);
    peerDoes((text) => text.delete(0, 60)); // 60 % of what the note held at the firing
    expect(removals).toHaveLength(2);
    expect(beforeText(removals[1]!)).toBe('i'.repeat(100));
    expect(removals[1]).toMatchObject({ removedChars: 60, beforeChars: 100 });
  });

  it('disposing stops watching', () => {
    const { t, removals, churns, guard, sync, peerDoes } = setup();
    t.insert(0, 'j'.repeat(100));
    sync();
    peerDoes((text) => text.delete(0, 10));
    guard.dispose();
    peerDoes((text) => text.delete(0, 90));
    expect(churns()).toBe(1);
    expect(removals).toHaveLength(0);
  });
});
