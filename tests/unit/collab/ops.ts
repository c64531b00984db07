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
  $isElementNode,
  $isTextNode,
  $setSelection,
  type ElementNode,
  type LexicalNode,
  type RangeSelection,
  type TextFormatType,
} from 'lexical';
import type { Peer } from './harness';
import { flush, type Rng } from './harness';

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

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz     ';
function randomText(rng: Rng): string {
  let s = '';
  const n = 1 + rng.int(rng.chance(0.2) ? 12 : 4);
  for (let i = 0; i < n; i++) s += ALPHABET[rng.int(ALPHABET.length)];
  return s;
}

const FORMATS: TextFormatType[] = ['bold', 'italic', 'code'];

/** Names of the operations, with relative weights. */
export const OP_WEIGHTS = {
  type: 30,
  delete: 10,
  format: 8,
  split: 8,
  join: 6,
  block: 6,
  list: 4,
  undo: 5,
  redo: 3,
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

/** Run one operation on a peer. Returns a short description for the failure log. */
export function runOp(peer: Peer, op: OpName, rng: Rng): string {
  const { editor, handle } = peer;
  let desc: string = op;
  const errorsBefore = peer.errors.length;
  if (op === 'undo' || op === 'redo') {
    // Undo/redo are Yjs transactions; the binding renders them into Lexical.
    if (op === 'undo') handle.undoManager.undo();
    else handle.undoManager.redo();
    flush(editor);
    return desc;
  }
  editor.update(
    () => {
      switch (op) {
        case 'type': {
          const text = randomText(rng);
          desc = `type ${JSON.stringify(text)}`;
          $randomCaret(rng)?.insertText(text);
          break;
        }
        case 'delete':
          $randomRange(rng)?.removeText();
          break;
        case 'format': {
          const format = rng.pick(FORMATS);
          desc = `format ${format}`;
          $randomRange(rng)?.formatText(format);
          break;
        }
        case 'split':
          $randomCaret(rng)?.insertParagraph();
          break;
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
  // Lexical core sometimes throws inside its own selection code for unusual
  // ranges (e.g. "$getTextNodeOffset: invalid offset" from removeText). It
  // then rolls the update back, so nothing reaches Yjs and convergence is
  // unaffected; such ops are counted, not failed. Errors while rendering
  // remote changes stay failures.
  if (peer.errors.length > errorsBefore) {
    peer.rejectedOps.push(...peer.errors.splice(errorsBefore));
    desc += ' (rejected by Lexical)';
  }
  // Capture boundaries are time-based in Yjs; make them random but reproducible
  // (the test sets captureTimeout so that only stopCapturing() ends a group).
  if (rng.chance(0.6)) handle.undoManager.stopCapturing();
  return desc;
}
