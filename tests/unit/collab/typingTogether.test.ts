/**
 * Two people type a word each at the same spot, key by key, while each other's
 * keystrokes arrive in a random (seeded) order: each word must come out whole,
 * in either order, on both peers. Unlike the convergence fuzz (unique
 * characters), the words repeat characters and spaces, where the caret alone
 * decides which of two equal characters was typed (see `diffAtCaret`).
 */
import { $getRoot, $getSelection, $isRangeSelection } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { seedUpdate } from '../../../src/doc/seed';
import { diffAtCaret } from '../../../src/editor/collab/syncTextEdits';
import { oracleCounter } from '../../oracle';
import { replaySeed, seedsFor } from '../../prng';
import { Rng, createPeer, flush, type Peer } from './harness';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) {
    p.handle.dispose();
    p.doc.destroy();
  }
});

/** Types one character at the peer's caret, as a keystroke does. */
function key(p: Peer, ch: string): void {
  p.editor.update(() => {
    const selection = $getSelection();
    if (!$isRangeSelection(selection)) throw new Error(`${p.name} has no caret`);
    selection.insertText(ch);
  }, { discrete: true });
  flush(p.editor);
}

const textOf = (p: Peer): string => p.editor.getEditorState().read(() => $getRoot().getTextContent());

/**
 * Runs one round; returns the final text of both peers, and whether a peer typed a key while a
 * keystroke of the other's was still on its way to it (the concurrency the test is about).
 */
function round(seed: number, prefix: string, wordA: string, wordB: string): [string, string, boolean] {
  const rng = new Rng(seed);
  const a = createPeer('a', { clientID: 1 + rng.int(1000), seed: seedUpdate() });
  const b = createPeer('b', { clientID: 1001 + rng.int(1000), seed: seedUpdate() });
  if (rng.chance(0.5)) [a.doc.clientID, b.doc.clientID] = [b.doc.clientID, a.doc.clientID];
  peers.push(a, b);
  const inbox = new Map<Peer, Uint8Array[]>([
    [a, []],
    [b, []],
  ]);
  a.doc.on('update', (u: Uint8Array, origin: unknown) => origin !== ORIGIN_REMOTE && inbox.get(b)?.push(u));
  b.doc.on('update', (u: Uint8Array, origin: unknown) => origin !== ORIGIN_REMOTE && inbox.get(a)?.push(u));
  const deliver = (to: Peer, max: number): void => {
    const queue = inbox.get(to) as Uint8Array[];
    for (let n = 0; n < max && queue.length > 0; n++) {
      Y.applyUpdate(to.doc, queue.shift() as Uint8Array, ORIGIN_REMOTE);
      flush(to.editor);
    }
  };
  a.editor.update(() => $getRoot().selectEnd().insertText(prefix), { discrete: true });
  deliver(b, Infinity);
  for (const p of [a, b]) p.editor.update(() => void $getRoot().selectEnd(), { discrete: true });
  let i = 0;
  let j = 0;
  let concurrent = false;
  while (i < wordA.length || j < wordB.length) {
    const r = rng.next();
    const typist = r < 0.35 && i < wordA.length ? a : r < 0.7 && j < wordB.length ? b : null;
    if (typist === null) {
      deliver(rng.chance(0.5) ? a : b, 1 + rng.int(3));
      continue;
    }
    if ((inbox.get(typist) as Uint8Array[]).length > 0) concurrent = true;
    key(typist, typist === a ? (wordA[i++] as string) : (wordB[j++] as string));
  }
  deliver(a, Infinity);
  deliver(b, Infinity);
  return [textOf(a), textOf(b), concurrent];
}

/** Schedules per pair of words and run. */
const SCHEDULES = 200;

describe('typing together at the same spot', () => {
  const cases: Array<[string, string, string]> = [
    ['Round 1:', ' alpha ALPHA', ' bravo BRAVO'],
    ['x', '  aa  aa', '  aa  bb'],
    ['', 'a a a', 'a b a'],
    ['line', ' ', ' '],
  ];
  for (const [prefix, wordA, wordB] of cases) {
    const name = `${JSON.stringify(wordA)} and ${JSON.stringify(wordB)} after ${JSON.stringify(prefix)}`;
    // 200 schedules from a fresh first seed each run (printed); WEFT_SEED replays one schedule.
    const [first] = seedsFor(`typing together ${name}`, { pinned: [], fresh: 1 }) as [number];
    const schedules = replaySeed() === undefined ? SCHEDULES : 1;
    it(`${name}: both whole, ${schedules} schedules from seed ${first}`, () => {
      const hits = oracleCounter(`typing together ${name}`, ['peers-agree', 'whole-a-first', 'whole-b-first', 'typed-unseen']);
      for (let n = 0; n < schedules; n++) {
        const seed = (first + n) >>> 0;
        const [ta, tb, concurrent] = round(seed, prefix, wordA, wordB);
        hits.hit('peers-agree');
        expect(tb, `seed ${seed}: peers differ (WEFT_SEED=${seed} replays)`).toBe(ta);
        // Equal words make both orders one text: it counts as a-first.
        hits.hit(ta === prefix + wordA + wordB ? 'whole-a-first' : 'whole-b-first');
        expect([prefix + wordA + wordB, prefix + wordB + wordA], `seed ${seed}: a word is not whole (WEFT_SEED=${seed} replays)`).toContain(ta);
        if (concurrent) hits.hit('typed-unseen');
      }
      // Both orders must come out (unless the words are equal), and many schedules must really
      // type concurrently (about 65-100 % do): a scheduler that delivered every keystroke before
      // the next one would test nothing. A single replayed schedule has no floors.
      if (replaySeed() === undefined) hits.assertAtLeast({ 'whole-b-first': wordA === wordB ? 0 : 1, 'typed-unseen': schedules / 4 });
    });
  }
});

describe('diffAtCaret', () => {
  it('puts a typed character at the caret among equal ones', () => {
    // "x:|␣" → "x:␣|␣": the new space is the one before the caret.
    expect(diffAtCaret('x: ', 'x:  ', 3)).toEqual({ index: 2, remove: 0, insert: ' ' });
    expect(diffAtCaret('aa', 'aaa', 1)).toEqual({ index: 0, remove: 0, insert: 'a' });
    expect(diffAtCaret('aa', 'aaa', 3)).toEqual({ index: 2, remove: 0, insert: 'a' });
  });
  it('deletes at the caret among equal ones', () => {
    expect(diffAtCaret('aaa', 'aa', 0)).toEqual({ index: 0, remove: 1, insert: '' });
    expect(diffAtCaret('a  b', 'a b', 1)).toEqual({ index: 1, remove: 1, insert: '' });
  });
  it('replaces a selection', () => {
    expect(diffAtCaret('hello world', 'hello there', 11)).toEqual({ index: 6, remove: 5, insert: 'there' });
  });
});
