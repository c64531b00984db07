/**
 * One harness per DocStore adapter: how to make a fresh store and how to
 * produce, on that adapter, each failure the contract test expects
 * (quota, blocked, unavailable, closed under us, a corrupt row).
 */
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import type { DocStore, PersistedDoc, StorageError, StorageErrorKind } from '../../../src/storage/DocStore';
import { IndexedDbStore } from '../../../src/storage/IndexedDbStore';
import { UPDATES_STORE } from '../../../src/storage/updatesDatabase';
import { MemoryStore } from '../../../src/storage/memory';

export interface AdapterHarness<S extends DocStore = DocStore> {
  readonly name: string;
  /** A fresh, empty store (fresh database names). */
  make(): S;
  /** Number of rows in the stored log of `name`. */
  rows(store: S, name: string): Promise<number>;
  /** Makes writes fail with QuotaExceededError until the returned function is called. */
  injectQuota(store: S): () => void;
  /** Makes opening `name` block (another tab holding an older version); returns the release. */
  holdBlocking(store: S, name: string): Promise<() => Promise<void>>;
  /** Makes storage unavailable until the returned function is called. */
  makeUnavailable(store: S): () => void;
  /** Another tab deletes the stored doc under the attached docs. */
  deleteFromOtherTab(store: S, name: string): Promise<void>;
  /** Appends an undecodable row to the log of `name`. */
  putCorruptRow(store: S, name: string): Promise<void>;
}

/** Bytes that are not a Yjs update (a huge struct count, then nothing). */
export const CORRUPT_ROW = new Uint8Array([255, 255, 255, 1, 2]);

let counter = 0;
/** A database-name prefix no other test uses. */
export function freshPrefix(): string {
  counter++;
  return `weft-test-${counter}-${Math.random().toString(36).slice(2)}:`;
}

// ---- raw IndexedDB helpers -------------------------------------------------

/** fake-indexeddb's factory, kept even while a test makes `globalThis.indexedDB` unavailable. */
const realIndexedDb: IDBFactory = indexedDB;

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Opens `dbName` directly, as another tab would. Ignores versionchange unless told. */
export function rawOpen(dbName: string, version?: number): Promise<IDBDatabase> {
  return request(version === undefined ? indexedDB.open(dbName) : indexedDB.open(dbName, version));
}

/** The rows of an existing y-indexeddb database. */
export async function rawRows(dbName: string): Promise<unknown[]> {
  const db = await rawOpen(dbName);
  try {
    if (!db.objectStoreNames.contains(UPDATES_STORE)) return [];
    return await request(db.transaction([UPDATES_STORE], 'readonly').objectStore(UPDATES_STORE).getAll());
  } finally {
    db.close();
  }
}

/** While on, IndexedDB `add`s fail asynchronously with QuotaExceededError, the way a full disk does. */
let quotaExceeded = false;
type RawStore = { storeRecord: (...args: unknown[]) => unknown };
const objectStoreProto = IDBObjectStore.prototype as IDBObjectStore & { _rawObjectStore?: RawStore };
const originalAdd = objectStoreProto.add;
objectStoreProto.add = function patchedAdd(this: IDBObjectStore & { _rawObjectStore: RawStore }, value, key) {
  if (!quotaExceeded) return originalAdd.call(this, value, key);
  // fake-indexeddb binds the record write when the request is made and runs
  // it later; making that write throw gives the real sequence: request
  // `error` (bubbles to the connection), then the transaction aborts.
  const raw = this._rawObjectStore;
  raw.storeRecord = () => {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
  try {
    return originalAdd.call(this, value, key);
  } finally {
    delete (raw as Partial<RawStore>).storeRecord;
  }
} as IDBObjectStore['add'];

export const indexedDbHarness: AdapterHarness<IndexedDbStore> = {
  name: 'IndexedDbStore',
  make: () => new IndexedDbStore({ prefix: freshPrefix(), openTimeoutMs: 300, deleteBlockedGraceMs: 100 }),
  rows: async (store, name) => (await rawRows(store.databaseName(name))).length,
  injectQuota: () => {
    quotaExceeded = true;
    return () => {
      quotaExceeded = false;
    };
  },
  holdBlocking: async (store, name) => {
    const dbName = store.databaseName(name);
    // Make sure the database exists with its stores, then hold an old
    // connection that ignores `versionchange` while "another tab" asks for an
    // upgrade: every later open queues behind that upgrade and hears nothing.
    const setup = store.open(name, new Y.Doc());
    await setup.whenLoaded;
    await setup.destroy();
    const held = await rawOpen(dbName);
    const upgrade = indexedDB.open(dbName, held.version + 1);
    const upgraded = new Promise<void>((resolve) => {
      upgrade.onsuccess = () => {
        upgrade.result.close();
        resolve();
      };
    });
    return async () => {
      held.close();
      await upgraded;
    };
  },
  makeUnavailable: () => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
    delete (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    return () => {
      if (descriptor) Object.defineProperty(globalThis, 'indexedDB', descriptor);
    };
  },
  deleteFromOtherTab: async (store, name) => {
    // Not the page's `indexedDB`, which a test may have made unavailable: another tab still has it.
    await request(realIndexedDb.deleteDatabase(store.databaseName(name)));
  },
  putCorruptRow: async (store, name) => {
    const setup = store.open(name, new Y.Doc());
    await setup.whenLoaded;
    await setup.destroy();
    const db = await rawOpen(store.databaseName(name));
    try {
      const tx = db.transaction([UPDATES_STORE], 'readwrite');
      tx.objectStore(UPDATES_STORE).add(CORRUPT_ROW);
      tx.objectStore(UPDATES_STORE).add('not an update');
      await new Promise((resolve) => (tx.oncomplete = resolve));
    } finally {
      db.close();
    }
  },
};

export const memoryHarness: AdapterHarness<MemoryStore> = {
  name: 'MemoryStore',
  make: () => new MemoryStore(),
  rows: async (store, name) => store.rows(name),
  injectQuota: (store) => {
    store.failWritesWith('quota');
    return () => store.failWritesWith(null);
  },
  holdBlocking: async (store) => {
    store.failOpenWith('blocked');
    return async () => store.failOpenWith(null);
  },
  makeUnavailable: (store) => {
    store.failOpenWith('unavailable');
    return () => store.failOpenWith(null);
  },
  deleteFromOtherTab: async (store, name) => {
    await Promise.resolve();
    store.deleteUnder(name);
  },
  putCorruptRow: async (store, name) => {
    store.putRaw(name, CORRUPT_ROW);
    store.putRaw(name, 'not an update');
  },
};

/** Resolves with the first error of `kind` reported by `persisted`; rejects after `ms`. */
export function nextError(persisted: PersistedDoc, kind: StorageErrorKind, ms = 5_000): Promise<StorageError> {
  return new Promise<StorageError>((resolve, reject) => {
    const timer = setTimeout(() => {
      dispose();
      reject(new Error(`no '${kind}' error within ${ms} ms`));
    }, ms);
    const dispose = persisted.onError((error) => {
      if (error.kind !== kind) return;
      clearTimeout(timer);
      dispose();
      resolve(error);
    });
  });
}
