import { createHeadlessEditor } from '@lexical/headless';
import { $createAutoLinkNode, $createLinkNode } from '@lexical/link';
import { $createListItemNode, $createListNode, type ListItemNode } from '@lexical/list';
import { $createHeadingNode, $createQuoteNode } from '@lexical/rich-text';
import { $createCodeNode } from '@lexical/code';
import { $createLineBreakNode, $createParagraphNode, $createTabNode, $createTextNode, $getRoot } from 'lexical';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { applySeed } from '../../../src/doc/seed';
import { bindEditorToDoc } from '../../../src/editor/collab/bindEditorToDoc';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { MAX_NODE_DEPTH, NOTE_ROOT_NAME } from '../../../src/doc/noteSchema';
import { MAX_NEW_CLIENTS_PER_UPDATE, MAX_PENDING_STRUCTS, MAX_UPDATE_BYTES, applyCheckedUpdate, checkNoteUpdate } from '../../../src/sync/updateFirewall';
import { block, headingWithTag, hostileEdit, linkWithUrl, manyClients, missingDependency, nestedQuotes } from './hostileUpdates';

const seeded = (): Y.Doc => {
  const doc = new Y.Doc();
  applySeed(doc);
  return doc;
};

/** Every kind of content Weft's editor writes, as one update. */
function richUpdate(): Uint8Array {
  const doc = seeded();
  const before = Y.encodeStateVector(doc);
  const editor = createHeadlessEditor({ nodes: EDITOR_NODES, onError: (e) => { throw e; } });
  const binding = bindEditorToDoc(editor, doc);
  editor.update(
    () => {
      const h = $createHeadingNode('h2');
      h.append($createTextNode('Head'));
      h.setIndent(2);
      h.setFormat('center');
      const p = $createParagraphNode();
      const bold = $createTextNode('bold');
      bold.toggleFormat('bold');
      const link = $createLinkNode('https://example.org/', { title: 't', target: '_blank', rel: 'noopener' });
      link.append($createTextNode('link'));
      const autoLink = $createAutoLinkNode('https://www.example.org');
      autoLink.append($createTextNode('www.example.org'));
      const unlinked = $createAutoLinkNode('mailto:me@example.org', { isUnlinked: true });
      unlinked.append($createTextNode('me@example.org'));
      p.append($createTextNode('a'), bold, $createLineBreakNode(), $createTabNode(), link, $createTextNode(' '), autoLink, $createTextNode(' '), unlinked);
      const q = $createQuoteNode();
      q.append($createTextNode('q'));
      const list = $createListNode('check', 3);
      const li = $createListItemNode(true);
      li.append($createTextNode('item'));
      const nested = $createListNode('bullet');
      const inner = $createListItemNode();
      inner.append($createTextNode('n'));
      nested.append(inner);
      const li2 = $createListItemNode();
      li2.append(nested);
      list.append(li, li2);
      const code = $createCodeNode('js');
      code.append($createTextNode('let x'));
      $getRoot().append(h, p, q, list, code);
    },
    { discrete: true },
  );
  binding.dispose();
  return Y.encodeStateAsUpdate(doc, before);
}

const expectRejected = (doc: Y.Doc, update: Uint8Array, kind: 'sync' | 'update' = 'update'): string => {
  const before = Y.encodeStateAsUpdate(doc);
  const verdict = applyCheckedUpdate(doc, update, 'test', kind);
  expect(verdict.ok).toBe(false);
  expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  return verdict.ok ? '' : verdict.reason;
};

describe('updateFirewall', () => {
  it('accepts everything the editor writes, as an update and as a sync', () => {
    const update = richUpdate();
    expect(checkNoteUpdate(seeded(), update)).toEqual({ ok: true });
    expect(checkNoteUpdate(seeded(), update, { kind: 'sync' })).toEqual({ ok: true });
  });

  it.each([['x y'], ['iframe'], ['form'], ['input'], ['script'], [42]])('rejects a heading with __tag %j', (tag) => {
    expect(expectRejected(seeded(), headingWithTag(seeded(), tag))).toMatch(/__tag/);
  });

  it('accepts an attribute set several times in a row, which Yjs merges into one item, and checks every value of it', () => {
    // A link made as you type has its URL set once per key; with nothing else written in
    // between, Yjs merges the successive values into one item (the last one is the value):
    // the full state of a note with such a link was refused before.
    const withUrls = (urls: unknown[]) => {
      const doc = seeded();
      const before = Y.encodeStateVector(doc);
      const root = doc.get(NOTE_ROOT_NAME, Y.XmlElement);
      // The editor's undo manager keeps overwritten values (for undo), so they are not
      // garbage-collected and the successive values stay in the update.
      const undo = new Y.UndoManager(root);
      const link = block('autolink', { __url: 'https://www.example.o' });
      root.insert(root.length, [new Y.XmlElement('paragraph')]);
      (root.get(root.length - 1) as Y.XmlElement).insert(0, [link]);
      // One transaction per set, as one per key.
      for (const url of urls) link.setAttribute('__url', url as string);
      undo.destroy();
      return Y.encodeStateAsUpdate(doc, before);
    };
    const merged = (update: Uint8Array) =>
      Y.decodeUpdate(update).structs.some((s) => s instanceof Y.Item && s.content instanceof Y.ContentAny && s.content.arr.length > 1);
    const honest = withUrls(['https://www.example.or', 'https://www.example.org']);
    expect(merged(honest)).toBe(true);
    expect(checkNoteUpdate(seeded(), honest)).toEqual({ ok: true });
    expect(checkNoteUpdate(seeded(), honest, { kind: 'sync' })).toEqual({ ok: true });
    for (const urls of [[42, 'https://example.org'], ['https://example.org', { href: 'x' }]]) {
      const hostile = withUrls(urls);
      expect(merged(hostile)).toBe(true);
      expect(expectRejected(seeded(), hostile)).toMatch(/__url/);
    }
  });

  it('accepts the whole state of a note whose checklist item was ticked and unticked in a row (merged values of __checked)', () => {
    const doc = seeded();
    const editor = createHeadlessEditor({ nodes: EDITOR_NODES, onError: (e) => { throw e; } });
    const binding = bindEditorToDoc(editor, doc);
    editor.update(() => $getRoot().append($createListNode('check').append($createListItemNode(false).append($createTextNode('task')))), { discrete: true });
    for (let i = 0; i < 3; i++) {
      editor.update(() => $getRoot().getAllTextNodes()[0]?.getParentOrThrow<ListItemNode>().toggleChecked(), { discrete: true });
    }
    binding.dispose();
    const state = Y.encodeStateAsUpdate(doc);
    expect(Y.decodeUpdate(state).structs.some((s) => s instanceof Y.Item && s.content instanceof Y.ContentAny && s.content.arr.length > 1)).toBe(true);
    expect(checkNoteUpdate(seeded(), state, { kind: 'sync' })).toEqual({ ok: true });
  });

  it('accepts the six heading tags', () => {
    for (const tag of ['h1', 'h2', 'h3', 'h4', 'h5', 'h6']) expect(checkNoteUpdate(seeded(), headingWithTag(seeded(), tag)).ok).toBe(true);
  });

  it.each([[42], [{ href: 'x' }], [null], [['a']]])('rejects a link whose URL is %j', (url) => {
    // null removes the attribute in Yjs, so it is not a value a link URL can have here either way.
    if (url === null) return;
    expect(expectRejected(seeded(), linkWithUrl(seeded(), url))).toMatch(/__url/);
  });

  it('rejects unknown node types, text under the root, list items outside lists, unknown attributes', () => {
    const doc = seeded();
    expect(expectRejected(doc, hostileEdit(doc, (root) => root.insert(0, [block('iframe', {})])))).toMatch(/unknown element/);
    expect(expectRejected(doc, hostileEdit(doc, (root) => { const t = new Y.XmlText(); t.insert(0, 'x'); root.insert(0, [t]); }))).toMatch(/text directly/);
    expect(expectRejected(doc, hostileEdit(doc, (root) => root.insert(0, [block('listitem', {})])))).toMatch(/listitem inside root/);
    expect(expectRejected(doc, hostileEdit(doc, (root) => root.insert(0, [block('paragraph', { onclick: 'x' })])))).toMatch(/unknown attribute/);
    expect(expectRejected(doc, hostileEdit(doc, (root) => root.insert(0, [block('paragraph', { __indent: 1e9 })])))).toMatch(/__indent/);
    expect(expectRejected(doc, hostileEdit(doc, (root) => (root.get(0) as Y.XmlElement).setAttribute('__slots', new Y.Map() as unknown as string)))).toBeTruthy();
    expect(expectRejected(doc, hostileEdit(doc, (_root, d) => d.getMap('other').set('a', 1)))).toMatch(/outside/);
    expect(
      expectRejected(doc, hostileEdit(doc, (root) => {
        const p = block('paragraph', {});
        root.insert(0, [p]);
        (p.get(0) as Y.XmlText).format(0, 2, { p: { __format: 1 << 20 } });
      })),
    ).toMatch(/__format/);
  });

  it(`rejects nesting deeper than ${MAX_NODE_DEPTH} and accepts it up to there`, () => {
    expect(checkNoteUpdate(seeded(), nestedQuotes(seeded(), MAX_NODE_DEPTH)).ok).toBe(true);
    expect(expectRejected(seeded(), nestedQuotes(seeded(), MAX_NODE_DEPTH + 1))).toMatch(/nesting/);
    expect(expectRejected(seeded(), nestedQuotes(seeded(), 20_000))).toMatch(/nesting/);
  });

  it('bounds new client ids per update, more for a sync', () => {
    expect(checkNoteUpdate(seeded(), manyClients(seeded(), MAX_NEW_CLIENTS_PER_UPDATE)).ok).toBe(true);
    expect(expectRejected(seeded(), manyClients(seeded(), MAX_NEW_CLIENTS_PER_UPDATE + 1))).toMatch(/client ids/);
    expect(checkNoteUpdate(seeded(), manyClients(seeded(), 200), { kind: 'sync' }).ok).toBe(true);
  });

  it('bounds update size outside the initial sync', () => {
    const doc = seeded();
    const big = hostileEdit(doc, (root) => root.insert(0, [block('paragraph', {}, 'x'.repeat(MAX_UPDATE_BYTES))]));
    expectRejected(doc, big);
    expect(checkNoteUpdate(doc, big, { kind: 'sync' }).ok).toBe(true);
  });

  it('bounds structs waiting for dependencies, and checks them in full once the dependency arrives', () => {
    const doc = seeded();
    const [, tooMany] = missingDependency(doc, MAX_PENDING_STRUCTS + 1);
    expect(expectRejected(doc, tooMany)).toMatch(/missing dependencies/);
    expect(doc.store.pendingStructs).toBeNull();

    // A dependent update that is fine on its own waits; its dependency then integrates both.
    const [withheld, dependent] = missingDependency(doc, 3);
    expect(applyCheckedUpdate(doc, dependent, 'test').ok).toBe(true);
    expect(doc.store.pendingStructs).not.toBeNull();
    expect(applyCheckedUpdate(doc, withheld, 'test').ok).toBe(true);
    expect(doc.store.pendingStructs).toBeNull();
    expect(doc.get('root-v2', Y.XmlElement).length).toBe(5);
  });

  it('rejects the dependency that would let a waiting hostile struct in', () => {
    const doc = seeded();
    // Text directly under a list can only be seen once the list it goes into is known.
    const scratch = seeded();
    const root = scratch.get('root-v2', Y.XmlElement);
    const sv0 = Y.encodeStateVector(scratch);
    const list = new Y.XmlElement('list');
    root.insert(1, [list]);
    const withheld = Y.encodeStateAsUpdate(scratch, sv0);
    const attacker = new Y.Doc();
    Y.applyUpdate(attacker, Y.encodeStateAsUpdate(scratch));
    const sv1 = Y.encodeStateVector(attacker);
    const text = new Y.XmlText();
    text.insert(0, 'misplaced');
    (attacker.get('root-v2', Y.XmlElement).get(1) as Y.XmlElement).insert(0, [text]);
    const dependent = Y.encodeStateAsUpdate(attacker, sv1);
    expect(applyCheckedUpdate(doc, dependent, 'test').ok).toBe(true); // waits, cannot be placed yet
    // The dependency is fine on its own: it is accepted, and what waited (now
    // known to be bad) is dropped instead of integrating with it.
    expect(applyCheckedUpdate(doc, withheld, 'test').ok).toBe(true);
    expect(doc.store.pendingStructs).toBeNull();
    const placed = doc.get('root-v2', Y.XmlElement).get(1) as Y.XmlElement;
    expect(placed.nodeName).toBe('list');
    expect(placed.length).toBe(0);
  });

  it('rejects a resent struct whose origin is a later struct of its own client (Yjs resolves it and throws; firewall fuzz seed 373567951)', () => {
    const peer = seeded();
    const victim = seeded();
    const editor = createHeadlessEditor({ nodes: EDITOR_NODES, onError: (e) => { throw e; } });
    const binding = bindEditorToDoc(editor, peer);
    editor.update(() => $getRoot().append($createParagraphNode().append($createTextNode('abc'))), { discrete: true });
    editor.update(() => $getRoot().getLastDescendant()?.selectEnd().insertText('def'), { discrete: true });
    binding.dispose();
    expect(applyCheckedUpdate(victim, Y.encodeStateAsUpdate(peer), 'test').ok).toBe(true);
    // The same structs again, one of them now pointing past its own clock: a byte flip can do that.
    const text = [...peer.store.clients.get(peer.clientID) ?? []].filter((s): s is Y.Item => s instanceof Y.Item && s.content instanceof Y.ContentString);
    const last = text.at(-1) as Y.Item;
    last.origin = Y.createID(peer.clientID, last.id.clock + 10_000);
    expect(expectRejected(victim, Y.encodeStateAsUpdate(peer))).toMatch(/later struct of the same client/);
  });

  it('checks an update against earlier ones accepted but not applied yet (appliedLater)', () => {
    const doc = seeded();
    const scratch = seeded();
    const sv0 = Y.encodeStateVector(scratch);
    scratch.get('root-v2', Y.XmlElement).insert(1, [new Y.XmlElement('list')]);
    const first = Y.encodeStateAsUpdate(scratch, sv0);
    const sv1 = Y.encodeStateVector(scratch);
    const text = new Y.XmlText();
    text.insert(0, 'misplaced');
    (scratch.get('root-v2', Y.XmlElement).get(1) as Y.XmlElement).insert(0, [text]);
    const second = Y.encodeStateAsUpdate(scratch, sv1);
    expect(checkNoteUpdate(doc, first, { appliedLater: true }).ok).toBe(true);
    expect(checkNoteUpdate(doc, second, { appliedLater: true })).toMatchObject({ ok: false, reason: expect.stringMatching(/text directly inside list/) });
  });
});
