import { $isCodeNode } from '@lexical/code';
import { createHeadlessEditor } from '@lexical/headless';
import { $isLinkNode } from '@lexical/link';
import { $isListItemNode, $isListNode, ListItemNode, ListNode } from '@lexical/list';
import { $convertFromMarkdownString, $convertToMarkdownString } from '@lexical/markdown';
import { $isHeadingNode, $isQuoteNode } from '@lexical/rich-text';
import {
  $getRoot,
  $isElementNode,
  $isParagraphNode,
  $isTextNode,
  type ElementNode,
  type LexicalEditor,
  type LexicalNode,
  type TextFormatType,
  type TextNode,
} from 'lexical';
import { describe, expect, it } from 'vitest';
import { MARKDOWN_TRANSFORMERS } from '../../../src/editor/markdown';
import { EDITOR_NODES } from '../../../src/editor/nodes';

function makeEditor(): LexicalEditor {
  return createHeadlessEditor({
    namespace: 'test',
    nodes: EDITOR_NODES,
    onError: (error) => {
      throw error;
    },
  });
}

/** Imports markdown into a fresh headless editor and returns the root's first block. */
function importFirstBlock<T>(markdown: string, read: (block: LexicalNode) => T): T {
  const editor = makeEditor();
  editor.update(() => $convertFromMarkdownString(markdown, [...MARKDOWN_TRANSFORMERS]), { discrete: true });
  return editor.read(() => {
    const first = $getRoot().getFirstChild();
    if (first === null) throw new Error('nothing imported');
    return read(first);
  });
}

function firstText(block: LexicalNode): TextNode {
  const text = $isElementNode(block) ? block.getAllTextNodes()[0] : null;
  if (!$isTextNode(text)) throw new Error('no text node');
  return text;
}

describe('EDITOR_NODES', () => {
  it('registers every node class a markdown transformer depends on', () => {
    const registered = new Set(EDITOR_NODES);
    for (const transformer of MARKDOWN_TRANSFORMERS) {
      if (!('dependencies' in transformer)) continue;
      for (const dependency of transformer.dependencies) {
        expect(registered.has(dependency), `${dependency.getType()} is registered`).toBe(true);
      }
    }
  });

  it('keeps the standard Lexical type names (they are the stored document format)', () => {
    expect(EDITOR_NODES.map((klass) => klass.getType()).sort()).toEqual(
      ['autolink', 'code', 'code-highlight', 'heading', 'link', 'list', 'listitem', 'quote'].sort(),
    );
  });

  it('includes the check-list transformer and lists what it needs', () => {
    const checkList = MARKDOWN_TRANSFORMERS.find(
      (t) => t.type === 'element' && t.regExp.test('[] ') && t.regExp.test('[x] '),
    );
    expect(checkList).toBeDefined();
    expect(EDITOR_NODES).toContain(ListNode);
    expect(EDITOR_NODES).toContain(ListItemNode);
  });
});

describe('MARKDOWN_TRANSFORMERS', () => {
  it.each([
    ['# Title', 'h1'],
    ['## Title', 'h2'],
    ['### Title', 'h3'],
  ] as const)('%j makes a %s heading', (markdown, tag) => {
    const result = importFirstBlock(markdown, (block) => ($isHeadingNode(block) ? block.getTag() : null));
    expect(result).toBe(tag);
  });

  it('leaves "#### " as text: notes have three heading levels', () => {
    const result = importFirstBlock('#### Deep', (block) => ($isParagraphNode(block) ? block.getTextContent() : null));
    expect(result).toBe('#### Deep');
  });

  it.each([
    ['- item', 'bullet'],
    ['* item', 'bullet'],
    ['1. item', 'number'],
    ['[] item', 'check'],
    ['[ ] item', 'check'],
    ['[x] item', 'check'],
    ['- [ ] item', 'check'],
  ] as const)('%j makes a %s list', (markdown, listType) => {
    const result = importFirstBlock(markdown, (block) => {
      if (!$isListNode(block)) return null;
      const item = block.getFirstChild();
      return { listType: block.getListType(), text: item?.getTextContent(), isItem: $isListItemNode(item) };
    });
    expect(result).toEqual({ listType, text: 'item', isItem: true });
  });

  it('"[x] " makes a checked item and "[ ] " an unchecked one', () => {
    const checked = (markdown: string) =>
      importFirstBlock(markdown, (block) => {
        const item = ($isListNode(block) ? block.getFirstChild() : null) as ListItemNode | null;
        return item?.getChecked();
      });
    expect(checked('[x] done')).toBe(true);
    expect(checked('[ ] todo')).toBe(false);
  });

  it('"> " makes a quote', () => {
    expect(importFirstBlock('> quoted', (block) => $isQuoteNode(block) && block.getTextContent())).toBe('quoted');
  });

  it('three backticks make a code block', () => {
    const result = importFirstBlock('```\nconst a = 1;\n```', (block) =>
      $isCodeNode(block) ? block.getTextContent() : null,
    );
    expect(result).toBe('const a = 1;');
  });

  it.each([
    ['**bold**', ['bold']],
    ['__bold__', ['bold']],
    ['*italic*', ['italic']],
    ['_italic_', ['italic']],
    ['***both***', ['bold', 'italic']],
    ['~~strike~~', ['strikethrough']],
    ['`code`', ['code']],
  ] as const)('%j formats the text', (markdown, formats: readonly TextFormatType[]) => {
    const result = importFirstBlock(markdown, (block) => {
      const text = firstText(block);
      return {
        text: text.getTextContent(),
        formats: (['bold', 'italic', 'strikethrough', 'code', 'underline', 'highlight'] as const).filter((f) =>
          text.hasFormat(f),
        ),
      };
    });
    expect(result.formats.sort()).toEqual([...formats].sort());
    expect(result.text).not.toMatch(/[*_~`]/);
  });

  it('does not format inside inline code', () => {
    const result = importFirstBlock('`**not bold**`', (block) => {
      const text = firstText(block);
      return { text: text.getTextContent(), bold: text.hasFormat('bold'), code: text.hasFormat('code') };
    });
    expect(result).toEqual({ text: '**not bold**', bold: false, code: true });
  });

  it('"==x==" is not a highlight (notes have no highlight mark)', () => {
    const result = importFirstBlock('==x==', (block) => firstText(block).hasFormat('highlight'));
    expect(result).toBe(false);
  });

  it('[text](url) makes a link', () => {
    const result = importFirstBlock('[Weft](https://example.com/)', (block) => {
      const link = (block as ElementNode).getFirstChild();
      return $isLinkNode(link) ? { url: link.getURL(), text: link.getTextContent() } : null;
    });
    expect(result).toEqual({ url: 'https://example.com/', text: 'Weft' });
  });

  it('round-trips a note through Markdown', () => {
    const markdown = [
      '# Title',
      '',
      'Some **bold**, *italic*, ~~struck~~ and `code` with a [link](https://example.com/).',
      '',
      '- one',
      '- two',
      '',
      '1. first',
      '',
      '- [ ] todo',
      '- [x] done',
      '',
      '> quoted',
      '',
      '```',
      'let x = 1;',
      '```',
    ].join('\n');
    const editor = makeEditor();
    editor.update(() => $convertFromMarkdownString(markdown, [...MARKDOWN_TRANSFORMERS]), { discrete: true });
    const exported = editor.read(() => $convertToMarkdownString([...MARKDOWN_TRANSFORMERS]));
    const again = makeEditor();
    again.update(() => $convertFromMarkdownString(exported, [...MARKDOWN_TRANSFORMERS]), { discrete: true });
    expect(JSON.stringify(again.getEditorState().toJSON())).toBe(JSON.stringify(editor.getEditorState().toJSON()));
  });
});
