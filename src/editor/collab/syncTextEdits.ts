import type { BindingV2 } from '@lexical/yjs';
import { $getNodeByKey, $getRoot, $getSelection, $isElementNode, $isRangeSelection, $isTextNode, RootNode, TextNode, type EditorState, type LexicalNode, type NodeKey } from 'lexical';
import { simpleDiffStringWithCursor } from 'lib0/diff';
import type * as Y from 'yjs';
import { $alignTextRuns, $runOf, locateInRun, runText, segmentsOf, type AlignedRun, type Segment } from './alignTextRuns';

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

  const runs = new Map<AlignedRun, TextNode>();
  for (const key of dirtyLeaves) {
    const node = $getNodeByKey(key);
    const before = prevEditorState._nodeMap.get(key);
    if (!$isTextNode(node) || node.getType() !== 'text' || !(before instanceof TextNode) || !onlyTextDiffers(before, node)) return false;
    const run = $runOf(binding, node);
    // One changed node per run: its place in the run's text is then known.
    if (run === null || run.texts.some((t) => t._item?.deleted !== false)) return false;
    for (const seen of runs.keys()) if (seen.texts[0] === run.texts[0]) return false;
    runs.set(run, node);
  }

  const edits: Array<{ run: AlignedRun; node: TextNode; segments: Segment[]; start: number; stored: string }> = [];
  for (const [run, node] of runs) {
    const segments = segmentsOf(run.texts);
    if (segments === null) return false;
    const before = segments.map((segment) => segment.insert).join('');
    const now = runText(run.nodes);
    const index = run.nodes.indexOf(node);
    const start = runText(run.nodes.slice(0, index)).length;
    const after = now.length - start - node.getTextContentSize();
    // Yjs and Lexical must agree on everything in the run but this node.
    if (before.length - after < start || before.slice(0, start) !== now.slice(0, start) || before.slice(before.length - after) !== now.slice(now.length - after)) return false;
    edits.push({ run, node, segments, start, stored: before.slice(start, before.length - after) });
  }

  const selection = $getSelection();
  const caret = $isRangeSelection(selection) && selection.isCollapsed() ? selection.anchor : null;
  for (const { run, node, segments, start, stored } of edits) {
    const text = node.getTextContent();
    if (text !== stored) {
      const cursor = caret !== null && caret.key === node.getKey() ? caret.offset : text.length;
      const { index, remove, insert } = diffAtCaret(stored, text, cursor);
      const at = start + index;
      // Typed text takes the formatting of the character it follows in this
      // node (or, at the node's start, the one it precedes): explicit, so text
      // typed at a segment's start does not take the previous segment's.
      // (A plain segment has no attributes: that is "none", not "look further".)
      const from = index > 0 ? at - 1 : at;
      const segment = segmentAt(segments, from) ?? segmentAt(segments, at - 1);
      const attributes = segment?.attributes ?? {};
      if (remove > 0) deleteInRun(run.texts, at, remove);
      if (insert.length > 0) {
        const { text: yText, offset } = locateInRun(run.texts, at, index > 0 ? 'left' : 'right');
        yText.insert(offset, insert, attributes);
      }
    }
    // The mapping can name one XmlText per node: a run the binding sees as
    // several (see AlignedRun) keeps the mapping @lexical/yjs made.
    if (run.texts.length === 1) binding.mapping.set(run.texts[0] as Y.XmlText, run.nodes);
  }
  return true;
}

/** The segment holding character `index` of a run, if any. */
function segmentAt(segments: readonly Segment[], index: number): Segment | undefined {
  if (index < 0) return undefined;
  let rest = index;
  for (const segment of segments) {
    if (rest < segment.insert.length) return segment;
    rest -= segment.insert.length;
  }
  return undefined;
}

/** Deletes `count` characters of a run from `index` on, across its XmlTexts. */
function deleteInRun(texts: readonly Y.XmlText[], index: number, count: number): void {
  let offset = 0;
  for (const text of texts) {
    const length = text.length;
    const from = Math.max(index, offset);
    const to = Math.min(index + count, offset + length);
    if (to > from) text.delete(from - offset, to - from);
    offset += length;
  }
}

/**
 * Whether what Lexical shows in the dirty elements is what Yjs holds, text
 * run by text run (several XmlTexts side by side count as one run, see
 * {@link AlignedRun}), with every other child in place (`rebuilt`: the update
 * rebuilt the editor from the doc). Then rendering a
 * peer's change restructured nothing and there is nothing to write back —
 * in particular not Lexical's merge of two such XmlTexts' text nodes, which
 * @lexical/yjs would write as a copy on every peer.
 */
export function $lexicalMatchesYjs(binding: BindingV2, dirtyElements: ReadonlyMap<NodeKey, boolean>, rebuilt: boolean): boolean {
  for (const key of dirtyElements.keys()) {
    const element = $getNodeByKey(key);
    // After a rebuild from the doc every old node is gone by design, and the
    // new ones are checked; otherwise a removed element is a restructure.
    if (rebuilt && (element === null || !element.isAttached())) continue;
    if (!$isElementNode(element) || !element.isAttached()) return false;
    const runs = $alignTextRuns(binding, element);
    if (runs === null) return false;
    for (const run of runs) {
      const segments = segmentsOf(run.texts);
      if (segments === null || segments.map((segment) => segment.insert).join('') !== runText(run.nodes)) return false;
    }
  }
  return true;
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
