/**
 * Random editing operations for the convergence fuzzer. Each runs as one
 * discrete Lexical update through the public selection API, i.e. the same
 * code paths keyboard input and toolbar buttons use.
 */
import { $createHeadingNode, $createQuoteNode } from '@lexical/rich-text';
import { $insertList, $removeList } from '@lexical/list';
import { $setBlocksType } from '@lexical/selection';
import {
  $createParagraphNode,
  $createRangeSelection,
  $getRoot,
  $getSelection,
  $isRangeSelection,
  $isElementNode,
  $isTextNode,
  $setSelection,
  REDO_COMMAND,
  UNDO_COMMAND,
  type ElementNode,
  type LexicalNode,
  type RangeSelection,
  type TextFormatType,
} from 'lexical';
import type { Peer } from './harness';
import { flush, type Rng } from './harness';
import type { IntentionOracle, LocalOp } from './intentionOracle';

interface Point {
  key: string;
  offset: number;
  type: 'text' | 'element';
}

/** Every place a caret can be: inside text nodes, or in an empty block. */
function $caretPoints(): Point[] {
  const points: Point[] = [];
  const visit = (node: LexicalNode): void => {
    if ($isTextNode(node)) {
      for (let o = 0; o <= node.getTextContentSize(); o++) points.push({ key: node.getKey(), offset: o, type: 'text' });
    } else if ($isElementNode(node)) {
      const children = node.getChildren();
      if (children.length === 0 && !node.isInline() && node.getKey() !== 'root') {
        points.push({ key: node.getKey(), offset: 0, type: 'element' });
      }
      children.forEach(visit);
    }
  };
  visit($getRoot());
  return points;
}

/** Blocks a caret can sit at the start of (paragraphs, headings, quotes, list items). */
function $leafBlocks(): ElementNode[] {
  const blocks: ElementNode[] = [];
  const visit = (node: LexicalNode): void => {
    if (!$isElementNode(node)) return;
    const children = node.getChildren();
    const hasBlockChild = children.some((c) => $isElementNode(c) && !c.isInline());
    if (node.getKey() !== 'root' && !node.isInline() && !hasBlockChild) blocks.push(node);
    children.forEach(visit);
  };
  visit($getRoot());
  return blocks;
}

function $select(anchor: Point, focus: Point): RangeSelection | null {
  const sel = $createRangeSelection();
  sel.anchor.set(anchor.key, anchor.offset, anchor.type);
  sel.focus.set(focus.key, focus.offset, focus.type);
  $setSelection(sel);
  return sel;
}

function $randomCaret(rng: Rng): RangeSelection | null {
  const points = $caretPoints();
  if (points.length === 0) return null;
  const p = rng.pick(points);
  return $select(p, p);
}

function $randomRange(rng: Rng): RangeSelection | null {
  const points = $caretPoints();
  if (points.length === 0) return null;
  // Ranges are usually short (within a block), sometimes long (across blocks).
  const a = rng.int(points.length);
  const span = rng.chance(0.7) ? rng.int(6) : rng.int(points.length);
  const b = Math.min(points.length - 1, a + span);
  const [from, to] = rng.chance(0.5) ? [a, b] : [b, a];
  return $select(points[from] as Point, points[to] as Point);
}

/** How many characters one typing operation types: usually a few, sometimes a word or two. */
function typedLength(rng: Rng): number {
  return 1 + rng.int(rng.chance(0.2) ? 12 : 4);
}

/** The character left of the (collapsed) caret, or null at the start of a block. */
function $charLeftOfCaret(): string | null {
  const selection = $getSelection();
  if (!$isRangeSelection(selection)) return null;
  const { anchor } = selection;
  const node = anchor.getNode();
  if (anchor.type === 'element') {
    const child = $isElementNode(node) ? node.getChildAtIndex(anchor.offset - 1) : null;
    return anchor.offset > 0 && $isTextNode(child) ? (child.getTextContent().at(-1) ?? null) : null;
  }
  if (anchor.offset > 0) return node.getTextContent()[anchor.offset - 1] ?? null;
  const previous = node.getPreviousSibling();
  return $isTextNode(previous) ? (previous.getTextContent().at(-1) ?? null) : null;
}

/** The end of a random leaf block: where people append, so where they collide. */
function $randomBlockEnd(rng: Rng): RangeSelection | null {
  const blocks = $leafBlocks();
  if (blocks.length === 0) return null;
  const block = rng.chance(0.5) ? (blocks[blocks.length - 1] as ElementNode) : rng.pick(blocks);
  const last = block.getLastDescendant();
  const point: Point = $isTextNode(last)
    ? { key: last.getKey(), offset: last.getTextContentSize(), type: 'text' }
    : { key: block.getKey(), offset: block.getChildrenSize(), type: 'element' };
  return $select(point, point);
}

const FORMATS: TextFormatType[] = ['bold', 'italic', 'code'];

/** Names of the operations, with relative weights. */
export const OP_WEIGHTS = {
  type: 20,
  /** Go on typing where the caret is (after whatever peers did meanwhile). */
  continue: 25,
  delete: 10,
  format: 8,
  split: 8,
  join: 6,
  block: 6,
  list: 4,
  undo: 5,
  redo: 3,
  /** Enter at the end of the note and type a line (only used to set up a note). */
  newLine: 0,
} as const;
export type OpName = keyof typeof OP_WEIGHTS;

/** Weighted pick of an operation; `allowed` narrows the set (e.g. typing-only runs). */
export function pickOp(rng: Rng, allowed: readonly OpName[] = Object.keys(OP_WEIGHTS) as OpName[]): OpName {
  const total = allowed.reduce((s, op) => s + OP_WEIGHTS[op], 0);
  let r = rng.next() * total;
  for (const op of allowed) {
    r -= OP_WEIGHTS[op];
    if (r < 0) return op;
  }
  return allowed[allowed.length - 1] as OpName;
}

/**
 * Run one operation on a peer and report it to the oracle. Returns a short
 * description for the failure log.
 */
export function runOp(peer: Peer, index: number, op: OpName, rng: Rng, oracle: IntentionOracle): string {
  const { editor, handle } = peer;
  if (op === 'continue' && !oracle.typing(index)) op = 'type';
  let desc: string = op;
  const errorsBefore = peer.errors.length;
  const before = editor.getEditorState().read(() => $getRoot().getTextContent());
  const report: LocalOp = { peer: index, kind: 'other', before, after: before, typed: '', leftOfCaret: null, inserts: false };
  if (op === 'undo' || op === 'redo') {
    // Undo/redo are Yjs transactions; the binding renders them into Lexical. Through the
    // commands, as the app's keys and buttons do: they write edits still waiting for their
    // frame first (calling the UndoManager directly skipped that, and the undo then met an
    // editor ahead of its doc: a library sync error, seeds 7300 and 3144211933).
    editor.dispatchCommand(op === 'undo' ? UNDO_COMMAND : REDO_COMMAND, undefined);
    flush(editor);
    report.kind = op;
  } else {
    editor.update(
      () => {
        switch (op) {
          case 'type':
          case 'continue': {
            const selection = op === 'continue' ? $getSelection() : rng.chance(0.4) ? $randomBlockEnd(rng) : $randomCaret(rng);
            if (!$isRangeSelection(selection) || !selection.isCollapsed()) break;
            const text = oracle.fresh(typedLength(rng));
            desc = `${op} ${text}`;
            report.leftOfCaret = $charLeftOfCaret();
            if (op === 'continue') oracle.checkCaret(index, $getRoot().getTextContent(), report.leftOfCaret, `peer${index} about to continue`);
            report.kind = op;
            report.typed = text;
            report.inserts = true;
            selection.insertText(text);
            break;
          }
          case 'delete':
            report.kind = 'delete';
            $randomRange(rng)?.removeText();
            break;
          case 'format': {
            const format = rng.pick(FORMATS);
            desc = `format ${format}`;
            $randomRange(rng)?.formatText(format);
            break;
          }
          case 'newLine': {
            // A new line at the end of the note, with something typed on it.
            const selection = $getRoot().selectEnd();
            selection.insertParagraph();
            const text = oracle.fresh(typedLength(rng));
            desc = `new line ${text}`;
            Object.assign(report, { kind: 'type', typed: text, inserts: true, leftOfCaret: null });
            selection.insertText(text);
            break;
          }
          case 'split': {
            const selection = $randomCaret(rng);
            report.leftOfCaret = $charLeftOfCaret();
            report.inserts = true;
            selection?.insertParagraph();
            break;
          }
          case 'join': {
            // Backspace at the start of a block merges it into the previous one.
            const blocks = $leafBlocks();
            if (blocks.length < 2) break;
            const block = blocks[1 + rng.int(blocks.length - 1)] as ElementNode;
            const first = block.getFirstDescendant();
            const point: Point = $isTextNode(first)
              ? { key: first.getKey(), offset: 0, type: 'text' }
              : { key: block.getKey(), offset: 0, type: 'element' };
            $select(point, point)?.deleteCharacter(true);
            break;
          }
          case 'block': {
            const kind = rng.pick(['h1', 'h2', 'quote', 'paragraph'] as const);
            desc = `block ${kind}`;
            const sel = rng.chance(0.7) ? $randomCaret(rng) : $randomRange(rng);
            if (sel) {
              $setBlocksType(sel, () =>
                kind === 'quote' ? $createQuoteNode() : kind === 'paragraph' ? $createParagraphNode() : $createHeadingNode(kind),
              );
            }
            break;
          }
          case 'list': {
            const kind = rng.pick(['bullet', 'number', 'check', 'remove'] as const);
            desc = `list ${kind}`;
            const sel = rng.chance(0.7) ? $randomCaret(rng) : $randomRange(rng);
            if (sel) {
              if (kind === 'remove') $removeList();
              else $insertList(kind);
            }
            break;
          }
        }
      },
      { discrete: true },
    );
    flush(editor);
  }
  // Lexical core sometimes throws inside its own selection code for unusual
  // ranges (e.g. "$getTextNodeOffset: invalid offset" from removeText). It
  // then rolls the update back, so nothing reaches Yjs and convergence is
  // unaffected; such ops are counted, not failed. Errors while rendering
  // remote changes stay failures.
  if (peer.errors.length > errorsBefore) {
    peer.rejectedOps.push(...peer.errors.splice(errorsBefore));
    desc += ' (rejected by Lexical)';
    // Rolled back: nothing was typed, and the caret's run ends here.
    report.kind = 'other';
    report.typed = '';
  }
  report.after = editor.getEditorState().read(() => $getRoot().getTextContent());
  oracle.record(report);
  // Capture boundaries are time-based in Yjs; make them random but reproducible
  // (the test sets captureTimeout so that only stopCapturing() ends a group).
  if (rng.chance(0.6)) {
    // Time passed (the app groups undo steps by time): the frame that writes waiting edits came too.
    handle.writeLocalEdits();
    handle.undoManager.stopCapturing();
  }
  return desc;
}

/** The caret check of the oracle for a peer at the end of a run: is it after its own last character? */
export function checkFinalCaret(peer: Peer, index: number, oracle: IntentionOracle): void {
  peer.editor.getEditorState().read(() => {
    oracle.checkCaret(index, $getRoot().getTextContent(), $charLeftOfCaret(), `peer${index} at the end`);
  });
}
