// @vitest-environment jsdom
/**
 * Remote carets are drawn at most once per animation frame, never inside an
 * update: `syncCursorPositions` measures the DOM, which forces a layout of the
 * whole note (bench scenario 3/5 profiles). The binding's `cursorsContainer`
 * is therefore null outside the painter's frame callback; elements of cursors
 * @lexical/yjs dropped meanwhile are removed; dispose() empties the layer.
 */
import { createEditor, $createParagraphNode, $createTextNode, $getRoot } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { bindEditorToDoc, type BindEditorToDocOptions, type DocBinding } from '../../../src/editor/collab/bindEditorToDoc';
import { NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { EDITOR_NODES } from '../../../src/editor/nodes';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  document.body.innerHTML = '';
});

const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 40));

function mount(cursorLabel?: BindEditorToDocOptions['cursorLabel']): { binding: DocBinding; layer: HTMLElement; awareness: Awareness; doc: Y.Doc } {
  const rootElement = document.createElement('div');
  rootElement.contentEditable = 'true';
  const layer = document.createElement('div');
  document.body.append(rootElement, layer);
  const editor = createEditor({ nodes: [...EDITOR_NODES], onError: (e) => { throw e; } });
  editor.setRootElement(rootElement);
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  const binding = bindEditorToDoc(editor, doc, { awareness, user: { name: 'me', color: '#123456' }, cursorsContainer: layer, ...(cursorLabel ? { cursorLabel } : {}) });
  cleanups.push(() => {
    binding.dispose();
    awareness.destroy();
    doc.destroy();
  });
  editor.update(() => $getRoot().append($createParagraphNode().append($createTextNode('hello'))), { discrete: true });
  return { binding, layer, awareness, doc };
}

describe('remote cursor painting', () => {
  it('keeps the container away from @lexical/yjs outside the frame callback', async () => {
    const { binding, awareness } = mount();
    expect(binding.binding.cursorsContainer).toBeNull();
    // A peer's presence arrives: nothing is measured synchronously.
    awareness.states.set(4242, { name: 'peer', color: '#ff0000', focusing: true, anchorPos: null, focusPos: null });
    awareness.emit('update', [{ added: [4242], updated: [], removed: [] }, 'remote']);
    expect(binding.binding.cursorsContainer).toBeNull();
    await nextFrame();
    expect(binding.binding.cursorsContainer).toBeNull();
  });

  it('removes elements of cursors that are gone, on the next frame and on dispose', async () => {
    const { binding, layer, awareness } = mount();
    const stray = document.createElement('span');
    layer.append(stray);
    awareness.emit('update', [{ added: [], updated: [awareness.clientID], removed: [] }, 'local']);
    expect(layer.contains(stray)).toBe(true); // not inside the update
    await nextFrame();
    expect(layer.contains(stray)).toBe(false);
    layer.append(document.createElement('span'));
    binding.dispose();
    expect(layer.children).toHaveLength(0);
  });

  it('labels every caret through cursorLabel: its name and title, or no caret at all', async () => {
    // jsdom lays nothing out: give @lexical/yjs the geometry it measures before it draws a caret.
    const rect = { x: 0, y: 0, left: 0, top: 0, right: 1, bottom: 16, width: 1, height: 16, toJSON: () => ({}) } as DOMRect;
    const offsetParent = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'offsetParent');
    const rangeRect = Object.getOwnPropertyDescriptor(Range.prototype, 'getBoundingClientRect');
    const rangeRects = Object.getOwnPropertyDescriptor(Range.prototype, 'getClientRects');
    Object.defineProperty(HTMLElement.prototype, 'offsetParent', { configurable: true, get: () => document.body });
    Object.defineProperty(Range.prototype, 'getBoundingClientRect', { configurable: true, value: () => rect });
    Object.defineProperty(Range.prototype, 'getClientRects', { configurable: true, value: () => [rect] });
    cleanups.push(() => {
      for (const [target, name, descriptor] of [
        [HTMLElement.prototype, 'offsetParent', offsetParent],
        [Range.prototype, 'getBoundingClientRect', rangeRect],
        [Range.prototype, 'getClientRects', rangeRects],
      ] as const) {
        if (descriptor) Object.defineProperty(target, name, descriptor);
        else delete (target as unknown as Record<string, unknown>)[name];
      }
    });
    const verdicts = new Map<number, { name: string; title: string } | null>([
      [1001, { name: 'Alice', title: 'Device key 1111 2222 3333 4444, verified' }],
      [1002, { name: 'Eve (unverified)', title: 'Device not verified: no device proof' }],
      [1003, null],
    ]);
    const { binding, layer, awareness, doc } = mount((clientId) => verdicts.get(clientId) ?? null);
    const text = doc.get(NOTE_ROOT_NAMES.v2, Y.XmlElement).get(0) as Y.XmlElement;
    const run = text.get(0) as Y.XmlText;
    const at = (index: number) => Y.createRelativePositionFromTypeIndex(run, index);
    // Every state claims a name of its own; only the label may reach the text.
    for (const [clientId, name] of [[1001, 'Alice'], [1002, 'Eve'], [1003, 'Forged Alice']] as const) {
      awareness.states.set(clientId, { name, color: '#ff0000', focusing: true, anchorPos: at(2), focusPos: at(2) });
    }
    awareness.emit('update', [{ added: [1001, 1002, 1003], updated: [], removed: [] }, 'remote']);
    await nextFrame();
    const carets = () => Array.from(layer.children).filter((el) => el.textContent !== '').map((el) => [el.textContent, el.getAttribute('title')]);
    expect(carets()).toEqual([
      ['Alice', 'Device key 1111 2222 3333 4444, verified'],
      ['Eve (unverified)', 'Device not verified: no device proof'],
    ]);
    // A verdict changes (Alice's proof ran out): the caret says so once redrawn.
    verdicts.set(1001, { name: 'Alice (unverified)', title: 'Device not verified: dated about 1 min behind' });
    verdicts.set(1002, null);
    binding.redrawCursors();
    await nextFrame();
    expect(carets()).toEqual([['Alice (unverified)', 'Device not verified: dated about 1 min behind']]);
  });
});
