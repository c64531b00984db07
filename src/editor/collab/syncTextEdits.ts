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
 * It also puts the typed characters where the caret says (see
 * {@link diffAtCaret}), which the library's diff does not.
 *
 * The V2 layout stores a run of adjacent text nodes (plain, bold, a link's
 * text…) as one XmlText with one attributed segment per node. This path
 * writes each changed node's segment with that segment's own attributes and
 * updates the binding's mapping as the library's `$updateYText` does, but
 * only when that is provably all there is to write:
 * - no element was written (`dirtyElements` only holds ancestors of dirty
 *   leaves, i.e. no block was added, removed, moved or re-attributed; the
 *   root keeps its children list and attributes) and
 *   Lexical normalized nothing (no text nodes merged or split);
 * - every dirty leaf is a plain `text` node that existed before with the
 *   same format, style, mode, detail and state — only its text differs (a
 *   peer's keystroke rendered here is such a change too, and then the
 *   compare finds the XmlText already equal and writes nothing);
 * - its run is still the run its XmlText is mapped to (same nodes, same
 *   order), and the XmlText is live with one string segment per node, the
 *   unchanged nodes' segments holding their text.
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

  const runs = new Map<Y.XmlText, Run>();
  for (const key of dirtyLeaves) {
    const node = $getNodeByKey(key);
    const before = prevEditorState._nodeMap.get(key);
    if (!$isTextNode(node) || node.getType() !== 'text' || !(before instanceof TextNode) || !onlyTextDiffers(before, node)) return false;
    const yText = binding.mapping.getSharedType(node);
    if (!(yText instanceof Y.XmlText) || yText._item?.deleted !== false) return false;
    if (runs.has(yText)) continue;
    const run = mappedRun(binding, yText, node, dirtyLeaves);
    if (run === null) return false;
    runs.set(yText, run);
  }

  const selection = $getSelection();
  const caret = $isRangeSelection(selection) && selection.isCollapsed() ? selection.anchor : null;
  for (const [yText, { nodes, segments }] of runs) {
    let offset = 0;
    nodes.forEach((node, i) => {
      const { insert: stored, attributes } = segments[i] as Segment;
      const text = node.getTextContent();
      if (text !== stored) {
        const cursor = caret !== null && caret.key === node.getKey() ? caret.offset : text.length;
        const { index, remove, insert } = diffAtCaret(stored, text, cursor);
        if (remove > 0) yText.delete(offset + index, remove);
        // Explicit attributes: text typed at a segment's start must not take
        // the previous segment's (or no) formatting.
        if (insert.length > 0) yText.insert(offset + index, insert, attributes ?? {});
      }
      offset += text.length;
    });
    binding.mapping.set(yText, nodes);
  }
  return true;
}

interface Segment {
  insert: string;
  attributes?: Record<string, unknown>;
}

interface Run {
  nodes: TextNode[];
  segments: Segment[];
}

/**
 * The run of sibling text nodes around `node`, if `yText` is mapped to exactly
 * it and holds one string segment per node, every unchanged node's segment
 * equal to its text (so segment offsets in Yjs are the nodes' offsets); else null.
 */
function mappedRun(binding: BindingV2, yText: Y.XmlText, node: TextNode, dirtyLeaves: ReadonlySet<NodeKey>): Run | null {
  let first: TextNode = node;
  for (let prev = first.getPreviousSibling(); $isTextNode(prev); prev = prev.getPreviousSibling()) first = prev;
  const nodes: TextNode[] = [];
  for (let next: LexicalNode | null = first; $isTextNode(next); next = next.getNextSibling()) nodes.push(next);
  const mapped = binding.mapping.get(yText);
  if (!Array.isArray(mapped) || mapped.length !== nodes.length) return null;
  const segments = yText.toDelta() as Segment[];
  if (segments.length !== nodes.length) return null;
  for (let i = 0; i < nodes.length; i++) {
    const current = nodes[i] as TextNode;
    const segment = segments[i] as Segment;
    if (mapped[i]?.getKey() !== current.getKey() || typeof segment.insert !== 'string') return null;
    // An unchanged node's segment must hold its text, or the offsets of the
    // changed ones would be off.
    if (!dirtyLeaves.has(current.getKey()) && segment.insert !== current.getTextContent()) return null;
  }
  return { nodes, segments };
}

/**
 * The edit that turns `before` into `after` when the caret ended at `cursor`
 * in `after`: where equal characters make the change ambiguous, the caret
 * decides ("aa" → "aaa" typed at 1 inserts at 1), so peers' carets,
 * formatting boundaries and concurrent insertions stay where the user sees
 * them.
 *
 * lib0's `simpleDiffStringWithCursor` (and @lexical/yjs's copy of it) caps the
 * common prefix at the caret, but after typing the caret is at the *end* of
 * what was typed: a space typed after "x:" when a peer's space already
 * followed the caret ("x:|␣" → "x:␣|␣") came out as an insertion after the
 * peer's space, and the typist's next word then landed on the wrong side of
 * it. An insertion of n characters ends at the caret, so it starts no later
 * than n before it: the prefix is capped there instead.
 */
export function diffAtCaret(before: string, after: string, cursor: number): { index: number; remove: number; insert: string } {
  const grown = Math.max(0, after.length - before.length);
  return simpleDiffStringWithCursor(before, after, Math.max(0, cursor - grown));
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
