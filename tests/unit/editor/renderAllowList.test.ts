// @vitest-environment jsdom
/**
 * The render allow-list (src/editor/renderAllowList.ts): whatever tag a
 * heading or list carries in the document, only allowed elements are
 * rendered and exported. The documents here bypass the firewall on purpose
 * (content stored before it existed).
 */
import { $convertToMarkdownString } from '@lexical/markdown';
import { createEditor } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { applySeed } from '../../../src/doc/seed';
import { bindEditorToDoc } from '../../../src/editor/collab/bindEditorToDoc';
import { noteHtmlDocument } from '../../../src/editor/exportHtml';
import { MARKDOWN_TRANSFORMERS } from '../../../src/editor/markdown';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { RENDER_ALLOWED_TAGS } from '../../../src/editor/renderAllowList';
import { EDITOR_THEME } from '../../../src/editor/theme';
import { block, headingWithTag, hostileEdit, linkWithUrl } from '../sync/hostileUpdates';

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  cleanups = [];
  document.body.innerHTML = '';
});

function rendered(update: (doc: Y.Doc) => Uint8Array) {
  const doc = new Y.Doc();
  applySeed(doc);
  Y.applyUpdate(doc, update(doc));
  const root = document.createElement('div');
  root.contentEditable = 'true';
  document.body.append(root);
  const errors: Error[] = [];
  const editor = createEditor({ namespace: 't', nodes: EDITOR_NODES, theme: EDITOR_THEME, onError: (e) => errors.push(e) });
  editor.setRootElement(root);
  const binding = bindEditorToDoc(editor, doc, { onSyncError: (e) => errors.push(e) });
  cleanups.push(() => {
    binding.dispose();
    editor.setRootElement(null);
  });
  editor.read(() => undefined);
  return { editor, root, errors };
}

const forbidden = (root: ParentNode): string[] =>
  Array.from(root.querySelectorAll('*'))
    .map((el) => el.localName)
    .filter((name) => !RENDER_ALLOWED_TAGS.has(name));

describe('render allow-list', () => {
  it.each(['x y', 'iframe', 'form', 'input', 'script', 'h7', 42])('renders a heading with __tag %j as h1, in the editor and the exports', (tag) => {
    const { editor, root, errors } = rendered((doc) => headingWithTag(doc, tag));
    expect(errors).toEqual([]);
    expect(forbidden(root)).toEqual([]);
    expect(root.querySelector('h1')?.textContent).toBe('hostile');
    const html = noteHtmlDocument(editor, 'T');
    const parsed = new DOMParser().parseFromString(html, 'text/html');
    expect(forbidden(parsed.querySelector('main') as Element)).toEqual([]);
    expect(parsed.querySelector('h1')?.textContent).toBe('hostile');
    expect(editor.getEditorState().read(() => $convertToMarkdownString([...MARKDOWN_TRANSFORMERS]))).toContain('# hostile');
  });

  it('renders a list with a forbidden tag as the list type says', () => {
    const { root, errors } = rendered((doc) =>
      hostileEdit(doc, (r) => {
        const list = new Y.XmlElement('list');
        list.setAttribute('__tag', 'iframe');
        list.setAttribute('__listType', 'number');
        list.insert(0, [block('listitem', {}, 'item')]);
        r.insert(r.length, [list]);
      }),
    );
    expect(errors).toEqual([]);
    expect(forbidden(root)).toEqual([]);
    expect(root.querySelector('ol li')?.textContent).toBe('item');
  });

  it('renders a link whose URL is not a string as an inert link', () => {
    const { root, errors } = rendered((doc) => linkWithUrl(doc, 42));
    expect(errors).toEqual([]);
    expect(root.querySelector('a')?.hasAttribute('href')).toBe(false);
  });
});
