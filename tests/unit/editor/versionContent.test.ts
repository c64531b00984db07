/**
 * Restoring a version is a new local edit: two synced peers, one restores an
 * old version, both converge to the old content; a "delete everything"
 * vandal update is undone by restoring; the restore itself can be undone.
 */
import { $createParagraphNode, $createTextNode, $getRoot, UNDO_COMMAND, type LexicalEditor } from 'lexical';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { seedUpdate } from '../../../src/doc/seed';
import { readNoteState, replaceEditorContent } from '../../../src/editor/versionContent';
import { createPeer, flush, Network, reloadFrom, Rng, stateOf } from '../collab/harness';
import { $createHeadingNode } from '@lexical/rich-text';

function text(editor: LexicalEditor): string {
  flush(editor);
  return editor.getEditorState().read(() => $getRoot().getTextContent());
}

function write(editor: LexicalEditor, lines: string[], heading = false): void {
  editor.update(
    () => {
      const root = $getRoot();
      root.clear();
      lines.forEach((line, i) => {
        const block = heading && i === 0 ? $createHeadingNode('h1') : $createParagraphNode();
        block.append($createTextNode(line));
        root.append(block);
      });
    },
    { discrete: true },
  );
}

function pair() {
  const a = createPeer('a', { seed: seedUpdate() });
  const b = createPeer('b', { seed: seedUpdate() });
  const net = new Network([a, b], new Rng(1));
  return { a, b, net };
}

describe('readNoteState / replaceEditorContent', () => {
  it('reads a version back exactly as it was written, formatting included', () => {
    const { a } = pair();
    write(a.editor, ['Title', 'body text'], true);
    const content = readNoteState(Y.encodeStateAsUpdate(a.doc));
    expect(content.text).toBe('Title\n\nbody text');
    expect(content.json).toEqual(stateOf(a.editor));
  });

  it('two synced peers: one restores an old version, both converge to it, and a reload agrees', () => {
    const { a, b, net } = pair();
    write(a.editor, ['Version one', 'first body'], true);
    net.settle();
    const old = Y.encodeStateAsUpdate(a.doc);
    write(b.editor, ['Version two', 'rewritten by b']);
    net.settle();
    expect(text(a.editor)).toBe('Version two\n\nrewritten by b');

    replaceEditorContent(a.editor, readNoteState(old).json);
    net.settle();
    expect(text(a.editor)).toBe('Version one\n\nfirst body');
    expect(text(b.editor)).toBe('Version one\n\nfirst body');
    expect(stateOf(b.editor)).toEqual(stateOf(a.editor));
    expect(stateOf(reloadFrom(a.doc).editor)).toEqual(stateOf(a.editor));
    for (const peer of [a, b]) expect(peer.errors).toEqual([]);
  });

  it('restoring after a vandal deleted everything brings the text back, for every peer', () => {
    const { a, b, net } = pair();
    write(a.editor, ['Precious notes', 'that must survive']);
    net.settle();
    const version = Y.encodeStateAsUpdate(a.doc);
    // The vandal: a raw Yjs update deleting the whole root, from outside any editor.
    const vandal = new Y.Doc();
    Y.applyUpdate(vandal, Y.encodeStateAsUpdate(a.doc));
    const root = vandal.getXmlElement('root-v2');
    let deletion: Uint8Array | null = null;
    vandal.on('update', (u: Uint8Array) => (deletion = u));
    vandal.transact(() => root.delete(0, root.length));
    Y.applyUpdate(a.doc, deletion!, ORIGIN_REMOTE);
    Y.applyUpdate(b.doc, deletion!, ORIGIN_REMOTE);
    flush(a.editor);
    flush(b.editor);
    expect(text(a.editor)).toBe('');
    // Each editor puts an empty paragraph back into its emptied root; let those meet first.
    net.settle();

    replaceEditorContent(b.editor, readNoteState(version).json);
    net.settle();
    expect(text(a.editor)).toBe('Precious notes\n\nthat must survive');
    expect(stateOf(a.editor)).toEqual(stateOf(b.editor));
  });

  it('a restore is one undoable local edit', () => {
    const { a } = pair();
    write(a.editor, ['old']);
    const old = Y.encodeStateAsUpdate(a.doc);
    write(a.editor, ['new']);
    a.handle.undoManager.stopCapturing();
    replaceEditorContent(a.editor, readNoteState(old).json);
    expect(text(a.editor)).toBe('old');
    a.editor.dispatchCommand(UNDO_COMMAND, undefined);
    expect(text(a.editor)).toBe('new');
  });

  it('an empty version restores to one empty paragraph', () => {
    const { a } = pair();
    write(a.editor, ['something']);
    const empty = new Y.Doc();
    Y.applyUpdate(empty, seedUpdate());
    replaceEditorContent(a.editor, readNoteState(Y.encodeStateAsUpdate(empty)).json);
    expect(text(a.editor)).toBe('');
    expect(stateOf(a.editor).root.children).toHaveLength(1);
  });
});
