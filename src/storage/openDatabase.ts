import { StorageError } from './DocStore';
import { toStorageError } from './updateLog';

export interface OpenDatabaseOptions {
  readonly name: string;
  readonly version: number;
  /** What the database holds, for the timeout's message ("the notes list"). */
  readonly what: string;
  readonly timeoutMs: number;
  /**
   * Creates the stores and indexes this version needs (each only when missing); `transaction`
   * (the upgrade's own) and `oldVersion` (0: a new database) let it move old records over.
   */
  readonly upgrade: (db: IDBDatabase, transaction: IDBTransaction, oldVersion: number) => void;
  /** The connection went: another tab deletes or upgrades the database, or the browser closed it. */
  readonly onGone?: () => void;
}

/**
 * Opens one of Weft's small IndexedDB databases (the notes list, versions, the device key).
 * Another tab holding an older version open blocks the open until it lets go, with no error:
 * after `timeoutMs` this gives up with a `blocked` StorageError (a connection that opens late is
 * closed at once). A tab that deletes or upgrades the database later is let through: this
 * connection closes, and `onGone` lets its owner open again on the next call.
 */
export function openDatabase(options: OpenDatabaseOptions): Promise<IDBDatabase> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) return Promise.reject(new StorageError('unavailable', 'IndexedDB is not available in this browser'));
  return new Promise<IDBDatabase>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new StorageError('blocked', `The ${options.what} database did not open within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(options.name, options.version);
    } catch (error) {
      clearTimeout(timer);
      reject(toStorageError(error, 'IndexedDB refused to open', 'unavailable'));
      return;
    }
    request.onupgradeneeded = (event) => options.upgrade(request.result, request.transaction as IDBTransaction, event.oldVersion);
    request.onerror = (event) => {
      event.preventDefault();
      clearTimeout(timer);
      if (!settled) reject(toStorageError(request.error, 'IndexedDB refused to open', 'unavailable'));
      settled = true;
    };
    request.onsuccess = () => {
      clearTimeout(timer);
      const db = request.result;
      if (settled) {
        db.close();
        return;
      }
      settled = true;
      db.onversionchange = () => {
        db.close();
        options.onGone?.();
      };
      db.onclose = () => options.onGone?.();
      resolve(db);
    };
  });
}

/** An IndexedDB request as a promise. */
export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
