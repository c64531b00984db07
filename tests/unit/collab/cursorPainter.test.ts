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
import { bindEditorToDoc, type DocBinding } from '../../../src/editor/collab/bindEditorToDoc';
import { EDITOR_NODES } from '../../../src/editor/nodes';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  document.body.innerHTML = '';
});

const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 40));

function mount(): { binding: DocBinding; layer: HTMLElement; awareness: Awareness; doc: Y.Doc } {
  const rootElement = document.createElement('div');
  rootElement.contentEditable = 'true';
  const layer = document.createElement('div');
  document.body.append(rootElement, layer);
  const editor = createEditor({ nodes: [...EDITOR_NODES], onError: (e) => { throw e; } });
  editor.setRootElement(rootElement);
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  const binding = bindEditorToDoc(editor, doc, { awareness, user: { name: 'me', color: '#123456' }, cursorsContainer: layer });
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
});
