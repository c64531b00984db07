/**
 * The keystroke fast path of the binding (src/editor/collab/syncTextEdits.ts):
 * typing inside a paragraph is written to its Y.XmlText without the library's
 * root-down diff, and everything it writes is exactly what that diff would
 * have written — checked by loading the doc into a fresh editor and by a
 * second peer. Whether the fast path ran is observed through the one thing the
 * full diff always does and the fast path never does: list the root's
 * children (`XmlElement.prototype.toArray` on the note's root).
 */
import {
  $createParagraphNode,
  $createTextNode,
  $getRoot,
  $getSelection,
  $isRangeSelection,
  $isTextNode,
  FORMAT_TEXT_COMMAND,
  UNDO_COMMAND,
  type ElementNode,
  type LexicalEditor,
} from 'lexical';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { seedUpdate } from '../../../src/doc/seed';
import { createPeer, flush, reloadFrom, stateOf, type Peer } from './harness';

const peers: Peer[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const p of peers.splice(0)) p.handle.dispose();
});

function peer(name: string): Peer {
  const p = createPeer(name, { seed: seedUpdate() });
  peers.push(p);
  return p;
}

/** Links two peers both ways, as a transport would (remote origin). */
function link(a: Peer, b: Peer): void {
  Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc), ORIGIN_REMOTE);
  Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc), ORIGIN_REMOTE);
  a.doc.on('update', (u: Uint8Array, origin: unknown) => origin !== ORIGIN_REMOTE && Y.applyUpdate(b.doc, u, ORIGIN_REMOTE));
  b.doc.on('update', (u: Uint8Array, origin: unknown) => origin !== ORIGIN_REMOTE && Y.applyUpdate(a.doc, u, ORIGIN_REMOTE));
}

function fill(editor: LexicalEditor, paragraphs: Array<string | Array<[string, 'bold' | null]>>): void {
  editor.update(() => {
    const root = $getRoot();
    root.clear();
    for (const content of paragraphs) {
      const p = $createParagraphNode();
      for (const [text, format] of typeof content === 'string' ? [[content, null] as const] : content) {
        const node = $createTextNode(text);
        if (format) node.toggleFormat(format);
        p.append(node);
      }
      root.append(p);
    }
  }, { discrete: true });
  flush(editor);
}

/** Runs `edit` as one discrete update and returns how often the root's children were listed meanwhile. */
function rootListings(p: Peer, edit: () => void): number {
  const root = p.doc.get('root-v2', Y.XmlElement);
  const spy = vi.spyOn(Y.XmlElement.prototype, 'toArray');
  try {
    p.editor.update(edit, { discrete: true });
    flush(p.editor);
    return spy.mock.contexts.filter((self) => self === root).length;
  } finally {
    spy.mockRestore();
  }
}

const paragraph = (i: number): ElementNode => $getRoot().getChildAtIndex<ElementNode>(i)!;

/** Places the caret (its own update, as a click would be), then returns the keystroke. */
function typeAt(p: Peer, i: number, offset: number, text: string): () => void {
  p.editor.update(() => {
    const node = paragraph(i).getFirstChild();
    if (!$isTextNode(node)) throw new Error('no text node');
    // In a browser Lexical takes the caret's format from the text it lands in
    // (on selectionchange); headless, say so, or typing splits a bold run.
    const selection = node.select(offset, offset);
    selection.setFormat(node.getFormat());
    selection.setStyle(node.getStyle());
  }, { discrete: true });
  return () => {
    const selection = $getSelection();
    if (!$isRangeSelection(selection)) throw new Error('no caret');
    selection.insertText(text);
  };
}

function expectSameEverywhere(...ps: Peer[]): void {
  const want = stateOf(ps[0]!.editor);
  for (const p of ps) {
    expect(stateOf(p.editor)).toEqual(want);
    const fresh = reloadFrom(p.doc);
    peers.push(fresh);
    expect(stateOf(fresh.editor)).toEqual(want);
    expect(p.errors).toEqual([]);
    expect(p.resyncs).toEqual([]);
  }
}

describe('typing inside a paragraph (fast path)', () => {
  it('writes only the edited text, without listing the root, and a fresh editor and a peer see the same', () => {
    const a = peer('a');
    const b = peer('b');
    link(a, b);
    fill(a.editor, Array.from({ length: 200 }, (_, i) => `paragraph ${i} with some words`));
    expect(rootListings(a, typeAt(a, 100, 3, 'X'))).toBe(0);
    expect(rootListings(a, typeAt(a, 100, 0, 'start '))).toBe(0);
    expect(rootListings(a, typeAt(a, 199, 28, '!'))).toBe(0);
    expect(a.editor.getEditorState().read(() => paragraph(100).getTextContent())).toBe('start parXagraph 100 with some words');
    expectSameEverywhere(a, b);
  });

  it('deletes characters the same way (backspace, a selected range)', () => {
    const a = peer('a');
    fill(a.editor, ['first line', 'second line here', 'third']);
    expect(
      rootListings(a, () => {
        const node = paragraph(1).getFirstChild();
        if (!$isTextNode(node)) throw new Error('no text node');
        node.select(5, 6).removeText();
      }),
    ).toBe(0);
    expect(
      rootListings(a, () => {
        const node = paragraph(1).getFirstChild();
        if (!$isTextNode(node)) throw new Error('no text node');
        node.select(0, 5).insertText('');
      }),
    ).toBe(0);
    expect(a.editor.getEditorState().read(() => paragraph(1).getTextContent())).toBe(' line here');
    expectSameEverywhere(a);
  });

  it('keeps the run’s formatting when typing at its start, middle and end', () => {
    const a = peer('a');
    const b = peer('b');
    link(a, b);
    fill(a.editor, [[['bold words', 'bold']], 'plain']);
    // A caret at the very start of a bold run types plain text in Lexical
    // (a new node: the full diff); rewriting the node's text puts the change
    // at index 0 of the XmlText, where Yjs would not inherit the formatting.
    expect(
      rootListings(a, () => {
        const node = paragraph(0).getFirstChild();
        if (!$isTextNode(node)) throw new Error('no text node');
        node.setTextContent(`>${node.getTextContent()}`);
      }),
    ).toBe(0);
    expect(rootListings(a, typeAt(a, 0, 5, '-'))).toBe(0);
    expect(rootListings(a, typeAt(a, 0, 12, '<'))).toBe(0);
    const fresh = reloadFrom(a.doc);
    peers.push(fresh);
    const runs = fresh.editor.getEditorState().read(() =>
      paragraph(0)
        .getChildren()
        .map((n) => ($isTextNode(n) ? [n.getTextContent(), n.hasFormat('bold')] : null)),
    );
    expect(runs).toEqual([['>bold- words<', true]]);
    expectSameEverywhere(a, b);
  });

  it('one keystroke is one undo step, and undo restores the text on every peer', () => {
    const a = peer('a');
    const b = peer('b');
    link(a, b);
    fill(a.editor, ['hello world']);
    a.handle.undoManager.stopCapturing();
    expect(rootListings(a, typeAt(a, 0, 5, ','))).toBe(0);
    a.editor.dispatchCommand(UNDO_COMMAND, undefined);
    flush(a.editor);
    expect(a.editor.getEditorState().read(() => $getRoot().getTextContent())).toBe('hello world');
    expectSameEverywhere(a, b);
  });

  it('rendering a peer’s keystroke writes nothing back, without listing the root', () => {
    const a = peer('a');
    const b = peer('b');
    link(a, b);
    fill(a.editor, Array.from({ length: 50 }, (_, i) => `line ${i}`));
    let writesByB = 0;
    b.doc.on('update', (_u: Uint8Array, origin: unknown) => {
      if (origin === b.handle.origin) writesByB++;
    });
    // B renders A's keystroke, and its write-back check takes the fast path
    // too (the remote render gives the text node a new, equal state object).
    const rootOfB = b.doc.get('root-v2', Y.XmlElement);
    const spy = vi.spyOn(Y.XmlElement.prototype, 'toArray');
    a.editor.update(typeAt(a, 25, 2, 'abc'), { discrete: true });
    flush(a.editor);
    flush(b.editor);
    expect(spy.mock.contexts.filter((self) => self === rootOfB)).toHaveLength(0);
    spy.mockRestore();
    expect(writesByB).toBe(0);
    expectSameEverywhere(a, b);
  });
});

describe('a paragraph of several runs (bold, plain) takes the fast path too', () => {
  it.each([
    ['typing into the second run', 2, 1],
    ['typing at the start of the second run', 2, 0],
  ] as const)('%s', (_name, child, offset) => {
    const a = peer('a');
    const b = peer('b');
    link(a, b);
    fill(a.editor, ['first', 'second line', [['bold', 'bold'], [' plain', null]]]);
    const edit = (): void => {
      const node = child === 2 ? paragraph(2).getLastChild() : paragraph(2).getFirstChild();
      if (!$isTextNode(node)) throw new Error('no text node');
      node.select(offset, offset).insertText('x');
    };
    expect(rootListings(a, edit)).toBe(0);
    expectSameEverywhere(a, b);
    expect(stateOf(reloadFrom(a.doc).editor)).toEqual(stateOf(a.editor));
  });
});

describe('typing at the start of a plain run right after a bold one', () => {
  it('stays plain in Yjs, as on screen (convergence seed 2404143434)', () => {
    const a = peer('a');
    const b = peer('b');
    link(a, b);
    // A plain segment with no attributes at all after a bold one: what merges of
    // peers' edits leave (the binding itself tags the segments it writes).
    b.doc.transact(() => {
      const root = b.doc.get('root-v2', Y.XmlElement);
      root.delete(0, root.length);
      const paragraphType = new Y.XmlElement('paragraph');
      const text = new Y.XmlText();
      paragraphType.insert(0, [text]);
      root.insert(0, [paragraphType]);
      text.insert(0, 'bold', { p: { __format: 1 } });
      text.insert(4, ' plain', { p: null });
    }, 'another app');
    flush(a.editor);
    flush(b.editor);
    // The caret at the plain run's start with its (no) format, as a click there leaves it.
    a.editor.update(() => {
      const plain = paragraph(0).getLastChild();
      if (!$isTextNode(plain)) throw new Error('no text node');
      plain.select(0, 0).setFormat(0);
    }, { discrete: true });
    const edit = (): void => {
      const selection = $getSelection();
      if (!$isRangeSelection(selection)) throw new Error('no caret');
      selection.insertText('new');
    };
    expect(rootListings(a, edit)).toBe(0);
    expect(a.editor.getEditorState().read(() => paragraph(0).getChildren().map((n) => n.getTextContent()))).toEqual(['bold', 'new plain']);
    // The typed text carries no bold in the doc: a reload and the peer show it plain too.
    expectSameEverywhere(a, b);
  });
});

describe('everything else takes the full diff, and still agrees', () => {
  it.each([
    ['Enter (a new paragraph)', () => {
      const node = paragraph(1).getFirstChild();
      if (!$isTextNode(node)) throw new Error('no text node');
      node.select(3, 3).insertParagraph();
    }],
    ['formatting a word', () => {
      const node = paragraph(1).getFirstChild();
      if (!$isTextNode(node)) throw new Error('no text node');
      node.select(0, 3);
      const selection = $getSelection();
      if ($isRangeSelection(selection)) selection.formatText('italic');
    }],
    ['typing into an empty paragraph', () => {
      paragraph(3).select().insertText('new');
    }],
    ['typing at the end of a bold run (Lexical decides which run gets it)', () => {
      const node = paragraph(2).getFirstChild();
      if (!$isTextNode(node)) throw new Error('no text node');
      node.select(4, 4).insertText('x');
    }],
  ])('%s', (_name, edit) => {
    const a = peer('a');
    const b = peer('b');
    link(a, b);
    fill(a.editor, ['first', 'second line', [['bold', 'bold'], [' plain', null]], '']);
    expect(rootListings(a, edit)).toBeGreaterThan(0);
    expectSameEverywhere(a, b);
  });

  it('a format toggled at a collapsed caret then typing', () => {
    const a = peer('a');
    fill(a.editor, ['some text']);
    a.editor.update(() => {
      const node = paragraph(0).getFirstChild();
      if ($isTextNode(node)) node.select(4, 4);
    }, { discrete: true });
    a.editor.dispatchCommand(FORMAT_TEXT_COMMAND, 'bold');
    a.editor.update(() => {
      const selection = $getSelection();
      if ($isRangeSelection(selection)) selection.insertText('!');
    }, { discrete: true });
    flush(a.editor);
    expectSameEverywhere(a);
    expect(stateOf(reloadFrom(a.doc).editor)).toEqual(stateOf(a.editor));
  });
});
