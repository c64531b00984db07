// @vitest-environment jsdom
/**
 * Hostile content that does not come through our UI: a link node a peer put
 * in the shared Y.Doc, and pasted HTML full of event handlers. Both must
 * render inert.
 */
import { $insertDataTransferForRichText } from '@lexical/clipboard';
import { createHeadlessEditor } from '@lexical/headless';
import { $generateNodesFromDOM } from '@lexical/html';
import { $createLinkNode } from '@lexical/link';
import {
  $createParagraphNode,
  $createTextNode,
  $getRoot,
  $getSelection,
  $insertNodes,
  $isRangeSelection,
  createEditor,
  type LexicalEditor,
} from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import type { NoteBindingVersion } from '../../../src/doc/noteRoot';
import { bindEditorToDoc } from '../../../src/editor/collab/bindEditorToDoc';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { EDITOR_THEME } from '../../../src/editor/theme';

const HOSTILE_HTML = `
  <p onclick="alert(1)" onmouseover="alert(2)" style="color:red">Hello
    <b onmouseenter="alert(3)">bold</b>
    <a href="javascript:alert(4)" onclick="alert(5)">bad link</a>
    <a href="https://example.com/" onfocus="alert(6)" target="_self">good link</a>
    <img src="x" onerror="alert(7)">
    <svg onload="alert(8)"><circle r="1"></circle></svg>
    <iframe src="javascript:alert(9)"></iframe>
  </p>
  <script>alert(10)</script>
  <h1 onclick="alert(11)">Heading</h1>
  <ul><li onclick="alert(12)">item</li></ul>
  <form action="javascript:alert(13)"><button formaction="javascript:alert(14)">b</button></form>
`;

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  cleanups = [];
  document.body.innerHTML = '';
});

function renderedEditor(): { editor: LexicalEditor; root: HTMLElement; errors: Error[] } {
  const root = document.createElement('div');
  root.contentEditable = 'true';
  document.body.append(root);
  const errors: Error[] = [];
  const editor = createEditor({
    namespace: 'test',
    nodes: EDITOR_NODES,
    theme: EDITOR_THEME,
    onError: (error) => {
      errors.push(error);
    },
  });
  editor.setRootElement(root);
  cleanups.push(() => editor.setRootElement(null));
  return { editor, root, errors };
}

/** Every attribute name in the rendered editor DOM. */
function attributeNames(root: HTMLElement): string[] {
  return Array.from(root.querySelectorAll('*')).flatMap((el) => el.getAttributeNames());
}

function expectInert(root: HTMLElement): void {
  expect(attributeNames(root).filter((name) => name.startsWith('on'))).toEqual([]);
  expect(root.querySelector('script, iframe, img, svg, object, embed, form, button')).toBeNull();
  expect(root.innerHTML).not.toMatch(/javascript:/i);
  for (const a of Array.from(root.querySelectorAll('a'))) {
    const href = a.getAttribute('href');
    if (href !== null) expect(href).toMatch(/^(https?:|mailto:)/);
  }
}

describe('a link node arriving through the Yjs document', () => {
  it.each(['v1', 'v2'] as const)('renders without a javascript: href (%s binding)', (bindingVersion: NoteBindingVersion) => {
    // The hostile peer: a headless editor with the stock node set (it may
    // as well be a patched client; the bytes are what matter).
    const peerDoc = new Y.Doc();
    const peer = createHeadlessEditor({ namespace: 'peer', nodes: EDITOR_NODES, onError: (e) => { throw e; } });
    const peerBinding = bindEditorToDoc(peer, peerDoc, { bindingVersion });
    cleanups.push(() => peerBinding.dispose());
    peer.update(
      () => {
        const bad = $createLinkNode('javascript:alert(document.cookie)');
        bad.append($createTextNode('innocent'));
        const unparsable = $createLinkNode('java\u0000script:alert(1)');
        unparsable.append($createTextNode('odd'));
        const good = $createLinkNode('https://example.com/');
        good.append($createTextNode('fine'));
        $getRoot().append($createParagraphNode().append(bad, unparsable, good));
      },
      { discrete: true },
    );

    // Our side: a rendering editor bound to its own doc, receiving the update.
    const { editor, root, errors } = renderedEditor();
    const doc = new Y.Doc();
    const binding = bindEditorToDoc(editor, doc, { bindingVersion });
    cleanups.push(() => binding.dispose());
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peerDoc), ORIGIN_REMOTE);
    editor.read(() => {}); // flush the pending render

    expect(errors).toEqual([]);
    const links = Array.from(root.querySelectorAll('a'));
    expect(links.map((a) => a.textContent)).toEqual(['innocent', 'odd', 'fine']);
    expect(links.map((a) => a.getAttribute('href'))).toEqual([null, null, 'https://example.com/']);
    expect(links.every((a) => a.getAttribute('rel') === 'noopener noreferrer')).toBe(true);
    expectInert(root);
  });
});

describe('pasted HTML', () => {
  it('imports through importDOM without event handlers, scripts or unsafe hrefs', () => {
    const { editor, root, errors } = renderedEditor();
    editor.update(
      () => {
        const dom = new DOMParser().parseFromString(HOSTILE_HTML, 'text/html');
        const nodes = $generateNodesFromDOM(editor, dom);
        $getRoot().select();
        $insertNodes(nodes);
      },
      { discrete: true },
    );
    expect(errors).toEqual([]);
    expect(root.textContent).toContain('Hello');
    expect(root.textContent).toContain('good link');
    expect(root.querySelector('h1')?.textContent).toBe('Heading');
    expect(root.textContent).not.toContain('alert(10)');
    expectInert(root);
    // The pasted handlers are not hiding in the document model either.
    expect(JSON.stringify(editor.getEditorState().toJSON())).not.toMatch(/onclick|onerror|onload|onmouse/i);
  });

  it('goes through the real paste path (text/html on the clipboard) inert as well', () => {
    const { editor, root, errors } = renderedEditor();
    editor.update(
      () => {
        $getRoot().append($createParagraphNode());
        $getRoot().selectEnd();
        const selection = $getSelection();
        if (!$isRangeSelection(selection)) throw new Error('no selection');
        const clipboard = {
          types: ['text/html', 'text/plain'],
          getData: (type: string) => (type === 'text/html' ? HOSTILE_HTML : type === 'text/plain' ? 'plain' : ''),
        } as unknown as DataTransfer;
        $insertDataTransferForRichText(clipboard, selection, editor);
      },
      { discrete: true },
    );
    expect(errors).toEqual([]);
    expect(root.textContent).toContain('Hello');
    expectInert(root);
  });
});
