/**
 * A Y.Doc attached to its IndexedDB database, in y-indexeddb's layout
 * (updatesDatabase.ts) but with a provider of our own, because what Weft
 * needs is not in y-indexeddb's public options:
 *
 * - **Opening** fails with a StorageError (missing, refused, blocked, out of
 *   space) instead of never settling; the open has a timeout (a long load of
 *   a big note is slow, not blocked).
 * - **Loading** reads the log in one transaction: undecodable rows are moved
 *   to the custom store (they would make the whole load throw), the others
 *   applied to the doc with {@link origin}. The doc's state from before
 *   loading (the seed, edits made before the open) is stored as a row only
 *   when the log does not already hold all of it — a brand-new note stores
 *   its seed, reopening a note writes nothing (y-indexeddb appends a row on
 *   every open). A log above {@link COMPACT_ABOVE_ROWS} rows is compacted.
 * - **Writing**: one row per update. The updates made before a write runs
 *   go into one transaction, with its commit requested at once; the store
 *   runs the write right after the frame that shows the edit (see
 *   PaintScheduler and `writeQueued`). Failures are
 *   caught and reported through `onError`; after a failed write the next one
 *   stores the whole doc state, so the log never has a gap.
 * - **Compaction** (at {@link TRIM_AT_ROWS} rows while open, and by
 *   `compact()`/`destroy()`) reads the rows other tabs wrote since, applies
 *   them, and replaces the log with the doc's garbage-collected state in one
 *   transaction, resolving once that is on disk.
 * - **Closed under us** (another tab deleted or upgraded the database, the
 *   browser cleared storage): we re-attach — open again (queued behind the
 *   other tab's deletion or upgrade), store the whole doc as one row, go on
 *   saving. Only when that fails, or happens more than {@link MAX_REATTACHES}
 *   times within {@link REATTACH_WINDOW_MS}, is `closed` reported. A deletion
 *   the app asked for itself (`IndexedDbStore.remove`) is not re-attached.
 * - **Unloading**: writes still in flight go to the unload journal
 *   (unloadJournal.ts) on `pagehide`.
 *
 * The doc in memory is never touched by a storage failure.
 */
import * as Y from 'yjs';
import { StorageError, type PersistedDoc } from './DocStore';
import { StorageErrorChannel } from './StorageErrorChannel';
import { UnloadJournal } from './unloadJournal';
import { coverageOf, isCoveredBy, type UpdateCoverage } from './updateCoverage';
import { COMPACT_ABOVE_ROWS, TRIM_AT_ROWS, collectGarbage, isDecodableUpdate, toStorageError } from './updateLog';
import {
  CUSTOM_STORE,
  QUARANTINE_KEY_PREFIX,
  UPDATES_STORE,
  commitNow,
  currentIndexedDb,
  openUpdatesDatabase,
  transactionDone,
} from './updatesDatabase';

/** Debounce of the compaction at {@link TRIM_AT_ROWS}, so a burst of typing compacts once (y-indexeddb's store timeout). */
export const TRIM_DEBOUNCE_MS = 1000;
/**
 * How many times an attachment re-opens its database after it was closed
 * under it, within {@link REATTACH_WINDOW_MS}, before it gives up and reports
 * `closed`: a tab that deletes the database in a loop must not make us loop too.
 */
export const MAX_REATTACHES = 3;
/** See {@link MAX_REATTACHES}. */
export const REATTACH_WINDOW_MS = 60_000;
/** Origin of the updates replayed from the unload journal: an edit to store, not a load. */
const ORIGIN_UNLOAD_JOURNAL = 'weft:unload-journal';

/** What `IndexedDbPersistedDoc` needs from its store. */
export interface AttachmentOptions {
  /** The IndexedDB database name. */
  databaseName: string;
  /** How long opening may take before it counts as blocked. */
  openTimeoutMs: number;
  /** Called once the attachment is destroyed. */
  forget: () => void;
  /** When to write the updates of a task; default: a microtask. The store passes a {@link PaintScheduler}. */
  scheduleWrite?: (write: () => void) => void;
}

/** A Y.Doc attached to its IndexedDB database; created by `IndexedDbStore.open`. */
export class IndexedDbPersistedDoc implements PersistedDoc {
  readonly whenLoaded: Promise<void>;
  readonly databaseName: string;
  private readonly errors = new StorageErrorChannel();
  private readonly journal: UnloadJournal;
  /** The open connection; null before loading, while re-attaching and once closed. */
  private db: IDBDatabase | null = null;
  private loaded = false;
  private closed = false;
  /** Set by `IndexedDbStore.remove`: the coming close is ours, not a failure to report. */
  private removing = false;
  private destroyed: Promise<void> | null = null;
  /** Rows with keys below this have been applied to the doc (y-indexeddb's `_dbref`). */
  private appliedBelowKey = 0;
  /** How many rows the log has, as far as this attachment knows (other tabs add more). */
  private rowCount = 0;
  /** Updates not yet written, written together (see {@link writeQueued}). */
  private queued: Uint8Array[] = [];
  private writeScheduled = false;
  /** Write transactions not yet committed or aborted. */
  private readonly pending = new Set<Promise<void>>();
  /** The rows each pending write carries, for the unload journal. */
  private readonly inFlight = new Map<Promise<void>, Uint8Array[]>();
  /** After a failed write the log has a gap: the next write stores the whole doc state. */
  private needsFullState = false;
  /** Bumped on every failure, so a full-state write only clears `needsFullState` if nothing failed since. */
  private failureGeneration = 0;
  private trimTimer: ReturnType<typeof setTimeout> | null = null;
  /** Compactions run one at a time. */
  private compaction: Promise<void> = Promise.resolve();
  /** A re-attachment after the database was closed under us, while it runs. */
  private reattaching: Promise<void> | null = null;
  /** When recent re-attachments started (see {@link MAX_REATTACHES}). */
  private reattachTimes: number[] = [];
  private readonly openTimeoutMs: number;
  private readonly forget: () => void;
  private readonly scheduleWrite: (write: () => void) => void;

  constructor(
    private readonly doc: Y.Doc,
    options: AttachmentOptions,
  ) {
    this.databaseName = options.databaseName;
    this.openTimeoutMs = options.openTimeoutMs;
    this.forget = options.forget;
    this.scheduleWrite = options.scheduleWrite ?? queueMicrotask;
    this.journal = new UnloadJournal(this.databaseName, doc.clientID);
    doc.on('update', this.onUpdate);
    doc.on('destroy', this.onDocDestroy);
    if (typeof window !== 'undefined') window.addEventListener('pagehide', this.onPageHide);
    this.whenLoaded = this.load();
    // Callers may never await it (a doc destroyed before loading); do not let that be an unhandled rejection.
    this.whenLoaded.catch(() => undefined);
  }

  /** The origin of transactions that apply stored updates to the doc: this attachment. */
  get origin(): unknown {
    return this;
  }

  onError(listener: (error: StorageError) => void): () => void {
    return this.errors.on(listener);
  }

  /** Resolves once every write issued so far has committed (or failed and been reported). */
  async flush(): Promise<void> {
    if (this.queued.length > 0) this.writeQueued();
    while (this.reattaching !== null || this.pending.size > 0) {
      if (this.reattaching !== null) await this.reattaching;
      await Promise.allSettled([...this.pending]);
    }
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

  // ---- loading ------------------------------------------------------------

  private async load(): Promise<void> {
    // Also when destroy() was called meanwhile: edits made before loading are stored by the load.
    const { corrupt } = await this.readLog(await this.open(), false);
    this.loaded = true;
    await this.replayUnloadJournal();
    if (corrupt > 0) {
      this.errors.report(
        new StorageError('corrupt', `${corrupt} stored record(s) could not be read and were set aside; the rest loaded`),
      );
    }
    if (this.rowCount > COMPACT_ABOVE_ROWS) void this.compactNow().catch(() => undefined);
  }

  private open(): Promise<IDBDatabase> {
    const factory = currentIndexedDb();
    if (!factory) return Promise.reject(new StorageError('unavailable', 'IndexedDB is not available in this browser'));
    return openUpdatesDatabase(factory, this.databaseName, this.openTimeoutMs);
  }

  /**
   * Reads the whole log into the doc in one transaction and makes `db` the
   * connection writes go to. Undecodable rows move to the custom store. The
   * doc's state from before — snapshotted in the same callback that applies
   * the rows, so no update falls between it and the writes that follow — is
   * stored as a row when `wholeState` (re-attaching: the log may lack
   * anything) or when the log does not hold all of it.
   */
  private readLog(db: IDBDatabase, wholeState: boolean): Promise<{ corrupt: number }> {
    let tx: IDBTransaction;
    try {
      tx = db.transaction([UPDATES_STORE, CUSTOM_STORE], 'readwrite');
    } catch (error) {
      db.close();
      return Promise.reject(toStorageError(error, 'The stored note has an unexpected layout', 'corrupt'));
    }
    this.watch(db);
    const done = this.track(tx);
    const updates = tx.objectStore(UPDATES_STORE);
    const keysRequest = updates.getAllKeys();
    const rowsRequest = updates.getAll();
    let corrupt = 0;
    rowsRequest.onsuccess = () => {
      const keys = keysRequest.result;
      const rows = rowsRequest.result as unknown[];
      const before = Y.encodeStateAsUpdate(this.doc);
      const good: Uint8Array[] = [];
      const coverage: UpdateCoverage[] = [];
      rows.forEach((row, i) => {
        const rowCoverage = coverageOf(row);
        if (rowCoverage) {
          good.push(row as Uint8Array);
          coverage.push(rowCoverage);
          return;
        }
        tx.objectStore(CUSTOM_STORE).put(row, `${QUARANTINE_KEY_PREFIX}${String(keys[i])}`);
        updates.delete(keys[i]!);
        corrupt++;
      });
      Y.transact(this.doc, () => good.forEach((row) => Y.applyUpdate(this.doc, row)), this, false);
      this.rowCount = good.length;
      this.appliedBelowKey = nextKey(keys);
      const beforeCoverage = wholeState ? null : coverageOf(before);
      if (beforeCoverage === null || !isCoveredBy(beforeCoverage, coverage)) {
        updates.add(before).onsuccess = (event) => {
          this.appliedBelowKey = nextKey([(event.target as IDBRequest<IDBValidKey>).result]);
        };
        this.rowCount++;
      }
      // From here on, every update is written (see onUpdate).
      this.db = db;
      commitNow(tx);
    };
    return done.catch((error: unknown) => {
      throw this.closed
        ? new StorageError('closed', 'The database was closed while loading')
        : toStorageError(error, 'Could not read the stored note');
    }).then(() => {
      if (this.closed) throw new StorageError('closed', 'The database was closed while loading');
      return { corrupt };
    });
  }

  /**
   * Applies (and thereby stores) what earlier pages of this doc left in the
   * unload journal, then deletes those entries.
   */
  private async replayUnloadJournal(): Promise<void> {
    const { keys, updates } = this.journal.leftovers();
    if (keys.length === 0) return;
    // Applied as an edit (not with our origin), so onUpdate stores it as a row.
    for (const update of updates) Y.applyUpdate(this.doc, update, ORIGIN_UNLOAD_JOURNAL);
    await this.flush();
    if (this.closed) return; // keep the entries for the next load
    this.journal.remove(keys);
  }

  // ---- writing ------------------------------------------------------------

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    // Before loading (and while re-attaching) the load's snapshot of the doc
    // covers this update; our own loads are in the log already.
    if (origin === this || this.db === null || this.closed) return;
    this.queued.push(update);
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    this.scheduleWrite(this.writeQueued);
  };

  /**
   * Writes the queued updates, one row each, in one transaction, and asks
   * for its commit at once. Scheduled by `scheduleWrite`: not a timer,
   * which a busy page runs late, but a microtask or the task right after
   * the next paint, so that nothing but drawing the edit stands between a
   * keystroke and its write. Until the commit lands, the unload journal and
   * `flush()` cover it.
   */
  private readonly writeQueued = (): void => {
    this.writeScheduled = false;
    const db = this.db;
    // Closed: the updates stay queued for the unload journal; re-attaching stores the whole doc.
    if (this.queued.length === 0 || !db || this.closed) return;
    const updates = this.queued.splice(0);
    const healing = this.needsFullState;
    const generation = this.failureGeneration;
    const rows = healing ? [Y.encodeStateAsUpdate(this.doc)] : updates;
    let tx: IDBTransaction;
    try {
      tx = db.transaction([UPDATES_STORE], 'readwrite');
      const store = tx.objectStore(UPDATES_STORE);
      for (const row of rows) store.add(row);
      commitNow(tx);
    } catch (error) {
      // Thrown synchronously (the connection is closing), so no event will report it.
      this.writeFailed(error);
      return;
    }
    const written = this.track(tx);
    this.inFlight.set(written, rows);
    written.then(
      () => {
        if (healing && generation === this.failureGeneration) this.needsFullState = false;
        this.errors.recovered();
      },
      (error: unknown) => this.writeFailed(error),
    );
    const settled = () => {
      this.inFlight.delete(written);
      this.discardJournalIfSettled();
    };
    written.then(settled, settled);
    this.rowCount += rows.length;
    if (this.rowCount >= TRIM_AT_ROWS) this.scheduleTrim();
  };

  private scheduleTrim(): void {
    if (this.trimTimer !== null) clearTimeout(this.trimTimer);
    this.trimTimer = setTimeout(() => {
      this.trimTimer = null;
      void this.compactNow().catch(() => undefined);
    }, TRIM_DEBOUNCE_MS);
  }

  /** Counts `tx` as pending until it commits or aborts. */
  private track(tx: IDBTransaction): Promise<void> {
    const done = transactionDone(tx);
    this.pending.add(done);
    const settle = () => this.pending.delete(done);
    done.then(settle, settle);
    return done;
  }

  /**
   * In one transaction: applies the rows written since we last read (other
   * tabs' included) to the doc, adds the doc's garbage-collected state as
   * one row and deletes every row before it (y-indexeddb's `storeState`, but
   * resolving once it is on disk).
   */
  private compactNow(): Promise<void> {
    const run = async (): Promise<void> => {
      const db = this.db;
      if (!db || this.closed) throw new StorageError('closed', 'The database is closed; nothing was compacted');
      // Queued updates go first, in their own transaction: the compaction reads and deletes them.
      if (this.queued.length > 0) this.writeQueued();
      const healedGeneration = this.failureGeneration;
      try {
        const tx = db.transaction([UPDATES_STORE, CUSTOM_STORE], 'readwrite');
        const done = this.track(tx);
        const updates = tx.objectStore(UPDATES_STORE);
        const newer = IDBKeyRange.lowerBound(this.appliedBelowKey);
        const keysRequest = updates.getAllKeys(newer);
        const rowsRequest = updates.getAll(newer);
        rowsRequest.onsuccess = () => {
          const rows = rowsRequest.result as unknown[];
          rows.forEach((row, i) => {
            if (isDecodableUpdate(row)) return;
            tx.objectStore(CUSTOM_STORE).put(row, `${QUARANTINE_KEY_PREFIX}${String(keysRequest.result[i])}`);
          });
          Y.transact(this.doc, () => rows.filter(isDecodableUpdate).forEach((row) => Y.applyUpdate(this.doc, row)), this, false);
          // Without what only the undo history keeps alive (see collectGarbage).
          const added = updates.add(collectGarbage(Y.encodeStateAsUpdate(this.doc)));
          added.onsuccess = () => {
            const key = added.result;
            updates.delete(IDBKeyRange.upperBound(key, true));
            this.appliedBelowKey = nextKey([key]);
            this.rowCount = 1;
            commitNow(tx);
          };
        };
        await done;
      } catch (error) {
        const storageError = toStorageError(error, 'Could not compact the stored note');
        this.reportFailure(storageError);
        throw storageError;
      }
      if (healedGeneration === this.failureGeneration) this.needsFullState = false;
      this.errors.recovered();
    };
    const next = this.compaction.then(run, run);
    this.compaction = next.catch(() => undefined);
    return next;
  }

  // ---- failures -----------------------------------------------------------

  private writeFailed(error: unknown): void {
    if (error instanceof DOMException && error.name === 'AbortError') {
      // Always secondary: a forced close (reported by the `close` event) or
      // a transaction aborted along with its connection. The gap is still healed.
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

  /** Listens for the connection going away under us. */
  private watch(db: IDBDatabase): void {
    db.addEventListener('close', this.markClosed);
    db.addEventListener('versionchange', this.markClosed);
  }

  private unwatch(db: IDBDatabase): void {
    db.removeEventListener('close', this.markClosed);
    db.removeEventListener('versionchange', this.markClosed);
  }

  /** The connection is gone (another tab deleted or upgraded the database, the browser cleared storage). */
  private readonly markClosed = (): void => {
    if (this.closed) return;
    this.closed = true;
    if (this.trimTimer !== null) clearTimeout(this.trimTimer);
    const db = this.db;
    this.db = null;
    if (db) {
      this.unwatch(db);
      // Let the other tab's deletion or upgrade go ahead (closing twice is harmless).
      db.close();
    }
    // Closed while loading: `load` rejects with `closed` and the app says so.
    if (this.removing || this.destroyed !== null || !this.loaded) return;
    this.reattach();
  };

  /**
   * The database was closed under us: open it again and store the whole doc.
   * Reports `closed` if that fails or happens too often.
   */
  private reattach(): void {
    const now = Date.now();
    this.reattachTimes = this.reattachTimes.filter((t) => now - t < REATTACH_WINDOW_MS);
    if (this.reattachTimes.length >= MAX_REATTACHES) {
      this.reportClosed('The database keeps being closed by another tab or the browser; changes are no longer saved');
      return;
    }
    this.reattachTimes.push(now);
    this.needsFullState = true;
    this.failureGeneration++;
    const generation = this.failureGeneration;
    const run = async (): Promise<void> => {
      try {
        const db = await this.open();
        if (this.destroyed !== null) {
          db.close();
          return;
        }
        this.closed = false;
        await this.readLog(db, true);
        if (generation === this.failureGeneration) this.needsFullState = false;
        this.errors.recovered();
      } catch (error) {
        this.closed = true;
        this.reportClosed(
          `The database was closed by another tab or the browser and could not be reopened (${
            error instanceof Error ? error.message : String(error)
          }); changes are no longer saved`,
        );
      }
    };
    const attempt = run();
    this.reattaching = attempt;
    void attempt.finally(() => {
      if (this.reattaching === attempt) this.reattaching = null;
    });
  }

  private reportClosed(message: string): void {
    if (!this.removing && this.destroyed === null) this.errors.report(new StorageError('closed', message));
  }

  // ---- unloading and detaching --------------------------------------------

  /** The page is going away: keep the writes still in flight where the next load finds them. */
  private readonly onPageHide = (): void => {
    if (!this.loaded || this.destroyed !== null || this.removing) return;
    const rows = [...[...this.inFlight.values()].flat(), ...this.queued];
    // Closed or healing: the log may lack more than what is in flight; keep the whole doc.
    const update =
      this.closed || this.needsFullState ? Y.encodeStateAsUpdate(this.doc) : rows.length > 0 ? Y.mergeUpdates(rows) : null;
    if (update) this.journal.write(update);
  };

  /** Once nothing is in flight, a journal entry this page wrote (it stayed alive, e.g. bfcache) is obsolete. */
  private discardJournalIfSettled(): void {
    if (!this.journal.written || this.inFlight.size > 0 || this.queued.length > 0 || this.closed || this.needsFullState) return;
    this.journal.discard();
  }

  private readonly onDocDestroy = (): void => {
    void this.destroy();
  };

  private async runDestroy(): Promise<void> {
    if (typeof window !== 'undefined') window.removeEventListener('pagehide', this.onPageHide);
    // Edits made before loading are stored by the load; let it finish.
    await this.whenLoaded.catch(() => undefined);
    if (this.trimTimer !== null) {
      clearTimeout(this.trimTimer);
      this.trimTimer = null;
    }
    await this.flush();
    // Compact a long log; and after failed writes, this is the last chance to
    // store what they missed (the whole state goes into the compacted row).
    if (this.loaded && !this.closed && (this.needsFullState || this.rowCount > COMPACT_ABOVE_ROWS)) {
      await this.compactNow().catch(() => undefined);
    }
    await this.compaction;
    await this.flush();
    this.doc.off('update', this.onUpdate);
    this.doc.off('destroy', this.onDocDestroy);
    this.closed = true;
    const db = this.db;
    this.db = null;
    if (db) {
      this.unwatch(db);
      db.close();
    }
    this.errors.clear();
    this.forget();
  }
}

/** One past the largest numeric key (auto-increment keys are numbers), or 0. */
function nextKey(keys: readonly IDBValidKey[]): number {
  let next = 0;
  for (const key of keys) if (typeof key === 'number' && key >= next) next = key + 1;
  return next;
}
