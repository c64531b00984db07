/**
 * Notices a change from elsewhere that removes a large share of a note's text
 * and hands over the note's state from just *before* that change, so it can
 * be kept as a version — without turning off garbage collection and without
 * encoding anything on ordinary keystrokes.
 *
 * How: Yjs emits `afterTransaction` after the observers and *before* it
 * garbage-collects the content deleted in that transaction
 * (`cleanupTransactions` in yjs/src/utils/Transaction.js, 13.6). At that
 * moment the deleted strings are still in memory, so the state before the
 * transaction can be rebuilt exactly: a snapshot made of the transaction's
 * `beforeState` and the delete set minus what the transaction deleted, turned
 * into a doc with `Y.createDocFromSnapshot`. tests/unit/doc/removalGuard.test.ts
 * fails if a Yjs upgrade changes that order.
 *
 * Cost per transaction: an origin check and a look at the transaction's delete
 * set. Only a transaction that deletes at least LARGE_REMOVAL_MIN_CHARS
 * characters costs a pass over the doc, and only a large removal an encode.
 */
import * as Y from 'yjs';
import { countTextChars } from './noteText';
import { LARGE_REMOVAL_MIN_CHARS, isLargeRemoval } from './versionPolicy';

export interface LargeRemoval {
  /** `Y.encodeStateAsUpdate` of the doc as it was before the removing transaction. */
  readonly before: Uint8Array;
  /** Text characters the transaction removed. */
  readonly removedChars: number;
  /** Text characters before it. */
  readonly beforeChars: number;
  readonly origin: unknown;
}

export interface RemovalGuardOptions {
  /** True for transaction origins to watch (peers, other tabs); false for this editor, storage, seed, restore. */
  watch: (origin: unknown) => boolean;
  onLargeRemoval: (removal: LargeRemoval) => void;
}

/** Characters of text the transaction deleted (still countable: GC has not run yet). */
function removedTextChars(transaction: Y.Transaction): number {
  let chars = 0;
  Y.iterateDeletedStructs(transaction, transaction.deleteSet, (struct) => {
    if (struct instanceof Y.Item && struct.content instanceof Y.ContentString) chars += struct.content.getLength();
  });
  return chars;
}

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

/** Starts watching `doc`; returns the disposer. */
export function watchLargeRemovals(doc: Y.Doc, options: RemovalGuardOptions): () => void {
  const onAfterTransaction = (transaction: Y.Transaction): void => {
    if (transaction.deleteSet.clients.size === 0 || !options.watch(transaction.origin)) return;
    const removedChars = removedTextChars(transaction);
    if (removedChars < LARGE_REMOVAL_MIN_CHARS) return;
    // Measured against the text before the transaction, so replacing most of
    // the text by other text counts as much as deleting it.
    const beforeChars = countTextChars(doc) + removedChars - insertedTextChars(transaction);
    if (!isLargeRemoval(removedChars, beforeChars)) return;
    const before = stateBefore(doc, transaction);
    if (before === null) return;
    options.onLargeRemoval({ before, removedChars, beforeChars, origin: transaction.origin });
  };
  doc.on('afterTransaction', onAfterTransaction);
  return () => doc.off('afterTransaction', onAfterTransaction);
}

/** Characters of text inserted by the transaction and still there. */
function insertedTextChars(transaction: Y.Transaction): number {
  let chars = 0;
  const doc = transaction.doc;
  for (const [client, after] of transaction.afterState) {
    const before = transaction.beforeState.get(client) ?? 0;
    if (after === before) continue;
    const structs = doc.store.clients.get(client) ?? [];
    for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
      const struct = structs[i];
      if (struct instanceof Y.Item && !struct.deleted && struct.content instanceof Y.ContentString) {
        chars += struct.content.getLength();
      }
    }
  }
  return chars;
}
