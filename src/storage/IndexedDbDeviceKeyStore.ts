/**
 * DeviceKeyStore on IndexedDB: a database of its own (default
 * {@link DEVICE_KEY_DB_NAME}) holding one record, the key pair as CryptoKey
 * objects. The database is opened per call and closed after it: the key is
 * read once per page load, and a held connection would only block another
 * tab's upgrade or deletion.
 *
 * `keep` reads and writes in one readwrite transaction; IndexedDB runs
 * readwrite transactions on one store one after another, across tabs, so of
 * two tabs creating a key at once the second finds the first's and keeps it.
 */
import { isDeviceKeyPair, type DeviceKeyStore } from './DeviceKeyStore';
import { OPEN_TIMEOUT_MS } from './IndexedDbStore';
import { openDatabase, requestResult } from './openDatabase';
import { toStorageError } from './updateLog';

/** Persisted names: never rename. */
export const DEVICE_KEY_DB_NAME = 'weft:device';
export const DEVICE_KEY_DB_VERSION = 1;
export const DEVICE_KEY_STORE = 'keys';
export const DEVICE_KEY_RECORD = 'device';

export interface IndexedDbDeviceKeyStoreOptions {
  /** Database name; tests pass a fresh one. Default {@link DEVICE_KEY_DB_NAME}. */
  name?: string;
  /** How long opening may take before it counts as blocked. Default {@link OPEN_TIMEOUT_MS}. */
  openTimeoutMs?: number;
}


export class IndexedDbDeviceKeyStore implements DeviceKeyStore {
  private readonly name: string;
  private readonly openTimeoutMs: number;

  constructor(options: IndexedDbDeviceKeyStoreOptions = {}) {
    this.name = options.name ?? DEVICE_KEY_DB_NAME;
    this.openTimeoutMs = options.openTimeoutMs ?? OPEN_TIMEOUT_MS;
  }

  load(): Promise<CryptoKeyPair | null> {
    return this.run('readonly', async (store) => {
      const value: unknown = await requestResult(store.get(DEVICE_KEY_RECORD));
      return isDeviceKeyPair(value) ? value : null;
    });
  }

  keep(pair: CryptoKeyPair): Promise<CryptoKeyPair> {
    if (!isDeviceKeyPair(pair)) return Promise.reject(new TypeError('IndexedDbDeviceKeyStore.keep: not an Ed25519 key pair'));
    return this.run('readwrite', async (store) => {
      const value: unknown = await requestResult(store.get(DEVICE_KEY_RECORD));
      if (isDeviceKeyPair(value)) return value;
      // A damaged record (not a key pair) is replaced: there is nothing in it to keep.
      await requestResult(store.put(pair, DEVICE_KEY_RECORD));
      return pair;
    });
  }

  private async run<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => Promise<T>): Promise<T> {
    const db = await this.open();
    try {
      const tx = db.transaction([DEVICE_KEY_STORE], mode);
      const done = new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error ?? new DOMException('Transaction aborted', 'AbortError'));
      });
      const result = await fn(tx.objectStore(DEVICE_KEY_STORE));
      await done;
      return result;
    } catch (error) {
      throw toStorageError(error, 'Could not read or store this device’s key');
    } finally {
      db.close();
    }
  }

  private open(): Promise<IDBDatabase> {
    return openDatabase({
      name: this.name,
      version: DEVICE_KEY_DB_VERSION,
      what: 'device key',
      timeoutMs: this.openTimeoutMs,
      upgrade: (db) => {
        if (!db.objectStoreNames.contains(DEVICE_KEY_STORE)) db.createObjectStore(DEVICE_KEY_STORE);
      },
    });
  }
}
