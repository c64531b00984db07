/**
 * One person rewrites a block (its type, a join, a list) while another types
 * in it, neither having seen the other's change: the typing must survive,
 * once, where it was typed. Yjs has no move, so the rewrite deletes the block
 * and inserts a copy; the typist puts back what the copy lacks
 * (src/editor/collab/rescueOrphanedText.ts).
 */
import { $insertList, $removeList } from '@lexical/list';
import { $createHeadingNode, $createQuoteNode } from '@lexical/rich-text';
import { $setBlocksType } from '@lexical/selection';
import { $createParagraphNode, $createTextNode, $getRoot, $getSelection, $isElementNode, $isRangeSelection, $isTextNode, type ElementNode, type LexicalNode } from 'lexical';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { rescueOrphanedText } from '../../../src/editor/collab/rescueOrphanedText';
import { seedUpdate } from '../../../src/doc/seed';
import { createPeer, flush, outline, reloadFrom, stateOf, type Peer } from './harness';

const peers: Peer[] = [];
afterEach(() => {
  queues.clear();
  for (const p of peers.splice(0)) {
    p.handle.dispose();
    p.doc.destroy();
  }
});

/**
 * Peers that hold the same note: `lines` paragraphs. From then on each peer's
 * own changes queue up for every other peer as incremental updates, as a
 * live transport sends them; {@link send} delivers a queue.
 */
function notePeers(names: string[], lines: string[]): Peer[] {
  // Every peer but the first (which writes the lines) writes its edits as the app does when
  // `typistsDefer`: after the frame, which never comes by itself here, so a peer's change always
  // finds them waiting (beforeRemoteUpdate writes them) or `settle` writes them.
  const made = names.map((name, i) => createPeer(name, { clientID: 100 + i, seed: seedUpdate(), deferWrites: typistsDefer && i > 0 }));
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
  for (const other of made.slice(1)) deliver(other, Y.encodeStateAsUpdate(first.doc, Y.encodeStateVector(other.doc)));
  for (const from of made) {
    from.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === ORIGIN_REMOTE) return;
      for (const to of made) if (to !== from) queueOf(from, to).push(update);
    });
  }
  return made;
}

const queues = new Map<Peer, Map<Peer, Uint8Array[]>>();
function queueOf(from: Peer, to: Peer): Uint8Array[] {
  const byPeer = queues.get(from) ?? new Map<Peer, Uint8Array[]>();
  queues.set(from, byPeer);
  const queue = byPeer.get(to) ?? [];
  byPeer.set(to, queue);
  return queue;
}

/** Applies a peer's update as a transport does. */
function deliver(to: Peer, update: Uint8Array): void {
  to.handle.beforeRemoteUpdate(update);
  Y.applyUpdate(to.doc, update, ORIGIN_REMOTE);
  flush(to.editor);
}

/** Everything `from` sent to `to` so far. */
function send(from: Peer, to: Peer): void {
  // What `from` typed is sent once written (its frame came); `to`'s own edits still wait.
  from.handle.writeLocalEdits();
  const queue = queueOf(from, to);
  while (queue.length > 0) deliver(to, queue.shift() as Uint8Array);
}

function settle(all: Peer[]): void {
  for (let round = 0; round < 4; round++) for (const a of all) for (const b of all) if (a !== b) send(a, b);
}

/** Whether the typists' edits wait for their frame (see notePeers); each describe below runs both ways. */
let typistsDefer = false;

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

/** Backspace at the start of block `i`: joins it into the block above (a rewrite of both). */
function joinIntoAbove(p: Peer, i: number): void {
  p.editor.update(() => {
    const first = blockAt(i).getFirstDescendant();
    if (!$isTextNode(first)) throw new Error('no text');
    first.select(0, 0).deleteCharacter(true);
  }, { discrete: true });
  flush(p.editor);
}

/** Types at the peer's caret, wherever it is now (the user goes on typing). */
function typeAtCaret(p: Peer, text: string): void {
  p.editor.update(() => {
    const selection = $getSelection();
    if (!$isRangeSelection(selection)) throw new Error(`${p.name} has no caret`);
    selection.insertText(text);
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

describe.each([false, true])('typing into a block a peer rewrites unseen (edits written after the frame: %s)', (deferred) => {
  beforeEach(() => {
    typistsDefer = deferred;
  });

  it('a paragraph turned into a heading keeps the words typed at its end', () => {
    const [a, b] = notePeers(['a', 'b'], ['Hello world', 'Second']) as [Peer, Peer];
    a.editor.update(() => $setBlocksType(blockAt(0).selectEnd(), () => $createHeadingNode('h1')), { discrete: true });
    typeAtEnd(b, 0, ' again');
    settle([a, b]);
    expectAgreed([a, b], 'heading:Hello world again | paragraph:Second');
  });

  it('the typist’s caret stays after what it typed: the next keys follow it', () => {
    const [a, b] = notePeers(['a', 'b'], ['Hello world', 'Second']) as [Peer, Peer];
    a.editor.update(() => $setBlocksType(blockAt(0).selectEnd(), () => $createHeadingNode('h1')), { discrete: true });
    typeInside(b, 0, 5, ',');
    send(a, b);
    typeAtCaret(b, ' dear');
    settle([a, b]);
    expectAgreed([a, b], 'heading:Hello, dear world | paragraph:Second');
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
    joinIntoAbove(a, 1);
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

  it('keeps a keystroke still pending in the editor when the rewrite arrives (committed before it is applied)', () => {
    const [a, b] = notePeers(['a', 'b'], ['Hello world', 'Second']) as [Peer, Peer];
    a.editor.update(() => $setBlocksType(blockAt(0).selectEnd(), () => $createHeadingNode('h1')), { discrete: true });
    typeAtEnd(b, 0, ' ag');
    send(b, a);
    // Typed, not committed yet (Lexical commits in a microtask): the peer's change lands first.
    b.editor.update(() => {
      const selection = $getSelection();
      if (!$isRangeSelection(selection)) throw new Error('no caret');
      selection.insertText('ain');
    });
    // send() calls beforeRemoteUpdate, as a transport does: the pending keystroke is committed first.
    send(a, b);
    typeAtCaret(b, '!');
    settle([a, b]);
    expectAgreed([a, b], 'heading:Hello world again! | paragraph:Second');
  });

  it('puts back only the part the rewriter had not seen yet', () => {
    const [a, b] = notePeers(['a', 'b'], ['Hello world', 'Second']) as [Peer, Peer];
    typeAtEnd(b, 0, ' t');
    send(b, a);
    typeAtCaret(b, 'wo');
    a.editor.update(() => $setBlocksType(blockAt(0).selectEnd(), () => $createHeadingNode('h1')), { discrete: true });
    send(a, b);
    typeAtCaret(b, ' three');
    settle([a, b]);
    expectAgreed([a, b], 'heading:Hello world two three | paragraph:Second');
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

  it('a peer that saw the typing and replaced the block (a restored version) is not undone', () => {
    const [a, b] = notePeers(['a', 'b'], ['Version one']) as [Peer, Peer];
    typeAtEnd(b, 0, ' and more');
    send(b, a);
    a.editor.update(() => {
      const root = $getRoot();
      root.clear();
      root.append($createParagraphNode().append($createTextNode('Version two')));
    }, { discrete: true });
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:Version two');
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
      rescued = rescueOrphanedText(tr, Y.encodeStateAsUpdate(doc), doc.clientID, 'test');
    });
    text.insert(0, 'abc');
    text.delete(0, 3);
    expect(rescued).toBe(0);
    doc.destroy();
  });
});

/**
 * A split (Enter in the middle of a block) moves the text after the caret
 * into a new block: Yjs has no move, so the tail is deleted from the block and
 * inserted as a copy. What a peer types after a character of that tail, not
 * having seen the split, and the caret right after it, must follow the
 * character into the copy: else the typing lands at the split point and the
 * person's words are torn in two.
 */
describe.each([false, true])('typing after text a peer moves into a new block (a split) (edits written after the frame: %s)', (deferred) => {
  beforeEach(() => {
    typistsDefer = deferred;
  });

  /** Presses Enter after the `offset`-th character of block `i`. */
  function splitAt(p: Peer, i: number, offset: number): void {
    p.editor.update(() => {
      const first = blockAt(i).getFirstDescendant();
      if (!$isTextNode(first)) throw new Error('no text');
      first.select(offset, offset).insertParagraph();
    }, { discrete: true });
    flush(p.editor);
  }

  it('words typed at the end of a paragraph split in the middle follow its second half', () => {
    const [a, b] = notePeers(['a', 'b'], ['First half. Second half.']) as [Peer, Peer];
    splitAt(a, 0, 'First half. '.length);
    typeAtEnd(b, 0, ' typed by B');
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:First half.  | paragraph:Second half. typed by B');
  });

  it('the caret at the end of the moved half follows it: the next keys go there, not to the split point', () => {
    const [a, b] = notePeers(['a', 'b'], ['First half. Second half.']) as [Peer, Peer];
    b.editor.update(() => blockAt(0).selectEnd(), { discrete: true });
    splitAt(a, 0, 'First half. '.length);
    send(a, b);
    typeAtCaret(b, ' more');
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:First half.  | paragraph:Second half. more');
  });

  it('typing before, during and after the split stays one word after the moved text', () => {
    const [a, b] = notePeers(['a', 'b'], ['First half. Second half.']) as [Peer, Peer];
    typeAtEnd(b, 0, ' ty');
    send(b, a);
    splitAt(a, 0, 'First half. '.length);
    typeAtCaret(b, 'pe');
    send(a, b);
    typeAtCaret(b, 'd on');
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:First half.  | paragraph:Second half. typed on');
  });

  it('typing inside the moved half follows the character it was typed after', () => {
    const [a, b] = notePeers(['a', 'b'], ['alpha beta gamma']) as [Peer, Peer];
    splitAt(a, 0, 'alpha '.length);
    typeInside(b, 0, 'alpha beta'.length, ',');
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:alpha  | paragraph:beta, gamma');
  });

  it('typing before the split point stays where it was typed', () => {
    const [a, b] = notePeers(['a', 'b'], ['alpha beta gamma']) as [Peer, Peer];
    splitAt(a, 0, 'alpha beta '.length);
    typeInside(b, 0, 'alpha'.length, ',');
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:alpha, beta  | paragraph:gamma');
  });

  it('text the peer deleted (no copy anywhere) leaves the typing after it in place', () => {
    const [a, b] = notePeers(['a', 'b'], ['keep doomed']) as [Peer, Peer];
    a.editor.update(() => {
      const first = blockAt(0).getFirstDescendant();
      if (!$isTextNode(first)) throw new Error('no text');
      first.select('keep'.length, 'keep doomed'.length).removeText();
    }, { discrete: true });
    typeAtEnd(b, 0, ' saved');
    settle([a, b]);
    expectAgreed([a, b], 'paragraph:keep saved');
  });
});

/** Changes the type of block `i` as the toolbar does (a rewrite: delete the block, insert a copy). */
function rewriteAs(p: Peer, i: number, make: () => ElementNode): void {
  p.editor.update(() => $setBlocksType(blockAt(i).selectEnd(), make), { discrete: true });
  flush(p.editor);
}

describe.each([false, true])('two people rewrite one block at once (edits written after the frame: %s)', (deferred) => {
  beforeEach(() => {
    typistsDefer = deferred;
  });

  it('one copy survives, whichever update arrives first', () => {
    for (const firstToHear of ['a', 'b']) {
      const [a, b] = notePeers(['a', 'b'], ['Hello world', 'Second']) as [Peer, Peer];
      rewriteAs(a, 0, () => $createHeadingNode('h1'));
      rewriteAs(b, 0, () => $createQuoteNode());
      if (firstToHear === 'a') send(b, a);
      else send(a, b);
      settle([a, b]);
      // b (client 101) drops its copy: a's heading stays.
      expectAgreed([a, b], 'heading:Hello world | paragraph:Second');
      for (const p of peers.splice(0)) {
        p.handle.dispose();
        p.doc.destroy();
      }
      queues.clear();
    }
  });

  it('what the dropping side typed into its copy since is carried into the other copy, and its caret follows', () => {
    const [a, b] = notePeers(['a', 'b'], ['Hello world', 'Second']) as [Peer, Peer];
    rewriteAs(a, 0, () => $createHeadingNode('h1'));
    rewriteAs(b, 0, () => $createQuoteNode());
    typeAtEnd(b, 0, ' again');
    typeAtEnd(a, 0, '!');
    send(a, b);
    typeAtCaret(b, ' and again');
    settle([a, b]);
    expectAgreed([a, b], 'heading:Hello world! again and again | paragraph:Second');
  });

  it('the keeping side’s typing stays once; a third peer that saw both copies adds none', () => {
    const [a, b, c] = notePeers(['a', 'b', 'c'], ['Hello world', 'Second']) as [Peer, Peer, Peer];
    rewriteAs(a, 0, () => $createQuoteNode());
    rewriteAs(c, 0, () => $createHeadingNode('h2'));
    send(a, b);
    send(c, b);
    typeAtEnd(a, 0, ' too');
    settle([a, b, c]);
    expectAgreed([a, b, c], 'quote:Hello world too | paragraph:Second');
  });

  it('a block joined into the one above and turned into a heading at once keeps both copies (a duplicate beats a loss)', () => {
    const [a, b] = notePeers(['a', 'b'], ['First', 'Second']) as [Peer, Peer];
    joinIntoAbove(a, 1);
    rewriteAs(b, 1, () => $createHeadingNode('h1'));
    settle([a, b]);
    const text = a.editor.getEditorState().read(() => $getRoot().getTextContent());
    expect(text).toContain('FirstSecond');
    const agreed = (p: Peer) => p.editor.getEditorState().read(() => $getRoot().getTextContent());
    expect(agreed(b)).toBe(agreed(a));
  });
});
