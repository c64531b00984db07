/**
 * y-indexeddb's stored layout, which Weft's notes keep so that databases
 * written by y-indexeddb (and by earlier Weft versions, which used it) open
 * unchanged, and y-indexeddb can open ours: one database per doc, opened
 * without a version (so created at version 1), holding
 *
 * - {@link UPDATES_STORE}: the update log, one Yjs update (Uint8Array) per
 *   row under an auto-incremented key, compacted into one row from time to time;
 * - {@link CUSTOM_STORE}: out-of-line keys, free for the app (we keep
 *   undecodable rows there, under {@link QUARANTINE_KEY_PREFIX}).
 *
 * This module opens such a database and turns every way opening can fail
 * into a StorageError; reading and writing the log is IndexedDbPersistedDoc's.
 */
import { StorageError } from './DocStore';
import { storageErrorKindOf, toStorageError } from './updateLog';

/** y-indexeddb's object store of update rows (its format; never rename). */
export const UPDATES_STORE = 'updates';
/** y-indexeddb's object store for app data (its format; never rename). */
export const CUSTOM_STORE = 'custom';
/** Key prefix under which undecodable rows are kept in the custom store, for salvage. */
export const QUARANTINE_KEY_PREFIX = 'weft:corrupt:';

/** IndexedDB of this realm, or undefined where there is none (old browsers, some private modes, Node). */
export function currentIndexedDb(): IDBFactory | undefined {
  return (globalThis as { indexedDB?: IDBFactory }).indexedDB ?? undefined;
}

/** Resolves when `tx` commits; rejects with the transaction's error (an AbortError when it has none) when it aborts. */
export function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.addEventListener('complete', () => resolve());
    tx.addEventListener('abort', () => reject(tx.error ?? new DOMException('The transaction was aborted', 'AbortError')));
  });
}

/**
 * Asks IndexedDB to commit `tx` now, once its requests are done, instead of
 * when the page next finds the transaction idle. An auto-commit waits for
 * each request's result to travel back to the page and for the page to run
 * its success event — tasks that queue behind everything else on a busy
 * page; `commit()` sends the commit along with the requests. Call it after
 * the last request. Older browsers without `commit()` auto-commit.
 */
export function commitNow(tx: IDBTransaction): void {
  if (typeof tx.commit === 'function') tx.commit();
}

/**
 * Opens `dbName` with y-indexeddb's stores, creating them on first use. A
 * database of that name without them (made by something else) is upgraded
 * once to add them. Rejects with a StorageError: `unavailable` when IndexedDB
 * refuses, `blocked` when another tab holds an older version open or the open
 * fires no event within `timeoutMs` (it is queued behind another tab's
 * deletion or upgrade), `quota` when there is no space to create it.
 */
export function openUpdatesDatabase(factory: IDBFactory, dbName: string, timeoutMs: number, version?: number): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    let settled = false;
    function fail(error: StorageError): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    }
    const timer = setTimeout(
      () =>
        fail(
          new StorageError(
            'blocked',
            `IndexedDB did not open within ${timeoutMs} ms: another tab is probably deleting or upgrading this database`,
          ),
        ),
      timeoutMs,
    );
    let request: IDBOpenDBRequest;
    try {
      request = version === undefined ? factory.open(dbName) : factory.open(dbName, version);
    } catch (error) {
      // SecurityError in sandboxed frames and some private modes.
      fail(toStorageError(error, 'IndexedDB refused to open', 'unavailable'));
      return;
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(UPDATES_STORE)) db.createObjectStore(UPDATES_STORE, { autoIncrement: true });
      if (!db.objectStoreNames.contains(CUSTOM_STORE)) db.createObjectStore(CUSTOM_STORE);
    };
    request.onblocked = () => fail(new StorageError('blocked', 'Another tab holds this database open with an older version'));
    request.onerror = (event) => {
      event.preventDefault();
      const kind = storageErrorKindOf(request.error) === 'quota' ? 'quota' : 'unavailable';
      fail(toStorageError(request.error, 'IndexedDB refused to open', kind));
    };
    request.onsuccess = () => {
      const db = request.result;
      if (settled) {
        // We gave up waiting (blocked); let go so we do not block anyone in turn.
        db.close();
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (!db.objectStoreNames.contains(UPDATES_STORE) || !db.objectStoreNames.contains(CUSTOM_STORE)) {
        const next = db.version + 1;
        db.close();
        if (version !== undefined) {
          reject(new StorageError('unknown', 'The database could not be given its stores'));
          return;
        }
        openUpdatesDatabase(factory, dbName, timeoutMs, next).then(resolve, reject);
        return;
      }
      // Never hold up another tab's deletion or upgrade; the owner of the
      // connection hears `versionchange` too and decides what to do next.
      db.onversionchange = () => db.close();
      resolve(db);
    };
  });
}
