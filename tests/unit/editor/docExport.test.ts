// @vitest-environment jsdom
/**
 * Markdown and HTML export from a note's Y.Doc (src/editor/docExport.ts), with no editor
 * mounted: the files equal what the editor that wrote the note exports, and the session exports
 * a note whose editor is gone.
 */
import { $createCodeNode } from '@lexical/code';
import { $createLinkNode } from '@lexical/link';
import { $createListItemNode, $createListNode } from '@lexical/list';
import { $convertToMarkdownString } from '@lexical/markdown';
import { $createHeadingNode, $createQuoteNode } from '@lexical/rich-text';
import { $createParagraphNode, $createTextNode, $getRoot, createEditor } from 'lexical';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { WeftApp } from '../../../src/app/session';
import { applySeed } from '../../../src/doc/seed';
import { bindEditorToDoc } from '../../../src/editor/collab/bindEditorToDoc';
import { docHtmlDocument, docMarkdown } from '../../../src/editor/docExport';
import { noteHtmlDocument } from '../../../src/editor/exportHtml';
import { MARKDOWN_TRANSFORMERS } from '../../../src/editor/markdown';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { EDITOR_THEME } from '../../../src/editor/theme';
import { MemoryStore } from '../../../src/storage/memory';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { MapPreferences } from '../app/mapPreferences';
import { nestedQuotes } from '../sync/hostileUpdates';
import { typeAtEnd } from './typeAtEnd';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const newEditor = () => createEditor({ namespace: 't', nodes: [...EDITOR_NODES], theme: EDITOR_THEME, onError: (e) => { throw e; } });

/** A note written by an editor (as the app's), which is then unbound: only the doc is left. */
function writtenNote() {
  const doc = new Y.Doc();
  applySeed(doc);
  const editor = newEditor();
  const binding = bindEditorToDoc(editor, doc);
  editor.update(
    () => {
      const root = $getRoot();
      root.clear();
      root.append(
        $createHeadingNode('h1').append($createTextNode('Plan <for> the week')),
        $createParagraphNode().append($createTextNode('bold').toggleFormat('bold'), $createTextNode(' and '), $createLinkNode('https://example.com/').append($createTextNode('a link'))),
        $createListNode('bullet').append($createListItemNode().append($createTextNode('one')), $createListItemNode().append($createTextNode('two'))),
        $createQuoteNode().append($createTextNode('quoted')),
        $createCodeNode().append($createTextNode('let x = 1;')),
      );
    },
    { discrete: true },
  );
  const markdown = editor.getEditorState().read(() => $convertToMarkdownString([...MARKDOWN_TRANSFORMERS]));
  const html = noteHtmlDocument(editor, 'Plan');
  binding.dispose();
  return { doc, markdown, html };
}

describe('export from the doc', () => {
  it('gives the Markdown and HTML the editor that wrote the note gives', () => {
    const { doc, markdown, html } = writtenNote();
    expect(markdown).toContain('# Plan <for> the week');
    expect(docMarkdown(doc)).toBe(markdown);
    expect(docHtmlDocument(doc, 'Plan')).toBe(html);
  });

  it('works for a note no editor ever drew (the doc only)', () => {
    const source = writtenNote().doc;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(source));
    const parsed = new DOMParser().parseFromString(docHtmlDocument(doc, 'Only the doc'), 'text/html');
    expect(parsed.title).toBe('Only the doc');
    expect(parsed.querySelector('h1')?.textContent).toBe('Plan <for> the week');
    expect([...parsed.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['one', 'two']);
    expect(docMarkdown(doc)).toContain('- one\n- two');
  });

  it('holds the plain text when the note cannot be rendered (nothing is dropped)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { doc } = writtenNote();
    // Stored before the firewall: 20,000 nested quotes overflow Lexical's rendering.
    Y.applyUpdate(doc, nestedQuotes(doc, 20_000));
    expect(docMarkdown(doc)).toBe('Plan <for> the week\nbold and a link\none\ntwo\nquoted\nlet x = 1;\ndeep');
    expect(docHtmlDocument(doc, 't')).toContain('<p>Plan &lt;for&gt; the week</p><p>bold and a link</p>');
    expect(warn).toHaveBeenCalledWith('[weft] exporting the note as plain text', expect.anything());
    warn.mockRestore();
  });

  it('the session exports a note whose editor is unmounted', async () => {
    const app = new WeftApp({ store: new MemoryStore(), fallbackStore: () => new MemoryStore(), transports: new LoopbackNetwork().factory, preferences: new MapPreferences() });
    await app.start();
    cleanups.push(() => app.destroy());
    const noteId = await app.index.create();
    const session = app.openNote(noteId);
    expect(session.markdown()).toBeNull(); // never opened
    const editor = newEditor();
    const unbind = session.bind(editor);
    await app.flush();
    typeAtEnd(editor, 'Written, then closed');
    expect(session.currentTitle()).toBe('Written, then closed');
    unbind();
    expect(session.markdown()).toBe('Written, then closed');
    expect(session.html('t')).toContain('<p');
    expect(session.html('t')).toContain('Written, then closed');
    expect(session.currentTitle()).toBe('Written, then closed');
  });
});
