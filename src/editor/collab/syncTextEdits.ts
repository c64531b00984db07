import type { BindingV2 } from '@lexical/yjs';
import { $getNodeByKey, $getRoot, $getSelection, $isRangeSelection, $isTextNode, RootNode, TextNode, type EditorState, type LexicalNode, type NodeKey } from 'lexical';
import { simpleDiffStringWithCursor } from 'lib0/diff';
import * as Y from 'yjs';

/**
 * The keystroke fast path of the V2 binding: writes an update that only
 * changed the text of existing text runs into their Y.XmlTexts, touching
 * nothing else, and reports whether it could. Must run inside a read of the
 * new editor state and a Yjs transaction whose origin is the binding.
 *
 * Why: @lexical/yjs's V2 `syncLexicalUpdateToYjsV2__EXPERIMENTAL` diffs from
 * the root down on every update. At the root it lists every block of the note
 * on both sides (`getChildren()`, `XmlElement.toArray()`) and compares them
 * one by one to find the dirty one, so each keystroke costs O(blocks): on
 * automerge-paper (1,173 paragraphs) about 1 ms of the keystroke, growing
 * with the note (bench scenario 1). Typing into a paragraph changes one text
 * node and nothing structural; that is this path, O(the edited paragraph).
 *
 * It writes exactly what the library's `$updateYText` would (the same
 * cursor-aware string diff, the run's attributes kept) and updates the
 * binding's mapping the same way, but only when that is provably all there
 * is to write:
 * - no element was written (`dirtyElements` only holds ancestors of dirty
 *   leaves, i.e. no block was added, removed, moved or re-attributed; the
 *   root keeps its children list and attributes) and
 *   Lexical normalized nothing (no text nodes merged or split);
 * - every dirty leaf is a plain `text` node that existed before with the
 *   same format, style, mode, detail and state — only its text differs (a
 *   peer's keystroke rendered here is such a change too, and then the
 *   compare finds the XmlText already equal and writes nothing);
 * - each one is a run of its own (no text siblings) and is mapped, alone, to
 *   a live XmlText holding one string with one set of attributes.
 * Anything else returns false before writing anything, and the caller runs
 * the library's full diff.
 */
export function $syncTextEditsToYjs(
  binding: BindingV2,
  prevEditorState: EditorState,
  dirtyElements: ReadonlyMap<NodeKey, boolean>,
  dirtyLeaves: ReadonlySet<NodeKey>,
  normalizedNodes: ReadonlySet<NodeKey>,
): boolean {
  if (normalizedNodes.size > 0 || dirtyLeaves.size === 0) return false;
  for (const [key, written] of dirtyElements) {
    // Lexical marks the root as written whenever anything changed (it runs
    // the root's transforms last), so for the root compare what the binding
    // writes: its children list and attributes.
    if (key === 'root' ? !sameRoot(prevEditorState._nodeMap.get('root'), $getRoot()) : written) return false;
  }

  const edits: Array<{ node: TextNode; yText: Y.XmlText; stored: string; attributes: Record<string, unknown> }> = [];
  for (const key of dirtyLeaves) {
    const node = $getNodeByKey(key);
    const before = prevEditorState._nodeMap.get(key);
    if (!$isTextNode(node) || node.getType() !== 'text' || !(before instanceof TextNode) || !onlyTextDiffers(before, node)) return false;
    if ($isTextNode(node.getPreviousSibling()) || $isTextNode(node.getNextSibling())) return false;
    const yText = binding.mapping.getSharedType(node);
    if (!(yText instanceof Y.XmlText) || yText._item?.deleted !== false) return false;
    const mapped = binding.mapping.get(yText);
    if (mapped?.length !== 1 || mapped[0]?.getKey() !== key) return false;
    const delta = yText.toDelta() as Array<{ insert?: unknown; attributes?: Record<string, unknown> }>;
    const only = delta[0];
    if (delta.length !== 1 || only === undefined || typeof only.insert !== 'string') return false;
    edits.push({ node, yText, stored: only.insert, attributes: only.attributes ?? {} });
  }

  const selection = $getSelection();
  for (const { node, yText, stored, attributes } of edits) {
    const text = node.getTextContent();
    if (text !== stored) {
      // Where the caret is decides which of equal characters changed ("aa" →
      // "aaa" typed at 1 inserts at 1), as in the library: peers' carets and
      // formatting boundaries stay where the user sees them.
      const cursor =
        $isRangeSelection(selection) && selection.isCollapsed() && selection.anchor.key === node.getKey() ? selection.anchor.offset : text.length;
      const { index, remove, insert } = simpleDiffStringWithCursor(stored, text, cursor);
      if (remove > 0) yText.delete(index, remove);
      // Explicit attributes: inserting at the run's start must not come out unformatted.
      if (insert.length > 0) yText.insert(index, insert, attributes);
    }
    binding.mapping.set(yText, [node]);
  }
  return true;
}

function onlyTextDiffers(before: TextNode, after: TextNode): boolean {
  return (
    before.__format === after.__format &&
    before.__style === after.__style &&
    before.__mode === after.__mode &&
    before.__detail === after.__detail &&
    before.__parent === after.__parent &&
    (before.__state === after.__state || stateAttributes(before) === stateAttributes(after))
  );
}

/**
 * A node's state as the binding writes it (its `s_*` attributes), for
 * comparing: rendering a remote change gives every touched node a new state
 * object even when nothing in it changed.
 */
function stateAttributes(node: LexicalNode): string {
  const state = node.__state;
  if (!state) return '{}';
  const [unknown = {}, known] = state.getInternalState();
  const attributes: Record<string, unknown> = { ...unknown };
  for (const [config, value] of known) attributes[config.key] = config.unparse(value);
  return JSON.stringify(attributes);
}

function sameRoot(before: LexicalNode | undefined, after: RootNode): boolean {
  if (!(before instanceof RootNode)) return false;
  return (
    before.__first === after.__first &&
    before.__last === after.__last &&
    before.__size === after.__size &&
    before.__format === after.__format &&
    before.__style === after.__style &&
    before.__indent === after.__indent &&
    before.__dir === after.__dir &&
    before.__textFormat === after.__textFormat &&
    before.__textStyle === after.__textStyle &&
    before.__state === after.__state
  );
}
