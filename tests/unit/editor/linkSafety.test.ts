// @vitest-environment jsdom
import { $createAutoLinkNode, $createLinkNode, $toggleLink, LinkNode } from '@lexical/link';
import { $generateHtmlFromNodes } from '@lexical/html';
import { $convertFromMarkdownString } from '@lexical/markdown';
import {
  $createParagraphNode,
  $createTextNode,
  $getRoot,
  createEditor,
  type LexicalEditor,
  type SerializedEditorState,
} from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOCKED_LINK_ATTRIBUTE } from '../../../src/editor/linkSafety';
import { MARKDOWN_TRANSFORMERS } from '../../../src/editor/markdown';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { EDITOR_THEME } from '../../../src/editor/theme';

const UNSAFE = [
  'javascript:alert(1)',
  'JAVASCRIPT:alert(1)',
  ' javascript:alert(document.domain)',
  'java\tscript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  '/relative',
  '//evil.example/x',
  'http://[::1',
  'tel:+1234',
];

let editors: LexicalEditor[] = [];
afterEach(() => {
  for (const editor of editors) editor.setRootElement(null);
  editors = [];
  document.body.innerHTML = '';
});

/** A rendering editor attached to a div in the jsdom document. */
function renderedEditor(): { editor: LexicalEditor; root: HTMLElement } {
  const root = document.createElement('div');
  root.contentEditable = 'true';
  document.body.append(root);
  const editor = createEditor({
    namespace: 'test',
    nodes: EDITOR_NODES,
    theme: EDITOR_THEME,
    onError: (error) => {
      throw error;
    },
  });
  editor.setRootElement(root);
  editors.push(editor);
  return { editor, root };
}

function addLink(editor: LexicalEditor, url: string, text = 'click', auto = false): void {
  editor.update(
    () => {
      const link = auto ? $createAutoLinkNode(url) : $createLinkNode(url, { target: '_self', rel: 'opener' });
      link.append($createTextNode(text));
      $getRoot().append($createParagraphNode().append(link));
    },
    { discrete: true },
  );
}

function anchors(root: HTMLElement): HTMLAnchorElement[] {
  return Array.from(root.querySelectorAll('a'));
}

/** The JSON a peer (or a stored note) could hold: stock node types, hostile URL. */
function stateWithLink(url: string, type: 'link' | 'autolink'): SerializedEditorState {
  const link = {
    type,
    version: 1,
    url,
    rel: null,
    target: null,
    title: null,
    ...(type === 'autolink' ? { isUnlinked: false } : {}),
    children: [{ type: 'text', version: 1, text: 'x', format: 0, style: '', mode: 'normal', detail: 0 }],
    direction: null,
    format: '',
    indent: 0,
  };
  return {
    root: {
      type: 'root',
      version: 1,
      children: [
        { type: 'paragraph', version: 1, children: [link], direction: null, format: '', indent: 0, textFormat: 0, textStyle: '' },
      ],
      direction: null,
      format: '',
      indent: 0,
    },
  } as unknown as SerializedEditorState;
}

describe('link rendering', () => {
  it.each(UNSAFE)('a link created with %j renders without an href', (url) => {
    const { editor, root } = renderedEditor();
    addLink(editor, url);
    const [a] = anchors(root);
    expect(a).toBeDefined();
    expect(a?.hasAttribute('href')).toBe(false);
    expect(a?.hasAttribute(BLOCKED_LINK_ATTRIBUTE)).toBe(true);
    expect(root.innerHTML).not.toMatch(/javascript:|data:|vbscript:/i);
  });

  it.each(UNSAFE)('an autolink created with %j renders without an href', (url) => {
    const { editor, root } = renderedEditor();
    addLink(editor, url, 'x', true);
    expect(anchors(root)[0]?.hasAttribute('href')).toBe(false);
  });

  it.each([
    ['https://example.com/a', 'https://example.com/a'],
    ['http://example.com', 'http://example.com/'],
    ['mailto:me@example.com', 'mailto:me@example.com'],
  ])('a link to %j is clickable and opens in a new, unlinked context', (url, href) => {
    const { editor, root } = renderedEditor();
    addLink(editor, url); // the node asks for target=_self rel=opener: overridden
    const [a] = anchors(root);
    expect(a?.getAttribute('href')).toBe(href);
    expect(a?.getAttribute('target')).toBe('_blank');
    expect(a?.getAttribute('rel')).toBe('noopener noreferrer');
    expect(a?.hasAttribute(BLOCKED_LINK_ATTRIBUTE)).toBe(false);
  });

  it.each(['link', 'autolink'] as const)('a %s node imported from JSON with javascript: has no javascript: href', (type) => {
    const { editor, root } = renderedEditor();
    editor.setEditorState(editor.parseEditorState(stateWithLink('javascript:alert(1)', type)));
    editor.update(() => {}, { discrete: true });
    const [a] = anchors(root);
    expect(a).toBeDefined();
    expect(a?.getAttribute('href')).toBeNull();
    expect(root.innerHTML).not.toContain('javascript:');
  });

  it('changing a safe link to an unsafe URL removes the href (update path)', () => {
    const { editor, root } = renderedEditor();
    addLink(editor, 'https://example.com/');
    expect(anchors(root)[0]?.getAttribute('href')).toBe('https://example.com/');
    editor.update(
      () => {
        const link = $getRoot().getFirstDescendant()?.getParent();
        if (!(link instanceof LinkNode)) throw new Error('no link');
        link.setURL('javascript:alert(1)');
      },
      { discrete: true },
    );
    expect(anchors(root)[0]?.hasAttribute('href')).toBe(false);
    editor.update(
      () => {
        const link = $getRoot().getFirstDescendant()?.getParent();
        if (!(link instanceof LinkNode)) throw new Error('no link');
        link.setURL('https://example.org/');
      },
      { discrete: true },
    );
    expect(anchors(root)[0]?.getAttribute('href')).toBe('https://example.org/');
  });

  it('a markdown [text](javascript:…) link renders without an href', () => {
    const { editor, root } = renderedEditor();
    editor.update(() => $convertFromMarkdownString('[x](javascript:alert(1))', [...MARKDOWN_TRANSFORMERS]), {
      discrete: true,
    });
    expect(root.innerHTML).not.toContain('javascript:');
  });

  it('TOGGLE_LINK-style linking of a selection with an unsafe URL still renders inert', () => {
    const { editor, root } = renderedEditor();
    editor.update(
      () => {
        const text = $createTextNode('hello');
        $getRoot().append($createParagraphNode().append(text));
        text.select(0, 5);
        $toggleLink('javascript:alert(1)');
      },
      { discrete: true },
    );
    expect(anchors(root)).toHaveLength(1);
    expect(anchors(root)[0]?.hasAttribute('href')).toBe(false);
  });

  it("sanitizeUrl (what Lexical's click handling opens) applies the same allow-list", () => {
    const { editor } = renderedEditor();
    editor.update(() => {
      const link = $createLinkNode('x');
      expect(link.sanitizeUrl('javascript:alert(1)')).toBe('about:blank');
      expect(link.sanitizeUrl('/relative')).toBe('about:blank');
      expect(link.sanitizeUrl('tel:123')).toBe('about:blank');
      expect(link.sanitizeUrl('https://example.com')).toBe('https://example.com/');
    });
  });

  it('HTML export never carries an unsafe href', () => {
    const { editor } = renderedEditor();
    addLink(editor, 'javascript:alert(1)', 'bad');
    addLink(editor, 'https://example.com/', 'good');
    const html = editor.read(() => $generateHtmlFromNodes(editor, null));
    expect(html).not.toContain('javascript:');
    expect(html).toContain('href="https://example.com/"');
    expect(html).toContain('rel="noopener noreferrer"');
  });
});
