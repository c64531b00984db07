/**
 * DocStore on IndexedDB: one database per doc in y-indexeddb's layout
 * (updatesDatabase.ts), each doc attached through IndexedDbPersistedDoc.
 */
import type * as Y from 'yjs';
import { StorageError, type DocStore } from './DocStore';
import { IndexedDbPersistedDoc } from './IndexedDbPersistedDoc';
import { PaintScheduler } from './PaintScheduler';
import { toStorageError } from './updateLog';
import { currentIndexedDb } from './updatesDatabase';

/** Prefix of every database name, so Weft's databases are recognisable among the origin's. */
export const DEFAULT_DB_PREFIX = 'weft:';
/**
 * How long `indexedDB.open` may take before we call it blocked. An open is
 * queued behind another tab's pending deletion or upgrade and then fires no
 * event at all; a healthy open takes milliseconds even on slow devices, so a
 * generous limit only delays the message in the blocked case.
 */
export const OPEN_TIMEOUT_MS = 10_000;
/** How long a deletion may stay blocked by another tab before `remove` gives up waiting. */
export const DELETE_BLOCKED_GRACE_MS = 3_000;

export interface IndexedDbStoreOptions {
  /** Prefix of the database names. Default {@link DEFAULT_DB_PREFIX}; tests pass a fresh one. */
  prefix?: string;
  /** See {@link OPEN_TIMEOUT_MS}. */
  openTimeoutMs?: number;
  /** See {@link DELETE_BLOCKED_GRACE_MS}. */
  deleteBlockedGraceMs?: number;
  /**
   * Runs writes after the frame that shows their edit. The page passes its one
   * scheduler, which the editor's writes to the doc share: an edit then reaches
   * the doc and IndexedDB in the same task. Default: a scheduler of its own.
   */
  paintScheduler?: PaintScheduler;
}

/** Stores each doc in its own IndexedDB database named `prefix + name`. */
export class IndexedDbStore implements DocStore {
  readonly prefix: string;
  readonly openTimeoutMs: number;
  readonly deleteBlockedGraceMs: number;
  private readonly attached = new Map<string, Set<IndexedDbPersistedDoc>>();
  private readonly scheduleWrite: (write: () => void) => void;

  constructor(options: IndexedDbStoreOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_DB_PREFIX;
    this.openTimeoutMs = options.openTimeoutMs ?? OPEN_TIMEOUT_MS;
    this.deleteBlockedGraceMs = options.deleteBlockedGraceMs ?? DELETE_BLOCKED_GRACE_MS;
    // Edits are written right after the frame that shows them (see PaintScheduler).
    const scheduler = options.paintScheduler ?? new PaintScheduler();
    this.scheduleWrite = (write) => scheduler.schedule(write);
  }

  /** The IndexedDB database name used for the doc `name`. */
  databaseName(name: string): string {
    return this.prefix + name;
  }

  open(name: string, doc: Y.Doc): IndexedDbPersistedDoc {
    let set = this.attached.get(name);
    if (!set) this.attached.set(name, (set = new Set()));
    const attachments = set;
    const persisted: IndexedDbPersistedDoc = new IndexedDbPersistedDoc(doc, {
      databaseName: this.databaseName(name),
      openTimeoutMs: this.openTimeoutMs,
      forget: () => attachments.delete(persisted),
      scheduleWrite: this.scheduleWrite,
    });
    attachments.add(persisted);
    return persisted;
  }

  /** Looks the database up in `indexedDB.databases()`; true where the browser lacks it (before Firefox 126). */
  async mayExist(name: string): Promise<boolean> {
    const factory = currentIndexedDb();
    if (!factory || typeof factory.databases !== 'function') return true;
    try {
      const wanted = this.databaseName(name);
      return (await factory.databases()).some((db) => db.name === wanted);
    } catch {
      return true;
    }
  }

  /**
   * Deletes the database of `name`. Docs of this store still attached to it
   * stop saving quietly (the app asked for the deletion). Rejects with
   * `blocked` when another tab keeps the database open for longer than the
   * grace period — the deletion then stays queued and happens once that tab
   * lets go — and with `unavailable` when there is no IndexedDB.
   */
  remove(name: string): Promise<void> {
    const factory = currentIndexedDb();
    if (!factory) return Promise.reject(new StorageError('unavailable', 'IndexedDB is not available in this browser'));
    for (const persisted of this.attached.get(name) ?? []) persisted.expectRemoval();
    return new Promise<void>((resolve, reject) => {
      let request: IDBOpenDBRequest;
      try {
        request = factory.deleteDatabase(this.databaseName(name));
      } catch (error) {
        reject(toStorageError(error, 'Could not delete the stored note', 'unavailable'));
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      request.onsuccess = () => {
        clearTimeout(timer);
        resolve();
      };
      request.onerror = () => {
        clearTimeout(timer);
        reject(toStorageError(request.error, 'Could not delete the stored note'));
      };
      request.onblocked = () => {
        timer ??= setTimeout(
          () => reject(new StorageError('blocked', 'Another tab keeps this note open; it will be deleted once that tab closes it')),
          this.deleteBlockedGraceMs,
        );
      };
    });
  }
}
