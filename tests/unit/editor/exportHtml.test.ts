// @vitest-environment jsdom
/**
 * HTML export: a standalone document with the escaped title, no scripts and a
 * CSP forbidding them, the note's formatting, and unsafe links without href.
 */
import { $createLinkNode } from '@lexical/link';
import { $createHeadingNode } from '@lexical/rich-text';
import { $createParagraphNode, $createTextNode, $getRoot, createEditor } from 'lexical';
import { describe, expect, it } from 'vitest';
import { EXPORT_CSP, escapeHtml, noteHtmlDocument } from '../../../src/editor/exportHtml';
import { EDITOR_NODES } from '../../../src/editor/nodes';

function editorWith(build: () => void) {
  const editor = createEditor({ namespace: 't', nodes: [...EDITOR_NODES], onError: (e) => { throw e; } });
  editor.update(build, { discrete: true });
  return editor;
}

describe('noteHtmlDocument', () => {
  it('exports a standalone, script-free document with safe links', () => {
    const editor = editorWith(() => {
      const root = $getRoot();
      root.clear();
      root.append($createHeadingNode('h1').append($createTextNode('Heading <b>not bold</b>')));
      const p = $createParagraphNode();
      p.append($createLinkNode('javascript:alert(1)').append($createTextNode('evil')));
      p.append($createTextNode(' and '));
      p.append($createLinkNode('https://example.com/a?b=1').append($createTextNode('good')));
      p.append($createTextNode(' <img src=x onerror=alert(1)>'));
      root.append(p);
    });
    const html = noteHtmlDocument(editor, 'My </title><script>alert(1)</script> note');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>My &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; note</title>');
    expect(html).toContain(`content="${EXPORT_CSP}"`);
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).not.toContain('javascript:');

    const doc = new DOMParser().parseFromString(html, 'text/html');
    expect(doc.querySelector('h1')?.textContent).toBe('Heading <b>not bold</b>');
    expect(doc.querySelector('img')).toBeNull();
    const links = [...doc.querySelectorAll('a')];
    expect(links.map((a) => a.textContent)).toEqual(['evil', 'good']);
    expect(links[0]!.hasAttribute('href')).toBe(false);
    expect(links[1]!.getAttribute('href')).toBe('https://example.com/a?b=1');
    expect(links[1]!.getAttribute('rel')).toBe('noopener noreferrer');
    // Nothing in the body carries an event handler.
    for (const el of doc.body.querySelectorAll('*')) {
      expect([...el.attributes].filter((a) => a.name.startsWith('on'))).toEqual([]);
    }
  });

  it('escapeHtml escapes all five specials', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
