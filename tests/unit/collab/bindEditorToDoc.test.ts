/**
 * bindEditorToDoc: renders pre-existing content, routes undo/redo through the
 * Yjs UndoManager, keeps remote changes out of the local undo stack, publishes
 * presence, and dispose() stops everything.
 */
import {
  $createParagraphNode,
  $createTextNode,
  $getRoot,
  $isTextNode,
  CAN_REDO_COMMAND,
  CAN_UNDO_COMMAND,
  COMMAND_PRIORITY_CRITICAL,
  REDO_COMMAND,
  UNDO_COMMAND,
  type LexicalEditor,
} from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import type { NoteBindingVersion } from '../../../src/doc/noteRoot';
import { NOTE_BINDING } from '../../../src/doc/noteRoot';
import { ORIGIN_REMOTE, ORIGIN_STORAGE } from '../../../src/doc/origins';
import { applySeed, seedUpdate } from '../../../src/doc/seed';
import { MAX_UNDO_STEPS, bindEditorToDoc, type DocBinding } from '../../../src/editor/collab/bindEditorToDoc';
import { createSeedUpdate } from '../../../src/editor/collab/createSeedUpdate';
import { createTestEditor, flush } from './harness';
import { typeAtEnd } from '../editor/typeAtEnd';
import { waitFor } from '../waitFor';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function text(editor: LexicalEditor): string {
  flush(editor);
  return editor.getEditorState().read(() => $getRoot().getTextContent());
}

function bound(doc: Y.Doc, version: NoteBindingVersion = NOTE_BINDING, errors: Error[] = []): { editor: LexicalEditor; handle: DocBinding } {
  const editor = createTestEditor(errors);
  const handle = bindEditorToDoc(editor, doc, { bindingVersion: version });
  cleanups.push(() => handle.dispose());
  return { editor, handle };
}

function seedFor(version: NoteBindingVersion): Uint8Array {
  return version === NOTE_BINDING ? seedUpdate() : createSeedUpdate(version);
}

/** A doc with two paragraphs written by another editor, as storage would hold. */
function savedDoc(version: NoteBindingVersion): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, seedFor(version), ORIGIN_STORAGE);
  const { editor, handle } = bound(doc, version);
  typeAtEnd(editor, 'first');
  editor.update(() => {
    $getRoot().append($createParagraphNode().append($createTextNode('second').toggleFormat('bold')));
  }, { discrete: true });
  flush(editor);
  handle.dispose();
  return doc;
}

describe.each(['v1', 'v2'] as const)('bindEditorToDoc (binding %s)', (version) => {
  it('renders content already in the doc when binding', () => {
    const saved = savedDoc(version);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(saved), ORIGIN_STORAGE);
    const errors: Error[] = [];
    const { editor } = bound(doc, version, errors);
    const json = editor.getEditorState().toJSON();
    expect(json.root.children).toHaveLength(2);
    expect(text(editor)).toBe('first\n\nsecond');
    expect(errors).toEqual([]);
    // ...and editing it afterwards targets the rendered nodes, not a hidden copy.
    typeAtEnd(editor, '!');
    const check = bound(new Y.Doc(), version);
    Y.applyUpdate(check.handle.binding.doc, Y.encodeStateAsUpdate(doc), ORIGIN_REMOTE);
    expect(text(check.editor)).toBe('first\n\nsecond!');
  });

  it('renders content loaded after binding', () => {
    const saved = savedDoc(version);
    const doc = new Y.Doc();
    const { editor } = bound(doc, version);
    expect(text(editor)).toBe('');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(saved), ORIGIN_STORAGE);
    expect(text(editor)).toBe('first\n\nsecond');
  });

  it('replaces whatever the editor showed before with the doc', () => {
    const saved = savedDoc(version);
    const editor = createTestEditor();
    editor.update(() => $getRoot().append($createParagraphNode().append($createTextNode('stale'))), { discrete: true });
    const handle = bindEditorToDoc(editor, saved, { bindingVersion: version });
    cleanups.push(() => handle.dispose());
    expect(text(editor)).toBe('first\n\nsecond');
  });
});

describe('undo / redo', () => {
  function seeded(): { doc: Y.Doc; editor: LexicalEditor; handle: DocBinding } {
    const doc = new Y.Doc();
    const { editor, handle } = bound(doc);
    applySeed(doc);
    flush(editor);
    return { doc, editor, handle };
  }

  it('UNDO_COMMAND / REDO_COMMAND go through the Yjs undo manager and report CAN_UNDO / CAN_REDO', () => {
    const { editor, handle } = seeded();
    const canUndo: boolean[] = [];
    const canRedo: boolean[] = [];
    editor.registerCommand(CAN_UNDO_COMMAND, (v) => (canUndo.push(v), false), COMMAND_PRIORITY_CRITICAL);
    editor.registerCommand(CAN_REDO_COMMAND, (v) => (canRedo.push(v), false), COMMAND_PRIORITY_CRITICAL);
    expect(handle.undoManager.undoStack).toHaveLength(0); // the seed is not undoable
    typeAtEnd(editor, 'hello');
    handle.undoManager.stopCapturing();
    typeAtEnd(editor, ' world');
    expect(canUndo.at(-1)).toBe(true);
    editor.dispatchCommand(UNDO_COMMAND, undefined);
    expect(text(editor)).toBe('hello');
    expect(canRedo.at(-1)).toBe(true);
    editor.dispatchCommand(UNDO_COMMAND, undefined);
    expect(text(editor)).toBe('');
    expect(canUndo.at(-1)).toBe(false);
    editor.dispatchCommand(UNDO_COMMAND, undefined); // nothing left: the seed paragraph stays
    expect(editor.getEditorState().toJSON().root.children).toHaveLength(1);
    editor.dispatchCommand(REDO_COMMAND, undefined);
    editor.dispatchCommand(REDO_COMMAND, undefined);
    expect(text(editor)).toBe('hello world');
    expect(canRedo.at(-1)).toBe(false);
  });

  it('remote changes do not enter the local undo stack, and undo leaves them alone', () => {
    const a = seeded();
    const b = seeded();
    const link = (from: Y.Doc, to: Y.Doc) => {
      const on = (u: Uint8Array, origin: unknown) => {
        if (origin !== ORIGIN_REMOTE) Y.applyUpdate(to, u, ORIGIN_REMOTE);
      };
      from.on('update', on);
      cleanups.push(() => from.off('update', on));
    };
    link(a.doc, b.doc);
    link(b.doc, a.doc);
    typeAtEnd(a.editor, 'mine');
    a.handle.undoManager.stopCapturing();
    typeAtEnd(b.editor, ' theirs');
    expect(text(a.editor)).toBe('mine theirs');
    expect(a.handle.undoManager.undoStack).toHaveLength(1);
    a.editor.dispatchCommand(UNDO_COMMAND, undefined);
    expect(text(a.editor)).toBe(' theirs');
    expect(text(b.editor)).toBe(' theirs');
    // Untagged transactions are not treated as local edits either.
    Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc));
    expect(a.handle.undoManager.undoStack).toHaveLength(0);
  });
});

describe('dispose', () => {
  it('stops sync in both directions and unregisters undo', () => {
    const doc = new Y.Doc();
    const { editor, handle } = bound(doc);
    applySeed(doc);
    typeAtEnd(editor, 'a');
    handle.dispose();
    handle.dispose(); // idempotent

    const before = Y.encodeStateVector(doc);
    typeAtEnd(editor, 'b');
    expect(Y.encodeStateVector(doc)).toEqual(before); // editor → doc stopped

    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc), ORIGIN_REMOTE);
    const o = bound(other);
    typeAtEnd(o.editor, 'c');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other), ORIGIN_REMOTE);
    expect(text(editor)).toBe('ab'); // doc → editor stopped

    // UNDO_COMMAND is no longer handled by this binding.
    expect(editor.dispatchCommand(UNDO_COMMAND, undefined)).toBe(false);
  });
});

describe('presence', () => {
  it('publishes the user and the local selection in awareness, once per task of typing, and withdraws the caret on dispose', async () => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    cleanups.push(() => awareness.destroy());
    const editor = createTestEditor();
    const handle = bindEditorToDoc(editor, doc, { awareness, user: { name: 'Ada', color: '#c00' } });
    applySeed(doc);
    flush(editor);
    expect(awareness.getLocalState()).toMatchObject({ name: 'Ada', color: '#c00', anchorPos: null });
    let updates = 0;
    const count = () => updates++;
    awareness.on('update', count);
    cleanups.push(() => awareness.off('update', count));
    typeAtEnd(editor, 'h');
    typeAtEnd(editor, 'i');
    // Not inside the keystrokes: in a task after them, once for both.
    expect(updates).toBe(0);
    await waitFor('the caret published', () => (awareness.getLocalState() as { anchorPos: unknown }).anchorPos != null);
    expect(updates).toBe(1);
    const state = awareness.getLocalState() as { anchorPos: unknown; focusPos: unknown };
    expect(state.focusPos).not.toBeNull();
    typeAtEnd(editor, '!');
    handle.dispose();
    expect(awareness.getLocalState()).toMatchObject({ name: 'Ada', anchorPos: null, focusPos: null, focusing: false });
  });
});

describe('undo history is bounded', () => {
  it(`keeps the newest ${MAX_UNDO_STEPS} steps and lets Yjs collect what the dropped ones kept`, () => {
    const doc = new Y.Doc();
    applySeed(doc);
    const editor = createTestEditor();
    const binding = bindEditorToDoc(editor, doc);
    cleanups.push(() => binding.dispose(), () => doc.destroy());
    const firstDeleted: Y.Item[] = [];
    for (let step = 0; step < MAX_UNDO_STEPS + 100; step++) {
      typeAtEnd(editor, 'ab');
      binding.undoManager.stopCapturing();
      // Delete the 'b' just typed: an undo step that keeps a deleted item alive.
      editor.update(() => {
        const last = $getRoot().getLastDescendant();
        if ($isTextNode(last)) last.select(last.getTextContentSize() - 1, last.getTextContentSize()).removeText();
      }, { discrete: true });
      flush(editor);
      binding.undoManager.stopCapturing();
      if (step === 0) {
        const last = binding.undoManager.undoStack.at(-1);
        if (last) Y.iterateDeletedStructs(new Y.Transaction(doc, null, true), last.deletions, (s) => s instanceof Y.Item && firstDeleted.push(s));
      }
    }
    expect(binding.undoManager.undoStack).toHaveLength(MAX_UNDO_STEPS);
    expect(firstDeleted.length).toBeGreaterThan(0);
    expect(firstDeleted.every((item) => item.deleted && !item.keep)).toBe(true);
    // The newest steps still undo.
    binding.undoManager.undo();
    expect(text(editor).endsWith('ab')).toBe(true);
    expect(text(editor)).toHaveLength(MAX_UNDO_STEPS + 101);
  });
});

/**
 * deferLocalWrites: the app writes a keystroke to the doc in the task after the frame that shows
 * it. Here the "frame" is run by hand, so the tests say exactly when it comes.
 */
describe('edits written after the frame (deferLocalWrites)', () => {
  function deferredPair(): { a: { editor: LexicalEditor; handle: DocBinding; doc: Y.Doc; frame: () => void; frames: () => number }; b: { editor: LexicalEditor; doc: Y.Doc } } {
    const seed = seedUpdate();
    const docA = new Y.Doc();
    const docB = new Y.Doc();
    const scheduled: Array<() => void> = [];
    const editorA = createTestEditor([]);
    const handle = bindEditorToDoc(editorA, docA, { deferLocalWrites: (write) => scheduled.push(write) });
    cleanups.push(() => handle.dispose());
    Y.applyUpdate(docA, seed, ORIGIN_STORAGE);
    const b = bound(docB);
    Y.applyUpdate(docB, seed, ORIGIN_STORAGE);
    flush(editorA);
    flush(b.editor);
    let ran = 0;
    const frame = () => {
      for (const write of scheduled.splice(0)) {
        ran++;
        write();
      }
    };
    return { a: { editor: editorA, handle, doc: docA, frame, frames: () => ran }, b: { ...b, doc: docB } };
  }
  const docText = (doc: Y.Doc) => {
    const peer = new Y.Doc();
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc));
    const { editor } = bound(peer);
    return text(editor);
  };

  it('a burst of keystrokes reaches the doc in one transaction, once the frame has run', () => {
    const { a } = deferredPair();
    const updates: Uint8Array[] = [];
    a.doc.on('update', (u: Uint8Array) => updates.push(u));
    for (const ch of 'hello') typeAtEnd(a.editor, ch);
    expect(text(a.editor)).toBe('hello');
    expect(updates).toHaveLength(0); // shown, not written yet
    a.frame();
    expect(a.frames()).toBe(1); // one write scheduled for the burst
    expect(updates).toHaveLength(1);
    expect(docText(a.doc)).toBe('hello');
  });

  it('typing at two places before the frame writes each where it was typed (not one diff over the text between)', () => {
    const { a, b } = deferredPair();
    typeAtEnd(a.editor, 'one two');
    a.frame();
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc), ORIGIN_REMOTE);
    // b types in the middle; a, before its frame, types at the start and at the end.
    b.editor.update(() => {
      const t = $getRoot().getFirstDescendant();
      if ($isTextNode(t)) t.select(3, 3).insertText(' and');
    }, { discrete: true });
    a.editor.update(() => {
      const t = $getRoot().getFirstDescendant();
      if ($isTextNode(t)) t.select(0, 0).insertText('>');
    }, { discrete: true });
    typeAtEnd(a.editor, '!');
    a.frame();
    Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc), ORIGIN_REMOTE);
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc), ORIGIN_REMOTE);
    expect(text(a.editor)).toBe('>one and two!');
    expect(text(b.editor)).toBe('>one and two!');
  });

  it('a peer’s change arriving before the frame finds the waiting keystrokes already written', () => {
    const { a, b } = deferredPair();
    typeAtEnd(b.editor, 'Hello');
    Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc), ORIGIN_REMOTE);
    typeAtEnd(a.editor, ' world');
    const peerChange = (() => {
      const before = Y.encodeStateVector(b.doc);
      b.editor.update(() => {
        const t = $getRoot().getFirstDescendant();
        if ($isTextNode(t)) t.select(0, 0).insertText('Oh, ');
      }, { discrete: true });
      return Y.encodeStateAsUpdate(b.doc, before);
    })();
    // As a transport does: beforeRemoteUpdate, then apply. No frame has run.
    a.handle.beforeRemoteUpdate(peerChange);
    expect(docText(a.doc)).toBe('Hello world');
    Y.applyUpdate(a.doc, peerChange, ORIGIN_REMOTE);
    expect(text(a.editor)).toBe('Oh, Hello world');
    a.frame(); // nothing left to write
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc), ORIGIN_REMOTE);
    expect(text(b.editor)).toBe('Oh, Hello world');
  });

  it('writeLocalEdits writes them now; undo first writes what waits, then undoes it', () => {
    const { a } = deferredPair();
    typeAtEnd(a.editor, 'kept');
    a.handle.writeLocalEdits();
    expect(docText(a.doc)).toBe('kept');
    a.handle.undoManager.stopCapturing();
    typeAtEnd(a.editor, ' undone');
    a.editor.dispatchCommand(UNDO_COMMAND, undefined);
    expect(text(a.editor)).toBe('kept');
    expect(docText(a.doc)).toBe('kept');
    a.frame();
    expect(docText(a.doc)).toBe('kept');
  });

  it('a write that fails redraws the editor from the doc and never throws into whoever asked (a transport applying a peer’s change)', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, seedUpdate(), ORIGIN_STORAGE);
    const editor = createTestEditor([]);
    const resynced: Error[] = [];
    const handle = bindEditorToDoc(editor, doc, { deferLocalWrites: () => {}, onSyncError: (e) => resynced.push(e) });
    cleanups.push(() => handle.dispose());
    flush(editor);
    typeAtEnd(editor, 'kept');
    handle.writeLocalEdits();
    typeAtEnd(editor, ' lost');
    // The next transaction (the waiting write) fails; the redraw after it may use the doc again.
    const transact = doc.transact.bind(doc);
    doc.transact = () => {
      doc.transact = transact;
      throw new Error('write failed');
    };
    expect(() => handle.beforeRemoteUpdate(new Uint8Array([0, 0]))).not.toThrow();
    expect(resynced.map((e) => e.message)).toEqual(['write failed']);
    expect(text(editor)).toBe('kept'); // what the doc holds, drawn again
  });

  it('unbinding writes what waits', () => {
    const { a } = deferredPair();
    typeAtEnd(a.editor, 'last words');
    a.handle.dispose();
    expect(docText(a.doc)).toBe('last words');
  });
});
