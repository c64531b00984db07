// @vitest-environment jsdom
/**
 * Links as you type (AUTO_LINK_MATCHERS through Lexical's registerAutoLink,
 * what the app's AutoLinkPlugin registers): typed and pasted URLs become
 * AutoLinkNodes under the URL policy, the node reaches a peer through Yjs and
 * its schema firewall, and both exports keep it as a link.
 */
import { $createCodeNode } from '@lexical/code';
import { $isAutoLinkNode, $isLinkNode, registerAutoLink, type AutoLinkNode } from '@lexical/link';
import { registerMarkdownShortcuts } from '@lexical/markdown';
import { registerRichText } from '@lexical/rich-text';
import { $createParagraphNode, $getRoot, $getSelection, $isRangeSelection, createEditor, type LexicalEditor } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { applySeed } from '../../../src/doc/seed';
import { AUTO_LINK_EXCLUDED_PARENTS, AUTO_LINK_MATCHERS } from '../../../src/editor/autoLinkMatchers';
import { bindEditorToDoc } from '../../../src/editor/collab/bindEditorToDoc';
import { docHtmlDocument, docMarkdown } from '../../../src/editor/docExport';
import { MARKDOWN_TRANSFORMERS } from '../../../src/editor/markdown';
import { markdownToNote } from '../../../src/editor/markdownImport';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { EDITOR_THEME } from '../../../src/editor/theme';
import { checkNoteUpdate } from '../../../src/sync/updateFirewall';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A note's editor as the app has it: bound to a seeded doc, auto-links on. */
function note(): { editor: LexicalEditor; doc: Y.Doc } {
  const doc = new Y.Doc();
  applySeed(doc);
  const editor = createEditor({ namespace: 't', nodes: [...EDITOR_NODES], theme: EDITOR_THEME, onError: (e) => { throw e; } });
  const binding = bindEditorToDoc(editor, doc);
  const unregister = registerAutoLink(editor, { matchers: AUTO_LINK_MATCHERS, changeHandlers: [], excludeParents: AUTO_LINK_EXCLUDED_PARENTS });
  cleanups.push(() => {
    unregister();
    binding.dispose();
    doc.destroy();
  });
  editor.update(() => $getRoot().selectEnd(), { discrete: true });
  return { editor, doc };
}

/** Types `text` at the caret, a key (one update) per character, as the keyboard does. */
function type(editor: LexicalEditor, text: string): void {
  for (const key of text) {
    editor.update(
      () => {
        const selection = $getSelection();
        if ($isRangeSelection(selection)) selection.insertText(key);
      },
      { discrete: true },
    );
  }
}

/** Inserts `text` at the caret in one update, as a paste of plain text does. */
function paste(editor: LexicalEditor, text: string): void {
  editor.update(
    () => {
      const selection = $getSelection();
      if ($isRangeSelection(selection)) selection.insertRawText(text);
    },
    { discrete: true },
  );
}

const autoLinks = (editor: LexicalEditor) =>
  editor.read(() =>
    $getRoot()
      .getAllTextNodes()
      .map((text) => text.getParent())
      .filter((parent): parent is AutoLinkNode => $isAutoLinkNode(parent))
      .map((link) => [link.getTextContent(), link.getURL()]),
  );

describe('links as you type', () => {
  it.each([
    ['see https://example.org/path?q=1 now', 'https://example.org/path?q=1', 'https://example.org/path?q=1'],
    ['http://example.org ', 'http://example.org', 'http://example.org'],
    ['go to www.example.org ', 'www.example.org', 'https://www.example.org'],
    ['write to me@example.org ', 'me@example.org', 'mailto:me@example.org'],
  ])('%j becomes a link', (typed, text, url) => {
    const { editor } = note();
    type(editor, typed);
    expect(autoLinks(editor)).toEqual([[text, url]]);
  });

  it.each([['javascript:alert(1) '], ['data:text/html,hi '], ['ftp://example.org '], ['file:///etc/passwd '], ['plain words. no link here ']])(
    '%j does not become a link',
    (typed) => {
      const { editor } = note();
      type(editor, typed);
      expect(autoLinks(editor)).toEqual([]);
    },
  );

  it('a pasted URL becomes a link too', () => {
    const { editor } = note();
    paste(editor, 'the spec is at https://example.org/spec, read it');
    expect(autoLinks(editor)).toEqual([['https://example.org/spec', 'https://example.org/spec']]);
  });

  it('text in a code block stays text', () => {
    const { editor } = note();
    editor.update(
      () => {
        const code = $createCodeNode();
        $getRoot().clear().append(code, $createParagraphNode());
        code.selectEnd();
      },
      { discrete: true },
    );
    type(editor, 'curl https://example.org ');
    expect(autoLinks(editor)).toEqual([]);
  });

  it('reaches a peer as a link: the firewall accepts the update and the peer renders the node', () => {
    const typist = note();
    const updates: Uint8Array[] = [];
    typist.doc.on('update', (update: Uint8Array) => updates.push(update));
    type(typist.editor, 'see www.example.org ');
    expect(autoLinks(typist.editor)).toEqual([['www.example.org', 'https://www.example.org']]);

    const peer = note();
    for (const update of updates) {
      const verdict = checkNoteUpdate(peer.doc, update);
      expect(verdict).toEqual({ ok: true });
      Y.applyUpdate(peer.doc, update, ORIGIN_REMOTE);
    }
    expect(autoLinks(peer.editor)).toEqual([['www.example.org', 'https://www.example.org']]);
    // …and as a whole note (a first sync).
    const fresh = new Y.Doc();
    applySeed(fresh);
    expect(checkNoteUpdate(fresh, Y.encodeStateAsUpdate(typist.doc), { kind: 'sync' })).toEqual({ ok: true });
  });

  it('Markdown and HTML exports keep it as a link, and the Markdown imports back as one', () => {
    const { editor, doc } = note();
    type(editor, 'see www.example.org and https://example.org/a_(b) ');
    const markdown = docMarkdown(doc);
    expect(markdown).toBe('see [www.example.org](https://www.example.org) and [https://example.org/a\\_(b)](https://example.org/a_\\(b\\)) ');
    const html = docHtmlDocument(doc, 'Links');
    expect(html).toContain('href="https://www.example.org/"');
    expect(html).toContain('href="https://example.org/a_(b)"');
    const again = new Y.Doc();
    Y.applyUpdate(again, markdownToNote(markdown).state);
    expect(docMarkdown(again)).toBe(markdown);
  });

  it('a link the user unlinked exports as text', () => {
    const { editor, doc } = note();
    type(editor, 'see https://example.org ');
    editor.update(
      () => {
        for (const text of $getRoot().getAllTextNodes()) {
          const parent = text.getParent();
          if ($isAutoLinkNode(parent)) parent.setIsUnlinked(true);
        }
      },
      { discrete: true },
    );
    expect(docMarkdown(doc)).toBe('see https://example.org ');
  });

  it('the [text](url) typing shortcut still makes a link with auto-links on (the URL is auto-linked while it is typed)', () => {
    const { editor } = note();
    const root = document.createElement('div');
    root.contentEditable = 'true';
    document.body.append(root);
    editor.setRootElement(root);
    const unregister = [registerRichText(editor), registerMarkdownShortcuts(editor, [...MARKDOWN_TRANSFORMERS])];
    cleanups.push(() => {
      for (const dispose of unregister) dispose();
      editor.setRootElement(null);
      root.remove();
    });
    editor.update(() => $getRoot().selectEnd(), { discrete: true });
    type(editor, 'see [docs](https://example.org/x) ok');
    const links = editor.read(() =>
      $getRoot()
        .getAllTextNodes()
        .map((text) => text.getParent())
        .filter((parent) => $isLinkNode(parent))
        .map((link) => [link.getType(), link.getTextContent(), link.getURL()]),
    );
    expect(links).toEqual([['link', 'docs', 'https://example.org/x']]);
    expect(editor.read(() => $getRoot().getTextContent())).toBe('see docs ok');
  });
});
