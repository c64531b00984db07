import type { BindingV2 } from '@lexical/yjs';
import { $getSelection, $isElementNode, $isRangeSelection, $isTextNode, type PointType } from 'lexical';
import * as Y from 'yjs';
import { $runOf, locateInRun, runText } from './alignTextRuns';

/**
 * The local selection as Yjs relative positions: where the caret is in terms
 * of the characters around it, not of offsets that a peer's insertion shifts.
 */
export interface KeptSelection {
  readonly anchor: Y.RelativePosition;
  readonly focus: Y.RelativePosition;
}

/**
 * Left association: the position sticks to the character before it and stays
 * right after that character whatever is inserted next to it.
 */
const STICK_LEFT = -1;
/** Right association: sticks to the character after the position. */
const STICK_RIGHT = 0;

/**
 * The current Lexical selection (read inside an editor read or update) as
 * relative positions in the V2 binding's shared types, or null when there is
 * no range selection or a point is not mapped to Yjs yet.
 *
 * Association is what keeps each person's words whole when several people
 * type at the same place. A collapsed caret sticks to the character on its
 * left: right after typing, that is the character just typed, so whatever a
 * peer inserts at the same spot lands on one side of the caret and the next
 * keystroke follows the previous one (with @lexical/yjs's default, the caret
 * sticks to the character on its right — or the end of the run — and a peer's
 * concurrent insertion that Yjs orders after ours carries the caret past it:
 * "alpha" and "bravo" typed together came out as "abrlapvhoa"). A range
 * sticks to the characters it covers (start right, end left), so text typed
 * just outside it stays outside, as in y-prosemirror and Google Docs.
 */
export function $keepSelection(binding: BindingV2): KeptSelection | null {
  const selection = $getSelection();
  if (!$isRangeSelection(selection)) return null;
  const collapsed = selection.isCollapsed();
  const backward = !collapsed && selection.isBackward();
  const anchorAssoc = collapsed || backward ? STICK_LEFT : STICK_RIGHT;
  const focusAssoc = collapsed || !backward ? STICK_LEFT : STICK_RIGHT;
  const anchor = relativePosition(binding, selection.anchor, anchorAssoc);
  const focus = relativePosition(binding, selection.focus, focusAssoc);
  return anchor !== null && focus !== null ? { anchor, focus } : null;
}

/** Whether two kept selections name the same places (so nothing needs publishing). */
export function sameKeptSelection(a: KeptSelection | null, b: KeptSelection | null): boolean {
  if (a === null || b === null) return a === b;
  return Y.compareRelativePositions(a.anchor, b.anchor) && Y.compareRelativePositions(a.focus, b.focus);
}

/**
 * A Lexical point as a Yjs relative position, mapped the way the V2 binding
 * lays nodes out: adjacent text nodes share one XmlText (so a text offset
 * counts the text of the siblings before it), and in an element an index
 * counts a run of text nodes as one child. @lexical/yjs computes the same for
 * its awareness state but does not export it, and it fixes the association.
 */
function relativePosition(binding: BindingV2, point: PointType, assoc: number): Y.RelativePosition | null {
  const node = point.getNode();
  if (point.type === 'text' && $isTextNode(node)) {
    const run = $runOf(binding, node);
    if (run !== null) {
      // The run may span several XmlTexts (see AlignedRun): name the one the
      // caret is in, on the side it sticks to.
      const before = run.nodes.slice(0, run.nodes.indexOf(node));
      const at = locateInRun(run.texts, runText(before).length + point.offset, assoc < 0 ? 'left' : 'right');
      return Y.createRelativePositionFromTypeIndex(at.text, at.offset, assoc);
    }
  }
  const type = binding.mapping.getSharedType(node);
  if (type === undefined) return null;
  if (point.type === 'text') {
    if (!$isTextNode(node)) return null;
    let index = point.offset;
    for (let sibling = node.getPreviousSibling(); $isTextNode(sibling); sibling = sibling.getPreviousSibling()) {
      index += sibling.getTextContentSize();
    }
    return Y.createRelativePositionFromTypeIndex(type, index, assoc);
  }
  if (!$isElementNode(node)) return null;
  // A run of text nodes is one XmlText: it counts once, and an offset inside
  // the run can only mean its end (as in @lexical/yjs).
  let index = 0;
  let seen = 0;
  let child = node.getFirstChild();
  while (child !== null && seen < point.offset) {
    let next = child.getNextSibling();
    seen++;
    if ($isTextNode(child)) {
      for (; $isTextNode(next); next = next.getNextSibling()) seen++;
    }
    index++;
    child = next;
  }
  return Y.createRelativePositionFromTypeIndex(type, index, assoc);
}
