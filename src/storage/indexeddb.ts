/**
 * DocStore on IndexedDB, built on y-indexeddb: one database per doc, holding
 * y-indexeddb's `updates` log (one row per update, compacted into one row
 * from time to time) and its `custom` store. The storage format is exactly
 * y-indexeddb's, so its own tools and future versions can read it.
 *
 * y-indexeddb is a small, trusting provider. This adapter keeps its loading
 * and format and wraps the edges it leaves open:
 *
 * - **Opening.** When IndexedDB is missing, refuses to open or is blocked,
 *   `whenSynced` never settles (and a failed open becomes an unhandled
 *   rejection). So we first open the database ourselves — which also creates
 *   the stores and sets aside undecodable rows, which would otherwise make the
 *   whole load throw — with a timeout on the *open* only (a long load of a big
 *   note is slow, not blocked).
 * - **Writing.** Its writes are fire-and-forget: a failed write is an
 *   unhandled rejection and, once the connection is closed, `db.transaction`
 *   throws inside the Y.Doc's update event, i.e. into the editor. We replace
 *   its update listener with one that does the same (one row per update, trim
 *   at {@link PREFERRED_TRIM_SIZE} rows) but catches, tracks each write
 *   transaction, and after a failed write stores the whole doc state with the
 *   next write so the log never has a gap. Failures are read from the
 *   connection's bubbling `error`/`abort` events and reported through `onError`.
 * - **Compaction.** Its `storeState` does not wait for its own writes; ours
 *   (built on its exported `fetchUpdates`) does, so `compact()` and
 *   `destroy()` can promise that the rows are on disk.
 * - **Rows per open.** It appends the pre-load state as a row on every open;
 *   we compact on open and on destroy once the log exceeds
 *   {@link COMPACT_ABOVE_ROWS} rows, so reopening never grows the log unboundedly.
 * - **Closing.** It closes silently on `versionchange` (another tab deleting
 *   the database); we report that as `closed` and stop writing, so the app
 *   never silently stops saving.
 *
 * The doc in memory is never touched by a storage failure.
 */
import * as Y from 'yjs';
import { IndexeddbPersistence, PREFERRED_TRIM_SIZE, fetchUpdates } from 'y-indexeddb';
import { StorageError, type DocStore, type PersistedDoc } from './DocStore';
import { StorageErrorChannel } from './StorageErrorChannel';
import { COMPACT_ABOVE_ROWS, isDecodableUpdate, storageErrorKindOf, toStorageError } from './updateLog';

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
/** y-indexeddb's object stores (its format; never rename). */
export const UPDATES_STORE = 'updates';
export const CUSTOM_STORE = 'custom';
/** Key prefix under which undecodable rows are kept in the custom store, for salvage. */
export const QUARANTINE_KEY_PREFIX = 'weft:corrupt:';

export interface IndexedDbStoreOptions {
  /** Prefix of the database names. Default {@link DEFAULT_DB_PREFIX}; tests pass a fresh one. */
  prefix?: string;
  /** See {@link OPEN_TIMEOUT_MS}. */
  openTimeoutMs?: number;
  /** See {@link DELETE_BLOCKED_GRACE_MS}. */
  deleteBlockedGraceMs?: number;
}

/** IndexedDB of this realm, or undefined where there is none (old browsers, some private modes, Node). */
function currentIndexedDb(): IDBFactory | undefined {
  return (globalThis as { indexedDB?: IDBFactory }).indexedDB ?? undefined;
}

/** Stores each doc in its own IndexedDB database named `prefix + name`. */
export class IndexedDbStore implements DocStore {
  readonly prefix: string;
  readonly openTimeoutMs: number;
  readonly deleteBlockedGraceMs: number;
  private readonly attached = new Map<string, Set<IndexedDbPersistedDoc>>();

  constructor(options: IndexedDbStoreOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_DB_PREFIX;
    this.openTimeoutMs = options.openTimeoutMs ?? OPEN_TIMEOUT_MS;
    this.deleteBlockedGraceMs = options.deleteBlockedGraceMs ?? DELETE_BLOCKED_GRACE_MS;
  }

  /** The IndexedDB database name used for the doc `name`. */
  databaseName(name: string): string {
    return this.prefix + name;
  }

  open(name: string, doc: Y.Doc): IndexedDbPersistedDoc {
    const persisted = new IndexedDbPersistedDoc(this, this.databaseName(name), doc, () =>
      this.attached.get(name)?.delete(persisted),
    );
    let set = this.attached.get(name);
    if (!set) this.attached.set(name, (set = new Set()));
    set.add(persisted);
    return persisted;
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
          () =>
            reject(
              new StorageError(
                'blocked',
                'Another tab keeps this note open; it will be deleted once that tab closes it',
              ),
            ),
          this.deleteBlockedGraceMs,
        );
      };
    });
  }
}

/** Resolves when `tx` commits; rejects with a StorageError when it aborts. */
function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.addEventListener('complete', () => resolve());
    tx.addEventListener('abort', () => reject(toStorageError(tx.error, 'A storage write was aborted', undefined)));
  });
}

/**
 * Our own first open: creates y-indexeddb's stores on first use and turns
 * every way opening can fail into a StorageError.
 */
function openDatabase(factory: IDBFactory, dbName: string, timeoutMs: number, version?: number): Promise<IDBDatabase> {
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
      // Same stores as y-indexeddb creates, so its open finds them in place.
      if (!db.objectStoreNames.contains(UPDATES_STORE)) db.createObjectStore(UPDATES_STORE, { autoIncrement: true });
      if (!db.objectStoreNames.contains(CUSTOM_STORE)) db.createObjectStore(CUSTOM_STORE);
    };
    request.onblocked = () =>
      fail(new StorageError('blocked', 'Another tab holds this database open with an older version'));
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
        // A database of this name without y-indexeddb's stores (made by
        // something else, or by hand): upgrade it once to add them.
        const next = db.version + 1;
        db.close();
        if (version !== undefined) {
          reject(new StorageError('unknown', 'The database could not be given its stores'));
          return;
        }
        openDatabase(factory, dbName, timeoutMs, next).then(resolve, reject);
        return;
      }
      db.onversionchange = () => db.close();
      resolve(db);
    };
  });
}

/**
 * Moves rows that are not decodable Yjs updates out of the log into the
 * custom store (kept for salvage, not deleted). Returns how many.
 */
function quarantineCorruptRows(db: IDBDatabase): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let corrupt = 0;
    let tx: IDBTransaction;
    try {
      tx = db.transaction([UPDATES_STORE, CUSTOM_STORE], 'readwrite');
    } catch (error) {
      reject(toStorageError(error, 'The stored note has an unexpected layout', 'corrupt'));
      return;
    }
    const custom = tx.objectStore(CUSTOM_STORE);
    const cursorRequest = tx.objectStore(UPDATES_STORE).openCursor();
    cursorRequest.onsuccess = () => {
      const cursor = cursorRequest.result;
      if (!cursor) return;
      if (!isDecodableUpdate(cursor.value)) {
        custom.put(cursor.value, `${QUARANTINE_KEY_PREFIX}${String(cursor.key)}`);
        cursor.delete();
        corrupt++;
      }
      cursor.continue();
    };
    tx.oncomplete = () => resolve(corrupt);
    tx.onabort = () => reject(toStorageError(tx.error, 'Could not check the stored note'));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => StorageError): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** A Y.Doc attached to its IndexedDB database through y-indexeddb. */
export class IndexedDbPersistedDoc implements PersistedDoc {
  readonly whenLoaded: Promise<void>;
  private readonly errors = new StorageErrorChannel();
  private provider: IndexeddbPersistence | null = null;
  private db: IDBDatabase | null = null;
  private loaded = false;
  private closed = false;
  /** Set by `IndexedDbStore.remove`: the coming close is ours, not a failure to report. */
  private removing = false;
  /** Write transactions not yet committed or aborted. */
  private readonly pending = new Set<Promise<void>>();
  /** Transactions whose failure was already reported (a failed request bubbles `error`, then `abort`). */
  private readonly reported = new WeakSet<IDBTransaction>();
  /** After a failed write the log has a gap: the next write stores the whole doc state. */
  private needsFullState = false;
  /** Bumped on every failure, so a full-state write only clears `needsFullState` if nothing failed since. */
  private failureGeneration = 0;
  private trimTimer: ReturnType<typeof setTimeout> | null = null;
  /** Compactions run one at a time. */
  private compaction: Promise<void> = Promise.resolve();
  private destroyed: Promise<void> | null = null;
  private signalClosed: () => void = () => undefined;
  private readonly closedSignal = new Promise<void>((resolve) => {
    this.signalClosed = resolve;
  });

  constructor(
    private readonly store: IndexedDbStore,
    /** The IndexedDB database name. */
    readonly databaseName: string,
    private readonly doc: Y.Doc,
    private readonly forget: () => void,
  ) {
    this.whenLoaded = this.load();
    // Callers may never await it (a doc destroyed before loading); do not let that be an unhandled rejection.
    this.whenLoaded.catch(() => undefined);
  }

  /**
   * The origin of transactions that apply stored updates to the doc (the
   * y-indexeddb provider), or null before opening. Listeners use it to tell
   * loading apart from editing.
   */
  get origin(): unknown {
    return this.provider;
  }

  onError(listener: (error: StorageError) => void): () => void {
    return this.errors.on(listener);
  }

  /** Rewrites the stored log as one row holding the whole doc; resolves once that is on disk. */
  async compact(): Promise<void> {
    await this.whenLoaded;
    await this.compactNow();
  }

  /**
   * Waits for loading and for every pending write, compacts a log longer than
   * {@link COMPACT_ABOVE_ROWS} rows, then detaches from the doc and closes the
   * database. Never rejects: failures on the way were reported through `onError`.
   */
  destroy(): Promise<void> {
    this.destroyed ??= this.runDestroy();
    return this.destroyed;
  }

  /** @internal See `removing`. */
  expectRemoval(): void {
    this.removing = true;
  }

  private async load(): Promise<void> {
    const factory = currentIndexedDb();
    if (!factory) throw new StorageError('unavailable', 'IndexedDB is not available in this browser');
    const timeoutMs = this.store.openTimeoutMs;
    const first = await openDatabase(factory, this.databaseName, timeoutMs);
    let corrupt: number;
    try {
      corrupt = await quarantineCorruptRows(first);
    } finally {
      first.close();
    }

    const provider = new IndexeddbPersistence(this.databaseName, this.doc);
    this.provider = provider;
    // Take over writing (see the module comment). Done synchronously after
    // construction, before any update can reach y-indexeddb's own listener.
    this.doc.off('update', provider._storeUpdate);
    provider._storeUpdate = this.storeUpdate;
    this.doc.on('update', this.storeUpdate);
    // y-indexeddb closes at once when the doc is destroyed; we first let pending writes land.
    this.doc.off('destroy', provider.destroy);
    this.doc.on('destroy', this.onDocDestroy);
    provider._db.catch(() => undefined);

    let db: IDBDatabase;
    try {
      db = await withTimeout(
        provider._db,
        timeoutMs,
        () => new StorageError('blocked', `IndexedDB did not open within ${timeoutMs} ms: another tab is probably deleting this database`),
      );
    } catch (error) {
      void provider.destroy().catch(() => undefined);
      throw toStorageError(error, 'IndexedDB refused to open', 'unavailable');
    }
    this.db = db;
    db.addEventListener('error', this.onDbError);
    db.addEventListener('abort', this.onDbAbort);
    db.addEventListener('close', this.onDbClosed);
    db.addEventListener('versionchange', this.onDbClosed);
    if (this.closed) throw new StorageError('closed', 'The database was closed while loading');

    await Promise.race([
      provider.whenSynced,
      this.closedSignal.then(() => {
        throw new StorageError('closed', 'The database was closed while loading');
      }),
    ]);
    this.loaded = true;
    if (corrupt > 0) {
      this.errors.report(
        new StorageError('corrupt', `${corrupt} stored record(s) could not be read and were set aside; the rest loaded`),
      );
    }
    // y-indexeddb counts rows only after announcing `synced`; a count queued
    // behind its loading transaction gives the true number.
    const rows = await this.countRows().catch(() => 0);
    if (rows > COMPACT_ABOVE_ROWS) void this.compactNow().catch(() => undefined);
  }

  private countRows(): Promise<number> {
    const db = this.db;
    if (!db || this.closed) return Promise.resolve(0);
    const tx = db.transaction([UPDATES_STORE], 'readonly');
    const request = tx.objectStore(UPDATES_STORE).count();
    return transactionDone(tx).then(() => {
      if (this.provider) this.provider._dbsize = request.result;
      return request.result;
    });
  }

  /** Replaces y-indexeddb's `_storeUpdate`: one row per update, caught and tracked. */
  private readonly storeUpdate = (update: Uint8Array, origin: unknown): void => {
    const provider = this.provider;
    const db = provider?.db;
    // Before the database is open, y-indexeddb stores the doc's pre-load state
    // as a row when it loads, which covers these updates.
    if (!provider || !db || origin === provider || this.closed) return;
    const healing = this.needsFullState;
    const generation = this.failureGeneration;
    const row = healing ? Y.encodeStateAsUpdate(this.doc) : update;
    let tx: IDBTransaction;
    try {
      tx = db.transaction([UPDATES_STORE], 'readwrite');
      tx.objectStore(UPDATES_STORE).add(row);
    } catch (error) {
      // Thrown synchronously, so no event will report it.
      this.writeFailed(error);
      return;
    }
    this.track(tx).then(
      () => {
        if (healing && generation === this.failureGeneration) this.needsFullState = false;
        this.errors.recovered();
      },
      () => undefined, // reported by the connection's error/abort listener
    );
    if (++provider._dbsize >= PREFERRED_TRIM_SIZE) this.scheduleTrim(provider._storeTimeout);
  };

  private scheduleTrim(delayMs: number): void {
    // Debounced like y-indexeddb's own trim, so a burst of typing compacts once.
    if (this.trimTimer !== null) clearTimeout(this.trimTimer);
    this.trimTimer = setTimeout(() => {
      this.trimTimer = null;
      void this.compactNow().catch(() => undefined);
    }, delayMs);
  }

  /** Counts `tx` as pending until it commits or aborts. */
  private track(tx: IDBTransaction): Promise<void> {
    const done = transactionDone(tx);
    this.pending.add(done);
    const settle = () => this.pending.delete(done);
    done.then(settle, settle);
    return done;
  }

  /** Resolves once every write issued so far has committed (or failed and been reported). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * y-indexeddb's `storeState(p, true)`, but awaiting its own writes: in one
   * transaction, read rows written since we loaded (other tabs' included)
   * into the doc, add the doc's whole state as one row, delete every older row.
   */
  private compactNow(): Promise<void> {
    const run = async (): Promise<void> => {
      const provider = this.provider;
      if (!provider || !provider.db || this.closed) {
        throw new StorageError('closed', 'The database is closed; nothing was compacted');
      }
      const healedGeneration = this.failureGeneration;
      let tx: IDBTransaction;
      let countRequest: IDBRequest<number>;
      try {
        const updates = await fetchUpdates(provider);
        tx = updates.transaction;
        const done = this.track(tx);
        updates.add(Y.encodeStateAsUpdate(this.doc));
        updates.delete(IDBKeyRange.upperBound(provider._dbref, true));
        countRequest = updates.count();
        await done;
      } catch (error) {
        const storageError = toStorageError(error, 'Could not compact the stored note');
        this.reportFailure(storageError);
        throw storageError;
      }
      provider._dbsize = countRequest.result;
      if (healedGeneration === this.failureGeneration) this.needsFullState = false;
      this.errors.recovered();
    };
    const next = this.compaction.then(run, run);
    this.compaction = next.catch(() => undefined);
    return next;
  }

  private readonly onDbError = (event: Event): void => {
    const request = event.target as IDBRequest | null;
    const tx = request?.transaction ?? null;
    if (tx) {
      if (this.reported.has(tx)) return;
      this.reported.add(tx);
    }
    this.writeFailed(request?.error ?? null);
  };

  private readonly onDbAbort = (event: Event): void => {
    const tx = event.target as IDBTransaction;
    if (this.reported.has(tx)) return;
    this.reported.add(tx);
    this.writeFailed(tx.error);
  };

  private readonly onDbClosed = (): void => {
    this.markClosed();
  };

  private writeFailed(error: unknown): void {
    if (error instanceof DOMException && error.name === 'AbortError') {
      // Always secondary: a sibling request's failure (reported already) or a
      // forced close (reported by the `close` event). The gap is still healed.
      this.needsFullState = true;
      this.failureGeneration++;
      return;
    }
    this.reportFailure(toStorageError(error, 'Could not save the latest changes'));
  }

  private reportFailure(error: StorageError): void {
    this.needsFullState = true;
    this.failureGeneration++;
    if (error.kind === 'closed') {
      this.markClosed();
      return;
    }
    if (!this.closed) this.errors.report(error);
  }

  /** The connection is gone (another tab deleted the database, the browser cleared storage). */
  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.signalClosed();
    this.doc.off('update', this.storeUpdate);
    if (this.trimTimer !== null) clearTimeout(this.trimTimer);
    // lib0 closes the connection on `versionchange` already; closing twice is harmless.
    this.db?.close();
    if (!this.removing && !this.destroyed) {
      this.errors.report(
        new StorageError('closed', 'The database was closed by another tab or the browser; changes are no longer saved'),
      );
    }
  }

  private readonly onDocDestroy = (): void => {
    void this.destroy();
  };

  private async runDestroy(): Promise<void> {
    // Edits made before loading are stored by y-indexeddb's load; let it finish.
    await this.whenLoaded.catch(() => undefined);
    if (this.trimTimer !== null) {
      clearTimeout(this.trimTimer);
      this.trimTimer = null;
    }
    await this.flush();
    const provider = this.provider;
    // Compact a long log; and after failed writes, this is the last chance to
    // store what they missed (the whole state goes into the compacted row).
    if (provider && this.loaded && !this.closed && (this.needsFullState || provider._dbsize > COMPACT_ABOVE_ROWS)) {
      await this.compactNow().catch(() => undefined);
    }
    await this.compaction;
    await this.flush();
    this.doc.off('update', this.storeUpdate);
    this.doc.off('destroy', this.onDocDestroy);
    const db = this.db;
    if (db) {
      db.removeEventListener('error', this.onDbError);
      db.removeEventListener('abort', this.onDbAbort);
      db.removeEventListener('close', this.onDbClosed);
      db.removeEventListener('versionchange', this.onDbClosed);
    }
    this.closed = true;
    this.signalClosed();
    this.errors.clear();
    this.forget();
    // Closes the connection; IndexedDB still commits transactions already queued on it.
    if (provider) await provider.destroy().catch(() => undefined);
  }
}
