import * as Y from 'yjs';
import { align, attributesAt, copiesWrittenBy, liveBefore, MIN_SHARED, plainText, withFormat, type Relocate } from './rescueOrphanedText';

/**
 * Whether {@link followMovedText} may have anything to do after `tr`: the cheap test
 * (no characters built), so that the caller does its own work only then.
 */
export function mayFollowMovedText(tr: Y.Transaction, ownClient: number, caret: readonly Y.RelativePosition[]): boolean {
  if (tr.local || tr.deleteSet.clients.size === 0) return false;
  const caretItems = caretItemsOf(caret);
  for (const type of tr.changed.keys()) {
    if (type instanceof Y.XmlText && !isGone(type) && mayFollow(tr, type, caretItems, ownClient)) return true;
  }
  return false;
}

const caretItemsOf = (caret: readonly Y.RelativePosition[]): Y.ID[] => caret.flatMap((p) => (p.item !== null && p.assoc < 0 ? [p.item] : []));

/**
 * After a peer's change, moves what this client typed right after text the
 * peer moved into another block (a split: Enter in the middle of a block), and
 * maps the caret that was right after such text. Returns how many characters
 * it moved.
 *
 * Why: Yjs has no move, so a split deletes the text after the split point and
 * inserts a copy of it in a new block. Characters a person typed after one of
 * those characters without having seen the split stay behind at the split
 * point, and a caret sticking to a deleted character resolves there too: the
 * person's words are torn in two, the second half in the wrong block.
 *
 * Which: own characters, still live in a block that was not deleted, typed
 * after (their Yjs origin is) a character this transaction deleted; a peer
 * that had seen them and split before them would have moved them too. Text
 * deleted with no copy (a word deleted outright) leaves them where they are.
 *
 * Where: the deleted run around that character is diffed against each run the
 * transaction wrote (rescueOrphanedText's copies); the typing goes right after
 * the copy of its character. Only the typist moves its own text, once, as a
 * local edit that reaches everyone like a keystroke; `onMoved` gets the map
 * for the caret, inside that transaction.
 */
export function followMovedText(
  tr: Y.Transaction,
  ownClient: number,
  origin: unknown,
  caret: readonly Y.RelativePosition[],
  onMoved?: (relocate: Relocate) => void,
): number {
  if (tr.local || tr.deleteSet.clients.size === 0) return 0;
  const caretItems = caretItemsOf(caret);
  const moves: Move[] = [];
  const placed = new Map<string, Placed>();
  let copies: Y.XmlText[] | null = null;
  for (const type of tr.changed.keys()) {
    if (!(type instanceof Y.XmlText) || isGone(type) || !mayFollow(tr, type, caretItems, ownClient)) continue;
    const chars = charactersOf(tr, type, ownClient);
    const anchors = anchorsIn(tr, chars, caretItems, ownClient);
    if (anchors.length === 0) continue;
    copies ??= copiesWrittenBy(tr);
    for (const anchor of anchors) {
      const found = copyOf(chars, anchor.at, copies.filter((c) => c !== type));
      if (found === null) continue;
      const { copy, index } = found;
      placed.set(key(chars[anchor.at] as Char), { copy, index, by: null });
      if (anchor.run !== null) moves.push({ from: type, run: anchor.run, copy, at: index + 1 });
    }
  }
  if (placed.size === 0) return 0;
  let moved = 0;
  tr.doc.transact(() => {
    // Right to left within a copy: each insertion leaves the points left of it where they were.
    moves.sort((x, y) => y.at - x.at);
    for (const move of moves) moved += apply(move, placed);
    onMoved?.((position) => relocate(position, placed, moves));
  }, origin);
  return moved;
}

/** One character of a run as it was just before the transaction. */
interface Char {
  readonly ch: string;
  readonly client: number;
  readonly clock: number;
  readonly item: Y.Item;
  /** Deleted by this transaction. */
  readonly deleted: boolean;
  /** Typed by this client, live, from before the transaction: its own text that may follow. */
  readonly movable: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** Where a character is in a copy: `index` in the copy as the peer wrote it, or `by` a move. */
interface Placed {
  readonly copy: Y.XmlText;
  readonly index: number;
  readonly by: Move | null;
}

interface Move {
  readonly from: Y.XmlText;
  readonly run: readonly Char[];
  readonly copy: Y.XmlText;
  /** Where the run goes, in the copy as the peer wrote it. */
  readonly at: number;
}

const key = (c: { client: number; clock: number }): string => `${c.client}:${c.clock}`;

function isGone(type: Y.XmlText): boolean {
  for (let t: Y.AbstractType<unknown> | null = type as unknown as Y.AbstractType<unknown>; t !== null && t._item !== null; t = t._item.parent as Y.AbstractType<unknown> | null) {
    if (t._item.deleted) return true;
  }
  return false;
}

/**
 * Whether anything of ours may follow text this change deleted from `text`:
 * the cheap test, without building its characters (most remote deletions are
 * a peer's Backspace with nothing of ours after it).
 */
function mayFollow(tr: Y.Transaction, text: Y.XmlText, caretItems: readonly Y.ID[], ownClient: number): boolean {
  for (const id of caretItems) {
    if (!Y.isDeleted(tr.deleteSet, id)) continue;
    const item = Y.getItem(tr.doc.store, id);
    if (item instanceof Y.Item && item.parent === text) return true;
  }
  const ownBefore = tr.beforeState.get(ownClient) ?? 0;
  for (let n = text._start; n !== null; n = n.right) {
    if (n.id.client === ownClient && !n.deleted && n.id.clock < ownBefore && n.origin !== null && Y.isDeleted(tr.deleteSet, n.origin)) return true;
  }
  return false;
}

/** The run's characters as they were just before the transaction (text only; formatting carried). */
function charactersOf(tr: Y.Transaction, text: Y.XmlText, ownClient: number): Char[] {
  const chars: Char[] = [];
  const ownBefore = tr.beforeState.get(ownClient) ?? 0;
  let attributes: Readonly<Record<string, unknown>> = {};
  for (let n = text._start; n !== null; n = n.right) {
    if (!liveBefore(tr, n)) continue;
    const deleted = n.deleted;
    const content = n.content;
    if (content instanceof Y.ContentFormat) {
      attributes = withFormat(attributes, content);
    } else if (content instanceof Y.ContentString) {
      const movable = !deleted && n.id.client === ownClient && n.id.clock < ownBefore;
      for (let i = 0; i < content.str.length; i++) {
        chars.push({ ch: content.str[i] as string, client: n.id.client, clock: n.id.clock + i, item: n, deleted, movable, attributes });
      }
    } else if (n.countable) {
      // An inline element: a character that is never moved and never matches typed text.
      for (let i = 0; i < n.length; i++) chars.push({ ch: '\u{FFFC}', client: n.id.client, clock: n.id.clock + i, item: n, deleted, movable: false, attributes: {} });
    }
  }
  return chars;
}

/**
 * The deleted characters that something of ours follows: the one an own run
 * was typed after (with that run), and the one a caret sticks to.
 */
function anchorsIn(tr: Y.Transaction, chars: readonly Char[], caretItems: readonly Y.ID[], ownClient: number): Array<{ at: number; run: Char[] | null }> {
  const anchors: Array<{ at: number; run: Char[] | null }> = [];
  const indexOf = new Map(chars.map((c, i) => [key(c), i]));
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as Char;
    // The first character of an own run typed after a character this change deleted.
    if (!c.movable || c.clock !== c.item.id.clock) continue;
    const after = c.item.origin;
    if (after === null || !Y.isDeleted(tr.deleteSet, after)) continue;
    const at = indexOf.get(key(after));
    if (at === undefined || !(chars[at] as Char).deleted) continue;
    // The run: this item and the own live characters typed after it, up to anything else.
    let end = i;
    while (end < chars.length && (chars[end] as Char).movable && (chars[end] as Char).client === ownClient) end++;
    anchors.push({ at, run: chars.slice(i, end) });
  }
  for (const id of caretItems) {
    const at = indexOf.get(key(id));
    if (at !== undefined && (chars[at] as Char).deleted && !anchors.some((a) => a.at === at)) anchors.push({ at, run: null });
  }
  return anchors;
}

/**
 * Where the deleted character `at` went: the copy holding most of the deleted
 * run around it, and its index there; null when no copy has it.
 */
function copyOf(chars: readonly Char[], at: number, copies: readonly Y.XmlText[]): { copy: Y.XmlText; index: number } | null {
  let from = at;
  while (from > 0 && (chars[from - 1] as Char).deleted) from--;
  let to = at + 1;
  while (to < chars.length && (chars[to] as Char).deleted) to++;
  const deleted = chars.slice(from, to).map((c) => c.ch).join('');
  let best: { copy: Y.XmlText; index: number; shared: number } | null = null;
  for (const copy of copies) {
    const inCopy = align(deleted, plainText(copy));
    const shared = inCopy.filter((i) => i >= 0).length;
    const index = inCopy[at - from] as number;
    if (index >= 0 && shared >= deleted.length * MIN_SHARED && (best === null || shared > best.shared)) best = { copy, index, shared };
  }
  return best === null ? null : { copy: best.copy, index: best.index };
}

/** Moves one own run: inserted after its character's copy, removed where it was. Returns its length. */
function apply(move: Move, placed: Map<string, Placed>): number {
  const { from, run, copy, at } = move;
  // Group by formatting, so each piece keeps its own.
  let offset = 0;
  for (let i = 0; i < run.length; ) {
    let j = i + 1;
    while (j < run.length && (run[j] as Char).attributes === (run[i] as Char).attributes) j++;
    const piece = run.slice(i, j);
    copy.insert(at + offset, piece.map((c) => c.ch).join(''), attributesAt(copy, at + offset, (piece[0] as Char).attributes));
    piece.forEach((c, k) => placed.set(key(c), { copy, index: offset + k, by: move }));
    offset += piece.length;
    i = j;
  }
  const index = liveIndexOf(from, run[0] as Char);
  if (index >= 0) from.delete(index, run.length);
  return run.length;
}

/** The index of a live character in its run now (the space `delete` counts in), or -1. */
function liveIndexOf(text: Y.XmlText, char: Char): number {
  let index = 0;
  for (let n = text._start; n !== null; n = n.right) {
    if (n === char.item) return index + (char.clock - n.id.clock);
    if (!n.deleted && n.countable) index += n.length;
  }
  return -1;
}

function relocate(position: Y.RelativePosition, placed: ReadonlyMap<string, Placed>, moves: readonly Move[]): Y.RelativePosition | null {
  const item = position.item;
  if (item === null) return null;
  const at = placed.get(key(item));
  if (at === undefined) return null;
  // In the copy as the peer wrote it, a moved character sits at its move's point; every move
  // into the same copy at or before that point (another's, never its own) shifts it right.
  const point = at.by === null ? at.index : at.by.at;
  const shift = moves.reduce((n, m) => (m !== at.by && m.copy === at.copy && (at.by === null ? m.at <= point : m.at < point) ? n + m.run.length : n), 0);
  const index = point + (at.by === null ? 0 : at.index) + shift;
  // A position sticking left names the character before it.
  return Y.createRelativePositionFromTypeIndex(at.copy, position.assoc < 0 ? index + 1 : index, position.assoc);
}
