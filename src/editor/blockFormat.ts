import { $createCodeNode, $isCodeNode } from '@lexical/code';
import {
  $isListNode,
  INSERT_CHECK_LIST_COMMAND,
  INSERT_ORDERED_LIST_COMMAND,
  INSERT_UNORDERED_LIST_COMMAND,
  ListNode,
} from '@lexical/list';
import { $createHeadingNode, $createQuoteNode, $isHeadingNode, $isQuoteNode } from '@lexical/rich-text';
import { $setBlocksType } from '@lexical/selection';
import { $getNearestNodeOfType } from '@lexical/utils';
import {
  $createParagraphNode,
  $getSelection,
  $isRangeSelection,
  $isRootOrShadowRoot,
  type BaseSelection,
  type LexicalEditor,
  type LexicalNode,
} from 'lexical';

/** The block kinds a user can choose for the current paragraph(s). */
export type BlockType = 'paragraph' | 'h1' | 'h2' | 'h3' | 'bullet' | 'number' | 'check' | 'quote' | 'code';

/** Block kinds with their visible labels, in menu order. */
export const BLOCK_TYPES: ReadonlyArray<{ readonly type: BlockType; readonly label: string }> = [
  { type: 'paragraph', label: 'Paragraph' },
  { type: 'h1', label: 'Heading 1' },
  { type: 'h2', label: 'Heading 2' },
  { type: 'h3', label: 'Heading 3' },
  { type: 'bullet', label: 'Bulleted list' },
  { type: 'number', label: 'Numbered list' },
  { type: 'check', label: 'Check list' },
  { type: 'quote', label: 'Quote' },
  { type: 'code', label: 'Code block' },
];

/** Type guard for strings coming back from a `<select>`. */
export function isBlockType(value: string): value is BlockType {
  return BLOCK_TYPES.some((b) => b.type === value);
}

function $topLevelBlock(node: LexicalNode): LexicalNode {
  if ($isRootOrShadowRoot(node)) return node;
  // A node arriving mid-merge from a peer may momentarily be detached: fall
  // back to the node itself instead of throwing inside a read.
  return node.getTopLevelElement() ?? node;
}

/**
 * The block kind at the selection's anchor, or `null` when there is no range
 * selection. Lists report their own type even when nested inside another
 * list; h4–h6 (which only a peer could create) report as Heading 3.
 */
export function $getBlockType(selection: BaseSelection | null): BlockType | null {
  if (!$isRangeSelection(selection)) return null;
  const anchor = selection.anchor.getNode();
  const block = $topLevelBlock(anchor);
  if ($isListNode(block)) {
    const nearest = $getNearestNodeOfType(anchor, ListNode) ?? block;
    return nearest.getListType();
  }
  if ($isHeadingNode(block)) {
    const tag = block.getTag();
    return tag === 'h1' || tag === 'h2' ? tag : 'h3';
  }
  if ($isQuoteNode(block)) return 'quote';
  if ($isCodeNode(block)) return 'code';
  return 'paragraph';
}

const LIST_COMMANDS = {
  bullet: INSERT_UNORDERED_LIST_COMMAND,
  number: INSERT_ORDERED_LIST_COMMAND,
  check: INSERT_CHECK_LIST_COMMAND,
} as const;

/**
 * Turns the selected blocks into `type`. Choosing the kind the selection
 * already has turns it back into paragraphs (a toggle, like most editors).
 * Lists go through the list commands so ListPlugin keeps list structure
 * (nesting, merging with neighbours) consistent.
 */
export function formatBlock(editor: LexicalEditor, type: BlockType): void {
  const current = editor.read(() => $getBlockType($getSelection()));
  const target: BlockType = current === type && type !== 'paragraph' ? 'paragraph' : type;
  if (target === 'bullet' || target === 'number' || target === 'check') {
    editor.dispatchCommand(LIST_COMMANDS[target], undefined);
    return;
  }
  editor.update(() => {
    const selection = $getSelection();
    if (!$isRangeSelection(selection)) return;
    switch (target) {
      case 'paragraph':
        $setBlocksType(selection, () => $createParagraphNode());
        return;
      case 'h1':
      case 'h2':
      case 'h3':
        $setBlocksType(selection, () => $createHeadingNode(target));
        return;
      case 'quote':
        $setBlocksType(selection, () => $createQuoteNode());
        return;
      case 'code':
        if (selection.isCollapsed()) {
          $setBlocksType(selection, () => $createCodeNode());
        } else {
          // $setBlocksType would keep one code block per paragraph; a
          // multi-paragraph selection should become one block, line by line.
          const text = selection.getTextContent();
          const code = $createCodeNode();
          selection.insertNodes([code]);
          const after = $getSelection();
          if ($isRangeSelection(after)) after.insertRawText(text);
        }
        return;
    }
  });
}
