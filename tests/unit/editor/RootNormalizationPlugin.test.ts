import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHeadlessEditor } from '@lexical/headless';
import { $createLinkNode } from '@lexical/link';
import { $createParagraphNode, $createTextNode, $getRoot, $isElementNode, RootNode, type LexicalEditor, type TextNode } from 'lexical';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { registerRootNormalizationOnWrite } from '../../../src/editor/plugins/RootNormalizationPlugin';

const PARAGRAPHS = 50;

function editorWithParagraphs(): LexicalEditor {
  const editor = createHeadlessEditor({ nodes: [...EDITOR_NODES], onError: (e) => { throw e; } });
  editor.update(() => {
    for (let i = 0; i < PARAGRAPHS; i++) $getRoot().append($createParagraphNode().append($createTextNode(`line ${i}`)));
  }, { discrete: true });
  return editor;
}

/** Types one character into the last paragraph and counts the root's getChildren() calls during that update. */
function childrenWalksWhileTyping(editor: LexicalEditor): number {
  // Lexical also reads the whole text after each update (text content
  // listeners); a DOM editor answers from the reconciler's cache, a headless
  // one walks the children. Only the transforms' walks are counted here.
  const text = vi.spyOn(RootNode.prototype, 'getTextContent').mockReturnValue('');
  const walks = vi.spyOn(RootNode.prototype, 'getChildren');
  editor.update(() => {
    const last = $getRoot().getLastDescendant() as TextNode;
    last.setTextContent(`${last.getTextContent()}x`);
  }, { discrete: true });
  const count = walks.mock.calls.length;
  walks.mockRestore();
  text.mockRestore();
  return count;
}

afterEach(() => vi.restoreAllMocks());

describe('registerRootNormalizationOnWrite', () => {
  it('no longer walks every paragraph when a keystroke changes only text (stock Lexical does)', () => {
    const stock = editorWithParagraphs();
    expect(childrenWalksWhileTyping(stock)).toBeGreaterThan(0);
    const swapped = editorWithParagraphs();
    registerRootNormalizationOnWrite(swapped);
    expect(childrenWalksWhileTyping(swapped)).toBe(0);
    swapped.read(() => expect($getRoot().getLastDescendant()?.getTextContent()).toBe(`line ${PARAGRAPHS - 1}x`));
  });

  it('still wraps an inline node put directly into the root in a paragraph, and can be undone', () => {
    const editor = editorWithParagraphs();
    const restore = registerRootNormalizationOnWrite(editor);
    const spliceLinkAtRoot = (): void =>
      editor.update(() => void $getRoot().splice(0, 0, [$createLinkNode('https://example.org').append($createTextNode('link'))]), { discrete: true });
    spliceLinkAtRoot();
    editor.read(() => {
      const first = $getRoot().getFirstChildOrThrow();
      expect(first.getType()).toBe('paragraph');
      expect($isElementNode(first) && first.getFirstChildOrThrow().getType()).toBe('link');
      expect($getRoot().getChildrenSize()).toBe(PARAGRAPHS + 1);
    });
    restore();
    expect(childrenWalksWhileTyping(editor)).toBeGreaterThan(0);
  });
});
