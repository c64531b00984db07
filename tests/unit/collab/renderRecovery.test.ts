// @vitest-environment jsdom
/**
 * A remote change the editor fails to render never leaves it frozen or
 * silently stale (issue 14, item 3). Each failure path of the binding is
 * forced with content the schema firewall accepts (a level-3 heading) and a
 * failure injected into the victim's editor only:
 * (a) an error Lexical reports from the update that applies the change;
 * (b) an exception in the binding's Yjs observer, outside any Lexical update;
 * (c) an error while drawing the change into the DOM (createDOM throws);
 * plus an undo (a Yjs change applied from inside a Lexical command) failing.
 *
 * Oracle, each time: the text before is intact, the editor is editable again,
 * a local edit made after the failure reaches the Y.Doc (and the peer), and
 * the binding reported it exactly once. When even the rebuild fails, the
 * editor turns read-only, writes nothing back, and comes back on request.
 */
import { $createHeadingNode, HeadingNode } from '@lexical/rich-text';
import { $createTextNode, $getEditor, $getRoot, RootNode, UNDO_COMMAND, createEditor, type LexicalEditor, type LexicalNode } from 'lexical';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { noteText } from '../../../src/doc/noteText';
import { applySeed } from '../../../src/doc/seed';
import { bindEditorToDoc, type DocBinding } from '../../../src/editor/collab/bindEditorToDoc';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { EDITOR_THEME } from '../../../src/editor/theme';
import { failDrawingH3 } from '../editor/failDrawingH3';
import { typeAtEnd } from '../editor/typeAtEnd';
import { createTestEditor, flush } from './harness';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

/** What the binding told its owner. */
type Reports = { redrawn: Error[]; failed: Error[]; lexical: Error[] };

type Side = { doc: Y.Doc; editor: LexicalEditor; binding: DocBinding; reports: Reports; root: HTMLElement | null };

function bindSide(editor: LexicalEditor, reports: Reports, root: HTMLElement | null): Side {
  const doc = new Y.Doc();
  applySeed(doc);
  const binding = bindEditorToDoc(editor, doc, {
    onSyncError: (error) => reports.redrawn.push(error),
    onRenderFailure: (error) => reports.failed.push(error),
  });
  cleanups.push(() => binding.dispose());
  flush(editor);
  return { doc, editor, binding, reports, root };
}

/** A headless editor (no DOM), as in the app's exports and tests. */
function headless(): Side {
  const reports: Reports = { redrawn: [], failed: [], lexical: [] };
  return bindSide(createTestEditor(reports.lexical), reports, null);
}

/** An editor drawing into a DOM element, as in the app. */
function rendered(): Side {
  const reports: Reports = { redrawn: [], failed: [], lexical: [] };
  const root = document.createElement('div');
  root.contentEditable = 'true';
  document.body.append(root);
  const editor = createEditor({ namespace: 'victim', nodes: [...EDITOR_NODES], theme: EDITOR_THEME, onError: (e) => reports.lexical.push(e) });
  editor.setRootElement(root);
  cleanups.push(() => editor.setRootElement(null));
  return bindSide(editor, reports, root);
}

/** Two docs kept in sync both ways, as a transport would (remote origin). */
function link(a: Y.Doc, b: Y.Doc): void {
  const forward = (from: Y.Doc, to: Y.Doc) => {
    const on = (update: Uint8Array, origin: unknown) => {
      if (origin !== ORIGIN_REMOTE) Y.applyUpdate(to, update, ORIGIN_REMOTE);
    };
    from.on('update', on);
    cleanups.push(() => from.off('update', on));
  };
  forward(a, b);
  forward(b, a);
}

const textOf = (editor: LexicalEditor): string => {
  flush(editor);
  return editor.read(() => $getRoot().getTextContent());
};

/** The peer adds a level-3 heading: valid content, which the victim's injected failure trips on. */
function peerAddsHeading(peer: Side, text: string): void {
  peer.editor.update(() => $getRoot().append($createHeadingNode('h3').append($createTextNode(text))), { discrete: true });
  flush(peer.editor);
}

const isH3 = (node: LexicalNode): boolean => node instanceof HeadingNode && node.getTag() === 'h3';

/** Makes `victim`'s Lexical updates throw while inserting an h3 into the root, `times` times. */
function failInsertingH3(victim: Side, times: number): { left: () => number } {
  let left = times;
  const splice = RootNode.prototype.splice;
  vi.spyOn(RootNode.prototype, 'splice').mockImplementation(function (this: RootNode, start, deleteCount, nodes) {
    if (left > 0 && $getEditor() === victim.editor && nodes.some(isH3)) {
      left--;
      throw new Error('injected: inserting an h3 failed');
    }
    return splice.call(this, start, deleteCount, nodes);
  });
  return { left: () => left };
}

/** The common oracle after a recovered failure. */
function expectRecovered(victim: Side, peer: Side, headingText: string): void {
  expect(victim.binding.renderFailed).toBe(false);
  expect(victim.editor.isEditable()).toBe(true);
  expect(textOf(victim.editor)).toContain('Before the failure');
  expect(textOf(victim.editor)).toContain(headingText);
  expect(victim.reports.redrawn).toHaveLength(1);
  expect(victim.reports.failed).toEqual([]);
  // A local edit after the failure reaches the doc and the peer.
  typeAtEnd(victim.editor, ' typed after');
  flush(victim.editor);
  expect(noteText(victim.doc)).toContain(`${headingText} typed after`);
  expect(noteText(peer.doc)).toContain(`${headingText} typed after`);
  expect(noteText(victim.doc)).toContain('Before the failure');
  expect(textOf(peer.editor)).toBe(textOf(victim.editor));
}

describe('a remote change that fails to render', () => {
  it('(a) an error Lexical reports from the update applying it: rebuilt from the doc, one report', () => {
    const victim = headless();
    const peer = headless();
    link(victim.doc, peer.doc);
    typeAtEnd(victim.editor, 'Before the failure');
    const failure = failInsertingH3(victim, 1);
    peerAddsHeading(peer, 'Heading from the peer');
    expect(failure.left()).toBe(0);
    expectRecovered(victim, peer, 'Heading from the peer');
  });

  it('(b) an exception in the binding’s Yjs observer, outside any Lexical update: caught, rebuilt, one report', () => {
    const victim = headless();
    const peer = headless();
    typeAtEnd(victim.editor, 'Before the failure');
    Y.applyUpdate(peer.doc, Y.encodeStateAsUpdate(victim.doc), ORIGIN_REMOTE);
    flush(peer.editor);
    peerAddsHeading(peer, 'Heading from the peer');
    // @lexical/yjs reads each event's delta before its update starts; make that throw once.
    let left = 1;
    const delta = Object.getOwnPropertyDescriptor(Y.YEvent.prototype, 'delta')?.get as (this: Y.YEvent<Y.AbstractType<unknown>>) => unknown;
    vi.spyOn(Y.YEvent.prototype, 'delta', 'get').mockImplementation(function (this: Y.YEvent<Y.AbstractType<unknown>>) {
      if (left > 0) {
        left--;
        throw new Error('injected: the observer failed');
      }
      return delta.call(this) as never;
    });
    // Before: the exception left the observer and came out of applyUpdate, at the transport or storage.
    expect(() => Y.applyUpdate(victim.doc, Y.encodeStateAsUpdate(peer.doc), ORIGIN_REMOTE)).not.toThrow();
    expect(left).toBe(0);
    link(victim.doc, peer.doc);
    expectRecovered(victim, peer, 'Heading from the peer');
  });

  it('(c) drawing it into the DOM throws (also on Lexical’s own retry): the view is drawn afresh, one report', () => {
    const victim = rendered();
    const peer = headless();
    link(victim.doc, peer.doc);
    typeAtEnd(victim.editor, 'Before the failure');
    // Lexical retries a failed reconciliation once on an emptied root, then throws: fail both.
    const failure = failDrawingH3(2);
    peerAddsHeading(peer, 'Heading from the peer');
    expect(failure.left()).toBe(0);
    expect(victim.root?.querySelector('h3')?.textContent).toBe('Heading from the peer');
    expect(victim.root?.textContent).toContain('Before the failure');
    expectRecovered(victim, peer, 'Heading from the peer');
    // What the user sees follows the doc: the edit after the failure is drawn.
    expect(victim.root?.querySelector('h3')?.textContent).toBe('Heading from the peer typed after');
  });

  it('an undo whose change fails to render inside the undo command: rebuilt after the command, one report', async () => {
    const victim = headless();
    const peer = headless();
    link(victim.doc, peer.doc);
    typeAtEnd(victim.editor, 'Before the failure');
    victim.binding.undoManager.stopCapturing();
    victim.editor.update(() => $getRoot().append($createHeadingNode('h3').append($createTextNode('Heading from the peer'))), { discrete: true });
    flush(victim.editor);
    victim.binding.undoManager.stopCapturing();
    // Undoing this removal inserts the heading again.
    victim.editor.update(() => $getRoot().getLastChildOrThrow().remove(), { discrete: true });
    flush(victim.editor);
    expect(noteText(victim.doc)).toBe('Before the failure');
    const failure = failInsertingH3(victim, 1);
    victim.editor.dispatchCommand(UNDO_COMMAND, undefined);
    expect(failure.left()).toBe(0);
    // The sync was queued into the command's update: the rebuild follows it (a microtask later).
    await Promise.resolve();
    expect(victim.reports.redrawn).toHaveLength(1);
    expect(noteText(victim.doc)).toBe('Before the failure\nHeading from the peer');
    expect(textOf(victim.editor)).toBe('Before the failure\n\nHeading from the peer');
    typeAtEnd(victim.editor, ' typed after');
    expect(noteText(peer.doc)).toBe('Before the failure\nHeading from the peer typed after');
  });

  it('when even the rebuild fails: read-only, nothing written back, one report; it comes back once it can draw', () => {
    const victim = rendered();
    const peer = headless();
    link(victim.doc, peer.doc);
    typeAtEnd(victim.editor, 'Before the failure');
    const failure = failDrawingH3(Number.POSITIVE_INFINITY);
    peerAddsHeading(peer, 'Heading from the peer');
    expect(victim.binding.renderFailed).toBe(true);
    expect(victim.editor.isEditable()).toBe(false);
    expect(victim.reports.failed).toHaveLength(1);
    expect(victim.reports.redrawn).toEqual([]);
    // The doc is whole and keeps taking the peer's changes; the stale editor writes nothing.
    const before = Y.encodeStateVector(victim.doc);
    typeAtEnd(peer.editor, ', more from the peer');
    expect(noteText(victim.doc)).toBe('Before the failure\nHeading from the peer, more from the peer');
    expect(victim.reports.failed).toHaveLength(1);
    expect(Y.encodeStateAsUpdate(victim.doc, before).byteLength).toBeGreaterThan(0);
    expect(noteText(peer.doc)).toBe(noteText(victim.doc));

    // A retry that still cannot draw says so again and stays read-only.
    expect(victim.binding.rebuildView()).toBe(false);
    expect(victim.reports.failed).toHaveLength(2);
    expect(victim.editor.isEditable()).toBe(false);

    // Once the cause is gone, a retry draws the whole doc and editing works again.
    vi.restoreAllMocks();
    expect(failure.left()).toBe(Number.POSITIVE_INFINITY);
    expect(victim.binding.rebuildView()).toBe(true);
    expect(victim.binding.renderFailed).toBe(false);
    expect(victim.editor.isEditable()).toBe(true);
    expect(victim.root?.querySelector('h3')?.textContent).toBe('Heading from the peer, more from the peer');
    typeAtEnd(victim.editor, ' and mine');
    expect(noteText(peer.doc)).toBe('Before the failure\nHeading from the peer, more from the peer and mine');
  });

  it('local keystrokes Lexical has not committed yet are written to the doc before a failed change is rebuilt', () => {
    const victim = headless();
    const peer = headless();
    link(victim.doc, peer.doc);
    typeAtEnd(victim.editor, 'Before the failure');
    failInsertingH3(victim, 1);
    // Not discrete: Lexical commits this in a microtask, and the peer's change arrives first.
    victim.editor.update(() => $getRoot().getFirstChildOrThrow().selectEnd().insertText(' typed just now'));
    peerAddsHeading(peer, 'Heading from the peer');
    expect(victim.reports.redrawn).toHaveLength(1);
    expect(noteText(victim.doc)).toBe('Before the failure typed just now\nHeading from the peer');
    expect(textOf(victim.editor)).toBe('Before the failure typed just now\n\nHeading from the peer');
    expect(noteText(peer.doc)).toBe(noteText(victim.doc));
  });
});
