import { createHeadlessEditor } from '@lexical/headless';
import { $getRoot } from 'lexical';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { applySeed } from '../../../src/doc/seed';
import { bindEditorToDoc } from '../../../src/editor/collab/bindEditorToDoc';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { readNoteState } from '../../../src/editor/versionContent';
import { MAX_NODE_DEPTH } from '../../../src/doc/noteSchema';
import { plainText, repairNoteDoc } from '../../../src/doc/repairNoteDoc';
import { checkNoteUpdate } from '../../../src/sync/updateFirewall';
import { block, headingWithTag, hostileEdit, linkWithUrl, missingDependency, nestedQuotes } from '../sync/hostileUpdates';

const seeded = (): Y.Doc => {
  const doc = new Y.Doc();
  applySeed(doc);
  return doc;
};

/** A stored note holding `update` applied without the firewall, as before it existed. */
const storedWith = (...updates: Uint8Array[]): Y.Doc => {
  const doc = seeded();
  Y.applyUpdate(doc, hostileEdit(doc, (root) => root.insert(1, [block('paragraph', {}, 'valid text')])));
  for (const update of updates) Y.applyUpdate(doc, update);
  return doc;
};

const editorText = (doc: Y.Doc): string => {
  const editor = createHeadlessEditor({ nodes: EDITOR_NODES, onError: (e) => { throw e; } });
  const binding = bindEditorToDoc(editor, doc);
  editor.update(() => $getRoot().selectEnd().insertText(' typed'), { discrete: true });
  const text = editor.read(() => $getRoot().getTextContent());
  binding.dispose();
  return text;
};

describe('repairNoteDoc', () => {
  it('changes nothing in a valid note', () => {
    const doc = storedWith();
    const before = Y.encodeStateAsUpdate(doc);
    expect(repairNoteDoc(doc, 'repair')).toMatchObject({ fixes: 0, pendingDropped: false, unrepairable: false });
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });

  it.each([
    ['a bad heading tag', (d: Y.Doc) => headingWithTag(d, 'x y')],
    ['an iframe heading', (d: Y.Doc) => headingWithTag(d, 'iframe')],
    ['a non-string link URL', (d: Y.Doc) => linkWithUrl(d, 42)],
    ['2,000 nested quotes', (d: Y.Doc) => nestedQuotes(d, 2_000)],
    ['an unknown element', (d: Y.Doc) => hostileEdit(d, (root) => root.insert(0, [block('script', {}, 'alert')]))],
    ['text under the root', (d: Y.Doc) => hostileEdit(d, (root) => { const t = new Y.XmlText(); t.insert(0, 'loose'); root.insert(0, [t]); })],
  ])('repairs %s, keeping the text, and the editor works after', (_name, make) => {
    const doc = storedWith();
    Y.applyUpdate(doc, make(doc));
    const textBefore = plainText(doc.get('root-v2', Y.XmlElement));
    const report = repairNoteDoc(doc, 'repair');
    expect(report.fixes).toBeGreaterThan(0);
    // Everything now passes the firewall as a whole-note sync.
    expect(checkNoteUpdate(seeded(), Y.encodeStateAsUpdate(doc), { kind: "sync" })).toEqual({ ok: true });
    expect(plainText(doc.get('root-v2', Y.XmlElement)).replace(/\s/g, '')).toBe(textBefore.replace(/\s/g, ''));
    expect(editorText(doc)).toContain('valid text');
    expect(editorText(doc)).toContain('typed');
    expect(repairNoteDoc(doc, 'repair').fixes).toBe(0);
  });

  it('reports 20,000 nested quotes unrepairable and leaves them (deleting them would overflow the stack in Yjs)', () => {
    const doc = storedWith();
    Y.applyUpdate(doc, nestedQuotes(doc, 20_000));
    const before = Y.encodeStateAsUpdate(doc);
    expect(repairNoteDoc(doc, 'repair')).toMatchObject({ unrepairable: true });
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });

  it(`flattens below depth ${MAX_NODE_DEPTH} only`, () => {
    const doc = storedWith();
    Y.applyUpdate(doc, nestedQuotes(doc, MAX_NODE_DEPTH));
    expect(repairNoteDoc(doc, 'repair').fixes).toBe(0);
  });

  it('drops structs waiting for dependencies that never came', () => {
    const base = storedWith();
    const [, dependent] = missingDependency(base, 5);
    const doc = storedWith(dependent);
    expect(doc.store.pendingStructs).not.toBeNull();
    expect(repairNoteDoc(doc, 'repair').pendingDropped).toBe(true);
    expect(doc.store.pendingStructs).toBeNull();
  });

  it('makes a stored version with a bad heading tag readable (restore failed with Lexical #75)', () => {
    const doc = storedWith();
    Y.applyUpdate(doc, headingWithTag(doc, 'x y'));
    const content = readNoteState(Y.encodeStateAsUpdate(doc));
    expect(content.text).toContain('valid text');
    expect(content.text).toContain('hostile');
  });
});
