/**
 * One person rewrites a block (its type, a join, a list) while another types
 * in it, neither having seen the other's change: the typing must survive,
 * once, where it was typed. Yjs has no move, so the rewrite deletes the block
 * and inserts a copy; the typist puts back what the copy lacks
 * (src/doc/rescueOrphanedText.ts).
 */
import { $insertList, $removeList } from '@lexical/list';
import { $createHeadingNode } from '@lexical/rich-text';
import { $setBlocksType } from '@lexical/selection';
import { $createParagraphNode, $createTextNode, $getRoot, $isElementNode, $isTextNode, type ElementNode, type LexicalNode } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { rescueOrphanedText } from '../../../src/doc/rescueOrphanedText';
import { seedUpdate } from '../../../src/doc/seed';
import { createPeer, flush, outline, reloadFrom, stateOf, type Peer } from './harness';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) {
    p.handle.dispose();
    p.doc.destroy();
  }
});

/** Peers that hold the same note: `lines` paragraphs. */
function notePeers(names: string[], lines: string[]): Peer[] {
  const made = names.map((name, i) => createPeer(name, { clientID: 100 + i, seed: seedUpdate() }));
  peers.push(...made);
  const [first] = made as [Peer];
  first.editor.update(
    () => {
      const root = $getRoot();
      root.clear();
      for (const line of lines) root.append($createParagraphNode().append($createTextNode(line)));
    },
    { discrete: true },
  );
  flush(first.editor);
  for (const other of made.slice(1)) send(first, other);
  return made;
}

/** Everything `from` has that `to` lacks. */
function send(from: Peer, to: Peer): void {
  Y.applyUpdate(to.doc, Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(to.doc)), ORIGIN_REMOTE);
  flush(to.editor);
}

function settle(all: Peer[]): void {
  for (let round = 0; round < 3; round++) for (const a of all) for (const b of all) if (a !== b) send(a, b);
}

const blockAt = (i: number): ElementNode => $getRoot().getChildAtIndex(i) as ElementNode;
const lastText = (node: LexicalNode): LexicalNode => ($isElementNode(node) ? lastText(node.getLastDescendant() ?? node) : node);

/** Types at the end of block `i`, as a keystroke does. */
function typeAtEnd(p: Peer, i: number, text: string, format?: 'bold'): void {
  p.editor.update(
    () => {
      const end = lastText(blockAt(i));
      const selection = $isTextNode(end) ? end.select() : blockAt(i).selectEnd();
      if (format) selection.formatText(format);
      selection.insertText(text);
    },
    { discrete: true },
  );
  flush(p.editor);
}

/** Types after the `offset`-th character of block `i`. */
function typeInside(p: Peer, i: number, offset: number, text: string): void {
  p.editor.update(() => {
    const first = blockAt(i).getFirstDescendant();
    if (!$isTextNode(first)) throw new Error('no text');
    first.select(offset, offset).insertText(text);
  }, { discrete: true });
  flush(p.editor);
}

function expectAgreed(all: Peer[], blocks: string): void {
  const text = (p: Peer) => p.editor.getEditorState().read(() => $getRoot().getChildren().map((b) => `${b.getType()}:${b.getTextContent()}`).join(' | '));
  for (const p of all) expect(text(p), `${p.name}\n${outline(p.editor)}`).toBe(blocks);
  const fresh = reloadFrom((all[0] as Peer).doc);
  peers.push(fresh);
  expect(JSON.stringify(stateOf(fresh.editor))).toBe(JSON.stringify(stateOf((all[0] as Peer).editor)));
}

describe('typing into a block a peer rewrites unseen', () => {
  it('a paragraph turned into a heading keeps the words typed at its end', () => {
    const [a, b] = notePeers(['a', 'b'], ['Hello world', 'Second']) as [Peer, Peer];
    a.editor.update(() => $setBlocksType(blockAt(0).selectEnd(), () => $createHeadingNode('h1')), { discrete: true });
    typeAtEnd(b, 0, ' again');
    settle([a, b]);
    expectAgreed([a, b], 'heading:Hello world again | paragraph:Second');
  });

  it('keeps words typed in the middle, and their bold, when the block becomes a list item', () => {
    const [a, b] = notePeers(['a', 'b'], ['one three', 'tail']) as [Peer, Peer];
    a.editor.update(() => {
      blockAt(0).selectEnd();
      $insertList('bullet');
    }, { discrete: true });
    typeInside(b, 0, 3, ' two');
    typeAtEnd(b, 0, '!', 'bold');
    settle([a, b]);
    expectAgreed([a, b], 'list:one two three! | paragraph:tail');
    const bold = b.editor.getEditorState().read(() => $getRoot().getAllTextNodes().filter((t) => t.hasFormat('bold')).map((t) => t.getTextContent()));
    expect(bold).toEqual(['!']);
  });

  it('a block joined into the one above keeps what was typed in it', () => {
    const [a, b] = notePeers(['a', 'b'], ['First', 'Second']) as [Peer, Peer];
    a.editor.update(() => {
      const first = blockAt(1).getFirstDescendant();
      if (!$isTextNode(first)) throw new Error('no text');
      first.select(0, 0).deleteCharacter(true);
    }, { discrete: true });
    typeAtEnd(b, 1, ' line');
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:FirstSecond line');
  });

  it('only the typist puts it back: a third peer that saw the typing adds no copy', () => {
    const [a, b, c] = notePeers(['a', 'b', 'c'], ['Hello', 'list me']) as [Peer, Peer, Peer];
    typeAtEnd(b, 1, ' now');
    send(b, c);
    a.editor.update(() => {
      blockAt(1).selectEnd();
      $insertList('number');
    }, { discrete: true });
    send(a, c);
    send(a, b);
    settle([a, b, c]);
    expectAgreed([a, b, c], 'paragraph:Hello | list:list me now');
  });

  it('a rewrite that had seen the typing is left alone', () => {
    const [a, b] = notePeers(['a', 'b'], ['Seen', 'x']) as [Peer, Peer];
    typeAtEnd(b, 0, ' typed');
    send(b, a);
    a.editor.update(() => $setBlocksType(blockAt(0).selectEnd(), () => $createHeadingNode('h2')), { discrete: true });
    settle([a, b]);
    expectAgreed([a, b], 'heading:Seen typed | paragraph:x');
  });

  it('a list turned back into paragraphs keeps the words typed in its item', () => {
    const [a, b] = notePeers(['a', 'b'], ['item']) as [Peer, Peer];
    a.editor.update(() => {
      blockAt(0).selectEnd();
      $insertList('check');
    }, { discrete: true });
    settle([a, b]);
    a.editor.update(() => {
      blockAt(0).selectEnd();
      $removeList();
    }, { discrete: true });
    typeAtEnd(b, 0, ' done');
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:item done');
  });

  it('a block deleted outright stays deleted', () => {
    const [a, b] = notePeers(['a', 'b'], ['keep', 'drop me']) as [Peer, Peer];
    a.editor.update(() => blockAt(1).remove(), { discrete: true });
    typeAtEnd(b, 1, ' please');
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:keep');
  });

  it('does nothing for local transactions or other clients’ text', () => {
    const doc = new Y.Doc();
    const text = doc.get('t', Y.XmlText) as Y.XmlText;
    let rescued = -1;
    doc.on('afterTransaction', (tr: Y.Transaction) => {
      rescued = rescueOrphanedText(tr, doc.clientID, 'test');
    });
    text.insert(0, 'abc');
    text.delete(0, 3);
    expect(rescued).toBe(0);
    doc.destroy();
  });
});
