/**
 * A block structure change by one peer (a block removed, replaced, moved,
 * added) while another types into a block that stays: the typing stays in its
 * block, whole, and every block keeps its own words. Before alignBlocks.ts,
 * the library's diff paired blocks by type and rewrote a kept paragraph into
 * a new one (found by the firewall fuzz, seed 3).
 */
import { $createListItemNode, $createListNode } from '@lexical/list';
import { $createHeadingNode, type HeadingNode } from '@lexical/rich-text';
import { $createParagraphNode, $createTextNode, $getRoot, $isElementNode, type ElementNode, type LexicalEditor } from 'lexical';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { longestIncreasing } from '../../../src/editor/collab/alignBlocks';
import { mulberry32, seedsFor } from '../../prng';
import { createPeer, flush, type Peer } from './harness';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) {
    p.handle.dispose();
    p.doc.destroy();
  }
});

const blocksOf = (p: Peer): string[] => p.editor.getEditorState().read(() => $getRoot().getChildren().map((b) => b.getTextContent()));

function edit(editor: LexicalEditor, fn: () => void): void {
  editor.update(fn, { discrete: true });
  flush(editor);
}

function sync(from: Peer, to: Peer): void {
  Y.applyUpdate(to.doc, Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(to.doc)), ORIGIN_REMOTE);
  flush(to.editor);
}

/** Alice and Bob share a note whose blocks `build` makes; both have rendered it. */
function shared(build: () => void): [Peer, Peer] {
  const alice = createPeer('alice', { clientID: 2 });
  const bob = createPeer('bob', { clientID: 1 });
  peers.push(alice, bob);
  edit(alice.editor, () => {
    $getRoot().clear();
    build();
  });
  sync(alice, bob);
  return [alice, bob];
}

/** Bob types `text` at the end of block `index`, concurrently with Alice's change. */
function bobTypesInto(bob: Peer, index: number, text: string): void {
  edit(bob.editor, () => {
    const block = $getRoot().getChildAtIndex<ElementNode>(index);
    if (!$isElementNode(block)) throw new Error('no block there');
    block.selectEnd().insertText(text);
  });
}

function converge(alice: Peer, bob: Peer): void {
  sync(alice, bob);
  sync(bob, alice);
  expect(blocksOf(alice)).toEqual(blocksOf(bob));
}

const paragraph = (text: string) => $createParagraphNode().append($createTextNode(text));

describe('block structure changes keep every block its own', () => {
  it('removing a list and adding a paragraph after P does not rewrite P (firewall fuzz seed 3)', () => {
    const [alice, bob] = shared(() => {
      $getRoot().append($createListNode('bullet').append($createListItemNode().append($createTextNode('item'))), paragraph('first'));
    });
    bobTypesInto(bob, 1, ' typed');
    edit(alice.editor, () => {
      const [list] = $getRoot().getChildren();
      list?.remove();
      $getRoot().append(paragraph('second'));
    });
    converge(alice, bob);
    expect(blocksOf(alice)).toEqual(['first typed', 'second']);
  });

  it('a paragraph inserted before P, and P removed after Q, keep Q and P apart', () => {
    const [alice, bob] = shared(() => {
      $getRoot().append(paragraph('p'), paragraph('q'), paragraph('r'));
    });
    bobTypesInto(bob, 1, 'Q');
    bobTypesInto(bob, 2, 'R');
    edit(alice.editor, () => {
      const [p] = $getRoot().getChildren();
      p?.remove();
      $getRoot().getFirstChildOrThrow().insertBefore(paragraph('new'));
    });
    converge(alice, bob);
    expect(blocksOf(alice)).toEqual(['new', 'qQ', 'rR']);
  });

  it('a block replaced by a new one of its type (h1 to h2) keeps the text a peer typed in it meanwhile', () => {
    // A change of node type (paragraph to heading) cannot: the type is the
    // Y element's name, so the block is deleted and recreated (README, known limits).
    const [alice, bob] = shared(() => {
      $getRoot().append($createHeadingNode('h1').append($createTextNode('title')), paragraph('body'));
    });
    bobTypesInto(bob, 0, ' typed');
    edit(alice.editor, () => {
      const [first] = $getRoot().getChildren();
      first?.replace($createHeadingNode('h2'), true);
    });
    converge(alice, bob);
    expect(blocksOf(alice)).toEqual(['title typed', 'body']);
    expect(alice.editor.getEditorState().read(() => ($getRoot().getFirstChildOrThrow() as HeadingNode).getTag())).toBe('h2');
  });

  it('random removals, insertions and moves of blocks while a peer types in every kept block', () => {
    for (const seed of seedsFor('block alignment', { pinned: [1, 2, 3], fresh: 3 })) {
      const random = mulberry32(seed);
      const int = (n: number) => Math.floor(random() * n);
      const names = Array.from({ length: 6 + int(6) }, (_, i) => `b${i}`);
      const [alice, bob] = shared(() => {
        $getRoot().append(...names.map((n) => paragraph(n)));
      });
      // Alice removes some blocks, adds some, moves one; Bob types into blocks Alice keeps.
      const removed = new Set(names.filter(() => random() < 0.3));
      const moved = names.find((n) => !removed.has(n) && random() < 0.3);
      const kept = names.filter((n) => !removed.has(n) && n !== moved);
      for (const name of kept) bobTypesInto(bob, names.indexOf(name), `+${name}`);
      edit(alice.editor, () => {
        const children = $getRoot().getChildren();
        children.forEach((child, i) => {
          if (removed.has(names[i] as string)) child.remove();
        });
        for (let n = int(3); n > 0; n--) {
          const blocks = $getRoot().getChildren();
          const at = blocks[int(blocks.length)];
          if (at) at.insertAfter(paragraph(`new${n}`));
          else $getRoot().append(paragraph(`new${n}`));
        }
        if (moved !== undefined) {
          const node = children[names.indexOf(moved)];
          if (node) $getRoot().append(node);
        }
      });
      converge(alice, bob);
      const text = blocksOf(alice);
      for (const name of kept) expect(text, `seed ${seed}: ${name} with Bob's typing, whole`).toContain(`${name}+${name}`);
      for (const name of removed) expect(text.join('|'), `seed ${seed}: removed ${name} stays removed`).not.toContain(`${name}+`);
      for (const p of peers.splice(0)) {
        p.handle.dispose();
        p.doc.destroy();
      }
    }
  });
});

describe('work proportional to the change', () => {
  /** Calls of `method` on the note's root element while `fn` runs (Yjs walks the list from its start on each). */
  function rootCalls(peer: Peer, method: 'insert' | 'delete', fn: () => void): number {
    const root = peer.doc.get(NOTE_ROOT_NAMES.v2, Y.XmlElement);
    const original = Y.XmlElement.prototype[method] as (...args: unknown[]) => void;
    let calls = 0;
    const spy = vi.spyOn(Y.XmlElement.prototype, method).mockImplementation(function (this: Y.XmlElement, ...args: unknown[]) {
      if (this === root) calls++;
      return original.apply(this, args);
    } as never);
    try {
      fn();
    } finally {
      spy.mockRestore();
    }
    return calls;
  }

  it('writes a pasted run of blocks with one insert, and removes it with one delete', () => {
    const [alice, bob] = shared(() => $getRoot().append(paragraph('before'), paragraph('after')));
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}`);
    const inserts = rootCalls(alice, 'insert', () =>
      edit(alice.editor, () => {
        const first = $getRoot().getFirstChild<ElementNode>();
        let last = first as ElementNode;
        for (const line of lines) {
          const next = paragraph(line);
          last.insertAfter(next);
          last = next;
        }
      }),
    );
    expect(inserts).toBe(1);
    converge(alice, bob);
    expect(blocksOf(bob)).toEqual(['before', ...lines, 'after']);
    const deletes = rootCalls(alice, 'delete', () =>
      edit(alice.editor, () => {
        for (const block of $getRoot().getChildren().slice(1, -1)) block.remove();
      }),
    );
    expect(deletes).toBe(1);
    converge(alice, bob);
    expect(blocksOf(bob)).toEqual(['before', 'after']);
  });
});

describe('longestIncreasing', () => {
  it('finds one longest strictly increasing subsequence', () => {
    expect(longestIncreasing([])).toEqual([]);
    expect(longestIncreasing([0, 1, 2])).toEqual([0, 1, 2]);
    expect(longestIncreasing([2, 1, 0])).toHaveLength(1);
    const values = [3, 0, 4, 1, 5, 2, 6];
    const picked = longestIncreasing(values).map((i) => values[i] as number);
    expect(picked).toHaveLength(4);
    for (let i = 1; i < picked.length; i++) expect(picked[i]).toBeGreaterThan(picked[i - 1] as number);
  });
});
