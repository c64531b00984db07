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

/** Runs one round; returns the final text of both peers. */
function round(seed: number, prefix: string, wordA: string, wordB: string): [string, string] {
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
  while (i < wordA.length || j < wordB.length) {
    const r = rng.next();
    if (r < 0.35 && i < wordA.length) key(a, wordA[i++] as string);
    else if (r < 0.7 && j < wordB.length) key(b, wordB[j++] as string);
    else deliver(rng.chance(0.5) ? a : b, 1 + rng.int(3));
  }
  deliver(a, Infinity);
  deliver(b, Infinity);
  return [textOf(a), textOf(b)];
}

describe('typing together at the same spot', () => {
  const cases: Array<[string, string, string]> = [
    ['Round 1:', ' alpha ALPHA', ' bravo BRAVO'],
    ['x', '  aa  aa', '  aa  bb'],
    ['', 'a a a', 'a b a'],
    ['line', ' ', ' '],
  ];
  for (const [prefix, wordA, wordB] of cases) {
    it(`${JSON.stringify(wordA)} and ${JSON.stringify(wordB)} after ${JSON.stringify(prefix)}: both whole, 200 schedules`, () => {
      const first = 1 + Math.floor(Math.random() * 1e9);
      for (let seed = first; seed < first + 200; seed++) {
        const [ta, tb] = round(seed, prefix, wordA, wordB);
        expect(tb, `seed ${seed}: peers differ`).toBe(ta);
        expect([prefix + wordA + wordB, prefix + wordB + wordA], `seed ${seed}: a word is not whole`).toContain(ta);
      }
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
