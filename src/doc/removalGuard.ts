/**
 * Notices changes from elsewhere (peers, other tabs) that remove a large share
 * of the note's own text — in one transaction or in many small ones — and
 * hands over the note's state from just *before* the removals started, so it
 * can be kept as a version.
 *
 * **What counts.** Only text that is the user's or that the note already held:
 * text typed on this device (this doc's client id), or text that existed at the
 * guard's *baseline*. The baseline is the note's state vector when the guard
 * started, moved forward by {@link RemovalWatch.checkpoint} (the recorder calls
 * it after each version) and after each firing. A peer inserting junk and
 * deleting it again removes nothing that counts, however often it does so.
 *
 * **Accumulation ("churn").** The first removal of counted text from elsewhere
 * starts a churn: the guard keeps the state from just before it and the number
 * of counted characters it held. Every later removal of counted text from
 * elsewhere adds up, until the sum reaches {@link isLargeRemoval}'s share of
 * those characters: then the guard fires with the state before the churn
 * started, and a new baseline begins. A churn is not per peer: transaction
 * origins name transports, not people, and a peer can come back under a new
 * client id, so every origin from elsewhere adds to the same sum. A churn that
 * never reaches the share stays open (one state of the note held in memory)
 * until it does or the guard is disposed.
 *
 * **How the state before is rebuilt.** Yjs emits `afterTransaction` after the
 * observers and *before* it garbage-collects the content deleted in that
 * transaction (`cleanupTransactions` in yjs/src/utils/Transaction.js, 13.6). At
 * that moment the deleted strings are still in memory, so the state before the
 * transaction can be rebuilt exactly: a snapshot made of the transaction's
 * `beforeState` and the delete set minus what the transaction deleted, turned
 * into a doc with `Y.createDocFromSnapshot`. tests/unit/doc/removalGuard.test.ts
 * fails if a Yjs upgrade changes that order.
 *
 * Cost per transaction: an origin check and a look at the transaction's delete
 * set. A churn's first removal costs one pass over the doc and one encode; a
 * firing costs nothing more.
 */
import * as Y from 'yjs';
import { isLargeRemoval } from './versionPolicy';

export interface LargeRemoval {
  /** `Y.encodeStateAsUpdate` of the doc as it was before the churn's first removal. */
  readonly before: Uint8Array;
  /** Counted text characters removed from elsewhere since then (this device's own included). */
  readonly removedChars: number;
  /** Counted text characters the doc held before the churn. */
  readonly beforeChars: number;
  /** Origin of the transaction that completed the churn. */
  readonly origin: unknown;
}

export interface RemovalGuardOptions {
  /** True for transaction origins to watch (peers, other tabs); false for this editor, storage, seed, restore. */
  watch: (origin: unknown) => boolean;
  onLargeRemoval: (removal: LargeRemoval) => void;
  /** Called when a churn starts, i.e. when the state later handed to `onLargeRemoval` is taken. */
  onChurnStart?: () => void;
}

/** A running guard. */
export interface RemovalWatch {
  /**
   * Moves the baseline to the doc's current state (what the note holds now
   * counts from here on). Ignored while a churn is open, so that a version
   * recorded in the middle of a churn does not reset it.
   */
  checkpoint(): void;
  /** Stops watching and lets go of an open churn's state. */
  dispose(): void;
}

/** An open churn: the state before its first removal, and what was removed since. */
interface Churn {
  readonly before: Uint8Array;
  readonly beforeChars: number;
  removedChars: number;
}

/** Text characters of `struct` when it is a string item. */
const textLength = (struct: Y.Item | Y.GC): number =>
  struct instanceof Y.Item && struct.content instanceof Y.ContentString ? struct.content.getLength() : 0;

/**
 * The doc's state before `transaction`, rebuilt inside its `afterTransaction`
 * (see the module comment). Returns null if that is no longer possible.
 */
function stateBefore(doc: Y.Doc, transaction: Y.Transaction): Uint8Array | null {
  type Range = { clock: number; len: number };
  const ds = Y.createDeleteSet();
  for (const [client, structs] of doc.store.clients) {
    const limit = transaction.beforeState.get(client) ?? 0;
    const ranges: Range[] = [];
    for (const struct of structs) {
      if (struct.id.clock >= limit) break;
      if (!struct.deleted || Y.isDeleted(transaction.deleteSet, struct.id)) continue;
      const len = Math.min(struct.length, limit - struct.id.clock);
      const last = ranges[ranges.length - 1];
      if (last && last.clock + last.len === struct.id.clock) last.len += len;
      else ranges.push({ clock: struct.id.clock, len });
    }
    // DeleteItem is not exported; the encoder only reads `clock` and `len`.
    if (ranges.length > 0) ds.clients.set(client, ranges as never);
  }
  const snapshot = Y.createSnapshot(ds, new Map(transaction.beforeState));
  const gc = doc.gc;
  // createDocFromSnapshot refuses GC'd docs because GC'd content cannot come
  // back; everything this snapshot needs is still there (see the module comment).
  doc.gc = false;
  try {
    const before = Y.createDocFromSnapshot(doc, snapshot);
    const state = Y.encodeStateAsUpdate(before);
    before.destroy();
    return state;
  } catch {
    return null;
  } finally {
    doc.gc = gc;
  }
}

/** Each client's next clock in `doc`. */
const stateVector = (doc: Y.Doc): Map<number, number> => Y.decodeStateVector(Y.encodeStateVector(doc));

/** Starts watching `doc`; returns the running guard. */
export function watchLargeRemovals(doc: Y.Doc, options: RemovalGuardOptions): RemovalWatch {
  let baseline = stateVector(doc);
  let churn: Churn | null = null;

  /** Text the guard protects: typed on this device, or held at the baseline. */
  const counts = (id: Y.ID): boolean => id.client === doc.clientID || id.clock < (baseline.get(id.client) ?? 0);

  /** Counted characters the transaction deleted (still countable: GC has not run yet). */
  const removedChars = (transaction: Y.Transaction): number => {
    let chars = 0;
    Y.iterateDeletedStructs(transaction, transaction.deleteSet, (struct) => {
      if (counts(struct.id)) chars += textLength(struct);
    });
    return chars;
  };

  /** Counted characters the doc held before `transaction`: alive then, or deleted by it. */
  const charsBefore = (transaction: Y.Transaction): number => {
    let chars = 0;
    for (const structs of doc.store.clients.values()) {
      for (const struct of structs) {
        if (!counts(struct.id)) continue;
        if (!struct.deleted || Y.isDeleted(transaction.deleteSet, struct.id)) chars += textLength(struct);
      }
    }
    return chars;
  };

  const onAfterTransaction = (transaction: Y.Transaction): void => {
    if (transaction.deleteSet.clients.size === 0 || !options.watch(transaction.origin)) return;
    const removed = removedChars(transaction);
    if (removed === 0) return;
    if (churn === null) {
      const before = stateBefore(doc, transaction);
      if (before === null) return;
      churn = { before, beforeChars: charsBefore(transaction), removedChars: 0 };
      options.onChurnStart?.();
    }
    churn.removedChars += removed;
    if (!isLargeRemoval(churn.removedChars, churn.beforeChars)) return;
    const { before, beforeChars, removedChars: total } = churn;
    churn = null;
    baseline = stateVector(doc);
    options.onLargeRemoval({ before, removedChars: total, beforeChars, origin: transaction.origin });
  };
  doc.on('afterTransaction', onAfterTransaction);
  return {
    checkpoint: () => {
      if (churn === null) baseline = stateVector(doc);
    },
    dispose: () => {
      churn = null;
      doc.off('afterTransaction', onAfterTransaction);
    },
  };
}
