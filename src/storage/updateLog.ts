import * as Y from 'yjs';
import { StorageError, type StorageErrorKind } from './DocStore';

/**
 * Rows above which the stored update log is rewritten as one update when a
 * doc is opened or detached. Small enough that opening stays fast and that
 * the rows of sessions that ended in a crash (no compaction on close) cannot
 * pile up; large enough that closing a note after a one-word edit does not
 * rewrite the whole note.
 */
export const COMPACT_ABOVE_ROWS = 8;
/**
 * Rows at which the log of a note that stays open is compacted while it is
 * open: y-indexeddb's PREFERRED_TRIM_SIZE, so the log stays as long as stock
 * y-indexeddb keeps it.
 */
export const TRIM_AT_ROWS = 500;

/**
 * True when `value` is a Yjs update that decodes. Decoding reads every struct
 * and the delete set, which is what applying would trip over; a stored row
 * that fails here would make the whole load throw, so it is set aside instead.
 */
export function isDecodableUpdate(value: unknown): value is Uint8Array {
  if (!(value instanceof Uint8Array)) return false;
  try {
    Y.decodeUpdate(value);
    return true;
  } catch {
    return false;
  }
}

/** Maps a DOMException (or anything thrown) from IndexedDB to a StorageError kind. */
export function storageErrorKindOf(error: unknown): StorageErrorKind {
  const name = typeof error === 'object' && error !== null && 'name' in error ? (error as { name: unknown }).name : null;
  switch (name) {
    case 'QuotaExceededError':
      return 'quota';
    // The connection is closing or closed (another tab deleted the database,
    // the browser cleared storage): writes cannot go through this connection.
    case 'InvalidStateError':
      return 'closed';
    default:
      return 'unknown';
  }
}

/** Wraps anything thrown by storage into a StorageError (kind from the error's name unless given). */
export function toStorageError(error: unknown, context: string, kind?: StorageErrorKind): StorageError {
  if (error instanceof StorageError) return error;
  const detail = error instanceof Error || error instanceof DOMException ? `${error.name}: ${error.message}` : String(error);
  return new StorageError(kind ?? storageErrorKindOf(error), `${context} (${detail})`, { cause: error });
}

/**
 * `update` with deleted content garbage-collected: applied into a fresh doc
 * (gc on) and encoded again. The live doc of an open note keeps deleted
 * content in memory for as long as its Y.UndoManager may bring it back
 * (`keepItem`), and `Y.encodeStateAsUpdate` / `Y.mergeUpdates` write all of
 * it out — after replaying automerge-paper the stored row was 3.6x the
 * note's GC'd state. A compacted row needs none of it: undo history does not
 * survive a reload, and every id stays known (as GC'd ranges), so later
 * updates that refer to deleted items still apply. Costs one decode and one
 * encode of the state, only when compacting.
 */
export function collectGarbage(update: Uint8Array): Uint8Array {
  const copy = new Y.Doc({ gc: true });
  try {
    Y.applyUpdate(copy, update);
    return Y.encodeStateAsUpdate(copy);
  } finally {
    copy.destroy();
  }
}
