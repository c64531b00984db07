import diff from 'fast-diff';
import * as Y from 'yjs';

/**
 * After a peer's change, puts back what this client typed into a block the
 * peer rewrote without having seen it. Returns how many characters it put back.
 *
 * Why: Yjs has no move, so the note layout changes a block's structure by
 * deleting it and inserting a copy — a paragraph turned into a heading, a
 * block joined into the one above, a list turned into paragraphs. Characters
 * a person typed into the old block at the same moment were not in the copy
 * (its writer had not seen them) and go with the old block: every peer agrees,
 * and the typing is silently gone.
 *
 * Who: only the client that typed them. Every peer sees the loss, but if each
 * put the text back, each would insert its own copy; the typist alone does,
 * once, as a local edit that reaches everyone like any other keystroke.
 *
 * Where: a rewrite copies the old block's text into a run (XmlText) that the
 * same transaction created or wrote into. The old block's text, as this
 * client had it, is diffed against each such run; the run that shares most
 * of it is the copy. Own characters the diff finds in the copy were seen by
 * the rewriter; the others go back where the diff puts them, with their
 * formatting. A block the peer deleted outright has no copy and stays deleted.
 *
 * `onPutBack` is called inside the transaction that writes them (so before
 * the editor renders it) with a function that maps a relative position on an
 * own character of the old block to the same character in the copy: the
 * caret that followed the typing follows it there.
 */
export function rescueOrphanedText(
  tr: Y.Transaction,
  update: Uint8Array,
  ownClient: number,
  origin: unknown,
  onPutBack?: (relocate: Relocate) => void,
): number {
  if (tr.local) return 0;
  const ownDeleted = tr.deleteSet.clients.get(ownClient);
  if (ownDeleted === undefined) return 0;
  // Decoded only now that own text went with a deleted block (rare).
  let deletedOnPurpose: ReturnType<typeof Y.decodeUpdate>['ds'] | null = null;
  const unseen = (clock: number): boolean => {
    deletedOnPurpose ??= Y.decodeUpdate(update).ds;
    return !Y.isDeleted(deletedOnPurpose, Y.createID(ownClient, clock));
  };
  const orphaned = new Set<Y.XmlText>();
  for (const range of ownDeleted) {
    // One range can span items of several runs (a client's clock counts all its items).
    for (let clock = range.clock; clock < range.clock + range.len; ) {
      const struct = Y.getItem(tr.doc.store, Y.createID(ownClient, clock));
      clock = struct.id.clock + struct.length;
      if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) continue;
      const parent = struct.parent;
      if (parent instanceof Y.XmlText && inContainerDeletedBy(tr, parent)) orphaned.add(parent);
    }
  }
  if (orphaned.size === 0) return 0;
  // Blocks with own text, put back or not: the caret follows the copy either way.
  const blocks = [...orphaned].map((text) => charactersBefore(tr, text, ownClient, unseen)).filter((chars) => chars.some((c) => c.own));
  if (blocks.length === 0) return 0;
  const copies = copiesWrittenBy(tr);
  if (copies.length === 0) return 0;

  let rescued = 0;
  tr.doc.transact(() => {
    const placed = new Map<number, { copy: Y.XmlText; index: number }>();
    for (const chars of blocks) rescued += putBack(chars, copies, placed);
    if (placed.size > 0) onPutBack?.((position) => relocate(position, placed, ownClient));
  }, origin);
  return rescued;
}

/**
 * Maps a relative position that names one of the own characters of a
 * rewritten block to the same character in its copy (null for any other).
 */
export type Relocate = (position: Y.RelativePosition) => Y.RelativePosition | null;

/** One character of an orphaned run as this client had it just before the peer's change. */
export interface OldChar {
  readonly ch: string;
  /** Typed by this client (then `clock` is its Yjs clock). */
  readonly own: boolean;
  /** Own, and gone with its block although the peer's update did not delete it: the peer had not seen it. */
  readonly unseen: boolean;
  readonly clock: number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** Stands for an inline element: never equal to typed text. */
export const EMBED = '\u{FFFC}';
/** Stands for a copy character that is not to be matched (a code unit typed text never holds). */
const UNMATCHABLE = '\u{0}';

/**
 * A copy must share at least this share of the old block's text that others
 * wrote to count as its copy: text a peer typed elsewhere in the same change
 * is not one.
 */
export const MIN_SHARED = 0.5;

/** Whether `type` or a container around it was deleted by this transaction. */
function inContainerDeletedBy(tr: Y.Transaction, type: Y.XmlText): boolean {
  for (let t: Y.AbstractType<unknown> | null = type as unknown as Y.AbstractType<unknown>; t !== null && t._item !== null; t = t._item.parent as Y.AbstractType<unknown> | null) {
    if (t._item.deleted) return Y.isDeleted(tr.deleteSet, t._item.id);
  }
  return false;
}

/** The formatting in force after a format item: a new object (the old one is shared by earlier characters). */
export function withFormat(attributes: Readonly<Record<string, unknown>>, format: Y.ContentFormat): Record<string, unknown> {
  const next: Record<string, unknown> = { ...attributes };
  if (format.value === null) delete next[format.key];
  else next[format.key] = format.value;
  return next;
}

/** Whether an item was there just before the transaction (live, or deleted by it, and not created by it). */
export function liveBefore(tr: Y.Transaction, item: Y.Item): boolean {
  if (item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0)) return false;
  return !item.deleted || Y.isDeleted(tr.deleteSet, item.id);
}

/** The characters of an XmlText as they were just before the transaction, with their formatting. */
function charactersBefore(tr: Y.Transaction, text: Y.XmlText, ownClient: number, unseen: (clock: number) => boolean): OldChar[] {
  const chars: OldChar[] = [];
  let attributes: Record<string, unknown> = {};
  for (let n = text._start; n !== null; n = n.right) {
    if (!liveBefore(tr, n)) continue;
    const content = n.content;
    if (content instanceof Y.ContentFormat) {
      attributes = withFormat(attributes, content);
    } else if (content instanceof Y.ContentString) {
      const own = n.id.client === ownClient;
      // Yjs counts UTF-16 code units, as string indices do.
      for (let i = 0; i < content.str.length; i++) {
        const clock = n.id.clock + i;
        chars.push({ ch: content.str[i] as string, own, unseen: own && n.deleted && unseen(clock), clock, attributes });
      }
    } else if (n.countable) {
      for (let i = 0; i < n.length; i++) chars.push({ ch: EMBED, own: false, unseen: false, clock: -1, attributes: {} });
    }
  }
  return chars;
}

/** The live runs this transaction created or inserted text into: where a rewrite puts its copy. */
export function copiesWrittenBy(tr: Y.Transaction): Y.XmlText[] {
  const found = new Set<Y.XmlText>();
  const collectNew = (type: Y.AbstractType<unknown>): void => {
    if (type instanceof Y.XmlText) found.add(type);
    for (let n = type._start; n !== null; n = n.right) {
      if (!n.deleted && n.content instanceof Y.ContentType) collectNew(n.content.type as Y.AbstractType<unknown>);
    }
  };
  for (const type of tr.changed.keys()) {
    if (type._item !== null && type._item.deleted) continue;
    if (type instanceof Y.XmlText) found.add(type);
    // Types created by the transaction report no changes of their own: find them under their parent.
    for (let n = type._start; n !== null; n = n.right) {
      if (n.deleted || !(n.content instanceof Y.ContentType)) continue;
      if (n.id.clock >= (tr.beforeState.get(n.id.client) ?? 0)) collectNew(n.content.type as Y.AbstractType<unknown>);
    }
  }
  return [...found];
}

/**
 * Finds the copy of one orphaned run, inserts the own characters it lacks
 * and records where every own character now is (`placed`, by clock).
 * Returns how many characters it inserted.
 *
 * Two diffs, so that own characters never steal a match from others' text
 * ("one two three" against "one three" must keep " three" whole): others'
 * characters are aligned with the copy first; each run of own characters is
 * then aligned with the copy's text between its aligned neighbours (what the
 * rewriter saw of it is there, maybe beside its own concurrent typing).
 */
export function putBack(chars: readonly OldChar[], copies: readonly Y.XmlText[], placed: Map<number, { copy: Y.XmlText; index: number }>): number {
  const othersAt = chars.flatMap((c, i) => (c.own ? [] : [i]));
  const othersText = othersAt.map((i) => (chars[i] as OldChar).ch).join('');
  let best: { copy: Y.XmlText; text: string; inCopy: number[]; shared: number } | null = null;
  for (const copy of copies) {
    const text = plainText(copy);
    const inCopy = align(othersText, text);
    // A block only this client wrote is recognised by what the rewriter saw of it.
    const shared = (othersText === '' ? align(chars.map((c) => c.ch).join(''), text) : inCopy).filter((at) => at >= 0).length;
    if (best === null || shared > best.shared) best = { copy, text, inCopy, shared };
  }
  if (best === null || best.shared === 0 || best.shared < othersText.length * MIN_SHARED) return 0;
  const { copy, text } = best;
  // Copy index of each old character that others typed (-1: not in the copy).
  const otherIndex = new Map<number, number>(othersAt.map((i, k) => [i, best.inCopy[k] as number]));
  const claimed = new Set(best.inCopy.filter((at) => at >= 0));

  const inserts: Array<{ at: number; from: number; to: number }> = [];
  const matchedOwn: Array<{ char: number; at: number }> = [];
  for (let from = 0; from < chars.length; ) {
    if (!(chars[from] as OldChar).own) {
      from++;
      continue;
    }
    let to = from;
    while (to < chars.length && (chars[to] as OldChar).own) to++;
    // The copy's text between the nearest aligned neighbours of this run.
    // Spaces do not count as neighbours: which of two equal spaces a diff
    // pairs with the others' is arbitrary ("notes (draft)" against "notes for
    // Mond (draft)" pairs the space before "(draft)" with the one before "for").
    let left = -1;
    for (let i = from - 1; i >= 0 && left < 0; i--) left = isSpace(chars[i]) ? -1 : (otherIndex.get(i) ?? -1);
    let right = text.length;
    for (let i = to; i < chars.length; i++) {
      const at = isSpace(chars[i]) ? -1 : (otherIndex.get(i) ?? -1);
      if (at >= 0) {
        right = at;
        break;
      }
    }
    if (right <= left) right = left + 1;
    const gapStart = left + 1;
    const run = chars.slice(from, to).map((c) => c.ch).join('');
    // Characters already paired with others' text are not the run's to match.
    const gap = [...text.slice(gapStart, Math.max(gapStart, right))].map((ch, k) => (claimed.has(gapStart + k) ? UNMATCHABLE : ch)).join('');
    const inGap = align(run, gap);
    let insertAt = gapStart;
    for (let k = 0; k < inGap.length; k++) {
      const at = inGap[k] as number;
      if (at >= 0) {
        matchedOwn.push({ char: from + k, at: gapStart + at });
        insertAt = gapStart + at + 1;
        continue;
      }
      const c = chars[from + k] as OldChar;
      // Own text the peer saw and deleted stays deleted.
      if (!c.unseen) continue;
      const last = inserts.at(-1);
      if (last !== undefined && last.to === from + k && last.at === insertAt && chars[from + k - 1]?.attributes === c.attributes) last.to++;
      else inserts.push({ at: insertAt, from: from + k, to: from + k + 1 });
    }
    from = to;
  }

  // Insert left to right; earlier insertions shift later indices.
  const shiftAt = (index: number): number => inserts.reduce((n, g) => (g.at <= index ? n + (g.to - g.from) : n), 0);
  let shift = 0;
  for (const group of inserts) {
    const at = group.at + shift;
    const typed = chars.slice(group.from, group.to).map((c) => c.ch).join('');
    copy.insert(at, typed, attributesAt(copy, at, (chars[group.from] as OldChar).attributes));
    for (let i = group.from; i < group.to; i++) placed.set((chars[i] as OldChar).clock, { copy, index: at + (i - group.from) });
    shift += typed.length;
  }
  for (const { char, at } of matchedOwn) placed.set((chars[char] as OldChar).clock, { copy, index: at + shiftAt(at) });
  return shift;
}

const isSpace = (c: OldChar | undefined): boolean => c !== undefined && /\s/.test(c.ch);

/** For each character of `from`, its index in `to` where a diff of the two keeps it, else -1. */
export function align(from: string, to: string): number[] {
  const result: number[] = [];
  let at = 0;
  for (const [op, s] of diff(from, to)) {
    if (op === diff.INSERT) {
      at += s.length;
      continue;
    }
    for (let i = 0; i < s.length; i++) result.push(op === diff.EQUAL ? at + i : -1);
    if (op === diff.EQUAL) at += s.length;
  }
  return result;
}

function relocate(position: Y.RelativePosition, placed: ReadonlyMap<number, { copy: Y.XmlText; index: number }>, ownClient: number): Y.RelativePosition | null {
  const item = position.item;
  if (item === null || item.client !== ownClient) return null;
  const at = placed.get(item.clock);
  if (at === undefined) return null;
  // A position sticking left names the character before it.
  return Y.createRelativePositionFromTypeIndex(at.copy, position.assoc < 0 ? at.index + 1 : at.index, position.assoc);
}

/** A run's text with each embedded element as one {@link EMBED} (the index space of `insert`). */
export function plainText(text: Y.XmlText): string {
  return (text.toDelta() as Array<{ insert: unknown }>).map((op) => (typeof op.insert === 'string' ? op.insert : EMBED)).join('');
}

/**
 * The run's own formatting, with every other attribute in force at `index`
 * cleared: Yjs otherwise keeps the neighbours' formatting on inserted text.
 */
export function attributesAt(text: Y.XmlText, index: number, own: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...own };
  let seen = 0;
  for (const op of text.toDelta() as Array<{ insert: unknown; attributes?: Record<string, unknown> }>) {
    const length = typeof op.insert === 'string' ? op.insert.length : 1;
    if (seen < index && index <= seen + length) {
      for (const key of Object.keys(op.attributes ?? {})) if (!(key in result)) result[key] = null;
      break;
    }
    seen += length;
  }
  return result;
}
