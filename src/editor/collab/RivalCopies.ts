import * as Y from 'yjs';
import { align, copiesWrittenBy, EMBED, liveBefore, MIN_SHARED, plainText, putBack, withFormat, type OldChar, type Relocate } from './rescueOrphanedText';

/** Own rewrites remembered, newest last: enough for every rewrite a peer can answer while it types. */
const MAX_REMEMBERED = 256;
/** A copy holds at least this share of a rewritten run's text; a pure copy holds one run's. */
const PURE_SHARE = 0.9;

/**
 * Two people rewriting one block at once — one makes the paragraph a heading
 * while the other makes it a quote — each delete it and insert a copy (Yjs
 * has no move, see rescueOrphanedText). Yjs keeps both copies: the block's
 * text is there twice, on every peer.
 *
 * Who acts: of the two rewriters, the one with the higher client id drops its
 * own copy when the other's arrives, after carrying into the other copy what
 * only its copy held (its typing since the rewrite, with formatting); the
 * other keeps its copy. Both decide from the same two ids, so exactly one of
 * them drops: never both copies, which would leave the text nowhere.
 *
 * What: only a copy that is a whole top-level block holding nothing but the
 * rewritten run (a type change). A copy that merged other text (a block
 * joined into the one above) or sits in a list keeps its place: its other
 * text has nowhere to go, and a duplicate beats a loss.
 */
export class RivalCopies {
  /** Rewritten run's item id (`client:clock`) → this client's copy of it, and the run's text then. */
  private readonly mine = new Map<string, { copy: Y.XmlText; text: string }>();

  /** Whether a peer's change may find a rival of an own copy (cheap). */
  mayResolve(): boolean {
    return this.mine.size > 0;
  }

  /** After a local transaction: remembers each run it rewrote into a pure top-level copy. */
  record(tr: Y.Transaction): void {
    if (tr.deleteSet.clients.size === 0) return;
    const rewritten: Y.XmlText[] = [];
    Y.iterateDeletedStructs(tr, tr.deleteSet, (struct) => {
      if (struct instanceof Y.Item && struct.content instanceof Y.ContentType && struct.content.type instanceof Y.XmlText && liveBefore(tr, struct)) {
        rewritten.push(struct.content.type);
      }
    });
    if (rewritten.length === 0) return;
    const created = copiesWrittenBy(tr).filter((run) => run._item !== null && run._item.id.clock >= (tr.beforeState.get(run._item.id.client) ?? 0) && droppable(run));
    if (created.length === 0) return;
    // Each copy with the rewritten runs whose text it holds: pure when it holds one.
    const sources = new Map<Y.XmlText, Array<{ old: Y.XmlText; text: string }>>();
    for (const old of rewritten) {
      const before = textBefore(tr, old);
      if (before.length === 0) continue;
      for (const copy of created) {
        const shared = align(before, plainText(copy)).filter((at) => at >= 0).length;
        if (shared >= before.length * PURE_SHARE) sources.set(copy, [...(sources.get(copy) ?? []), { old, text: before }]);
      }
    }
    for (const [copy, from] of sources) if (from.length === 1) this.remember(from[0]!.old, copy, from[0]!.text);
  }

  /**
   * After a peer's transaction (`update` as received): drops this client's copy of
   * a run the peer rewrote too, when this client is the one to drop. Returns how
   * many copies it dropped; `onMoved` as in rescueOrphanedText.
   */
  resolve(tr: Y.Transaction, update: Uint8Array, ownClient: number, origin: unknown, onMoved?: (relocate: Relocate) => void): number {
    if (this.mine.size === 0 || tr.local) return 0;
    const rivals = copiesWrittenBy(tr).filter((run) => run._item !== null && run._item.id.client < ownClient);
    if (rivals.length === 0) return 0;
    let deleted: ReturnType<typeof Y.decodeUpdate>['ds'] | null = null;
    let dropped = 0;
    for (const [key, { copy, text }] of [...this.mine]) {
      if (copy._item === null || copy._item.deleted || !droppable(copy)) {
        this.mine.delete(key);
        continue;
      }
      // Emptied since (its text deleted): it duplicates nothing.
      if (copy.length === 0) {
        this.mine.delete(key);
        continue;
      }
      const [client, clock] = key.split(':').map(Number) as [number, number];
      deleted ??= Y.decodeUpdate(update).ds;
      // The peer deleted the run this client rewrote: it rewrote it too, not having seen this copy.
      if (!Y.isDeleted(deleted, Y.createID(client, clock))) continue;
      // The peer's copy is of the same run: it holds most of its text as it was (both may have typed since).
      let best: { rival: Y.XmlText; shared: number } | null = null;
      for (const rival of rivals) {
        if (rival === copy) continue;
        const shared = align(text, plainText(rival)).filter((at) => at >= 0).length;
        if (best === null || shared > best.shared) best = { rival, shared };
      }
      if (best === null || best.shared === 0 || best.shared < text.length * MIN_SHARED) continue;
      this.mine.delete(key);
      const rival = best.rival;
      tr.doc.transact(() => {
        // By index in this copy: where each of its characters is in the rival now.
        const placed = new Map<number, { copy: Y.XmlText; index: number }>();
        putBack(charactersOf(copy), [rival], placed);
        const block = copy.parent as Y.XmlElement;
        // The caret goes with the text, wherever in the dropped block it was (read before it goes).
        onMoved?.((position) => {
          const at = Y.createAbsolutePositionFromRelativePosition(position, tr.doc);
          if (at === null) return null;
          if (at.type === copy) {
            const hit = placed.get(position.assoc < 0 ? at.index - 1 : at.index);
            if (hit !== undefined) return Y.createRelativePositionFromTypeIndex(rival, position.assoc < 0 ? hit.index + 1 : hit.index, position.assoc);
          } else if (at.type !== block) {
            return null;
          }
          return Y.createRelativePositionFromTypeIndex(rival, at.index === 0 ? 0 : rival.length, position.assoc);
        });
        const root = block.parent as Y.XmlElement;
        root.delete(root.toArray().indexOf(block), 1);
      }, origin);
      dropped++;
    }
    return dropped;
  }

  private remember(old: Y.XmlText, copy: Y.XmlText, text: string): void {
    const id = (old._item as Y.Item).id;
    this.mine.set(`${id.client}:${id.clock}`, { copy, text });
    if (this.mine.size > MAX_REMEMBERED) this.mine.delete(this.mine.keys().next().value as string);
  }
}

/** A run that is the only child of a top-level block: its block can go with it. */
function droppable(run: Y.XmlText): boolean {
  const block = run.parent;
  if (!(block instanceof Y.XmlElement) || block.length !== 1) return false;
  const root = block.parent;
  return root instanceof Y.XmlElement && root._item === null;
}

/** A run's text as it was just before the transaction. */
function textBefore(tr: Y.Transaction, run: Y.XmlText): string {
  let text = '';
  for (let n = run._start; n !== null; n = n.right) {
    if (liveBefore(tr, n) && n.content instanceof Y.ContentString) text += n.content.str;
  }
  return text;
}

/**
 * The run's characters, all to be carried: the rival copy gets each one it
 * lacks. Each one's `clock` is its index in the run (where the caret was).
 */
function charactersOf(run: Y.XmlText): OldChar[] {
  const chars: OldChar[] = [];
  let attributes: Record<string, unknown> = {};
  for (let n = run._start; n !== null; n = n.right) {
    if (n.deleted) continue;
    const content = n.content;
    if (content instanceof Y.ContentFormat) attributes = withFormat(attributes, content);
    else if (content instanceof Y.ContentString) {
      for (let i = 0; i < content.str.length; i++) chars.push({ ch: content.str[i] as string, own: true, unseen: true, clock: chars.length, attributes });
    } else if (n.countable) {
      // An inline element: an anchor for the alignment, never carried as text.
      for (let i = 0; i < n.length; i++) chars.push({ ch: EMBED, own: false, unseen: false, clock: chars.length, attributes: {} });
    }
  }
  return chars;
}
