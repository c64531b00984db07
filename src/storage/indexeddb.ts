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
 * - **Rows per open.** It appends the doc's pre-load state as a row on every
 *   open. For a new note that row is the first, holding the seed; on every
 *   later open it holds nothing new (the seed is in the log since its first
 *   row, compaction keeps it), so right after loading we delete it again
 *   when the other rows demonstrably hold all of it — reopening a note leaves
 *   its log exactly as it was. When in doubt the row stays (see
 *   `dropRedundantPreloadRow`); a re-attachment keeps it on purpose. Beyond
 *   that we compact on open and on destroy once the log exceeds
 *   {@link COMPACT_ABOVE_ROWS} rows (edits, crashes, kept rows).
 * - **Closing.** It closes silently on `versionchange` (another tab deleting
 *   or upgrading the database) and when the browser force-closes the
 *   connection (storage cleared). We then **re-attach**: open the database
 *   again (the open queues behind the other tab's deletion or upgrade), hand
 *   the doc to a fresh y-indexeddb provider, whose load writes the doc's whole
 *   state back as one row, and go on saving. Edits made meanwhile are in that
 *   row. Only when re-attaching fails (or the database keeps being closed,
 *   more than {@link MAX_REATTACHES} times within {@link REATTACH_WINDOW_MS})
 *   do we report `closed`, so the app never silently stops saving. A deletion
 *   the app asked for itself (`remove`) is not re-attached.
 *
 * - **Unloading.** A reload or a closed tab can abort write transactions
 *   that were issued but not yet committed (Chromium drops them with the
 *   page), losing the last keystrokes. On `pagehide` we copy the updates still
 *   in flight into a small localStorage journal (synchronous, and kept by the
 *   browser across the navigation); the next load of the doc applies and stores
 *   them, then deletes the journal entry. Applying an update twice is harmless.
 *
 * The doc in memory is never touched by a storage failure.
 */
import * as Y from 'yjs';
import { IndexeddbPersistence, PREFERRED_TRIM_SIZE, fetchUpdates } from 'y-indexeddb';
import { StorageError, type DocStore, type PersistedDoc } from './DocStore';
import { StorageErrorChannel } from './StorageErrorChannel';
import { COMPACT_ABOVE_ROWS, collectGarbage, isDecodableUpdate, storageErrorKindOf, toStorageError } from './updateLog';
import { equalFlat } from 'lib0/array';
import { fromBase64, toBase64 } from 'lib0/buffer';

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
/**
 * How many times an attachment re-opens its database after it was closed
 * under it, within {@link REATTACH_WINDOW_MS}, before it gives up and reports
 * `closed`: a tab that deletes the database in a loop must not make us loop too.
 */
export const MAX_REATTACHES = 3;
/** See {@link MAX_REATTACHES}. */
export const REATTACH_WINDOW_MS = 60_000;
/** localStorage key prefix of the unload journal (see the module comment): `prefix + dbName + ':' + writer`. */
export const UNLOAD_JOURNAL_PREFIX = 'weft:unload-journal:';

/** This realm's localStorage, or null where there is none or it throws (Node, blocked storage). */
function currentLocalStorage(): Storage | null {
  try {
    return (globalThis as { localStorage?: Storage }).localStorage ?? null;
  } catch {
    return null;
  }
}

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
 * What one stored row holds, by id: per client, the sorted, disjoint
 * `[start, end)` clock ranges of its structs (items and GC'd ranges, not the
 * `Skip` gaps a merged update can carry) and of its delete set, as flat pairs.
 */
interface RowCoverage {
  structs: Map<number, number[]>;
  deletes: Map<number, number[]>;
}

/** Appends `[start, end)` to the client's pairs, extending the last pair when contiguous (the usual order). */
function addRange(ranges: Map<number, number[]>, client: number, start: number, end: number): void {
  if (end <= start) return;
  const pairs = ranges.get(client);
  if (!pairs) {
    ranges.set(client, [start, end]);
    return;
  }
  const last = pairs.length - 1;
  if (pairs[last - 1]! <= start && start <= pairs[last]!) pairs[last] = Math.max(pairs[last]!, end);
  else pairs.push(start, end);
}

/** Sorts and merges every client's pairs in place. */
function normalizeRanges(ranges: Map<number, number[]>): Map<number, number[]> {
  for (const [client, pairs] of ranges) {
    const sorted: Array<[number, number]> = [];
    for (let i = 0; i < pairs.length; i += 2) sorted.push([pairs[i]!, pairs[i + 1]!]);
    sorted.sort((a, b) => a[0] - b[0]);
    const merged: number[] = [];
    for (const [start, end] of sorted) {
      const last = merged.length - 1;
      if (last > 0 && start <= merged[last]!) merged[last] = Math.max(merged[last]!, end);
      else merged.push(start, end);
    }
    ranges.set(client, merged);
  }
  return ranges;
}

/**
 * The coverage of `value` if it is a Yjs update that decodes, else null.
 * Accepts exactly what `isDecodableUpdate` accepts (same check, one decode).
 */
function decodeRow(value: unknown): RowCoverage | null {
  if (!(value instanceof Uint8Array)) return null;
  try {
    const { structs, ds } = Y.decodeUpdate(value);
    const coverage: RowCoverage = { structs: new Map(), deletes: new Map() };
    for (const struct of structs) {
      if (!(struct instanceof Y.Skip)) addRange(coverage.structs, struct.id.client, struct.id.clock, struct.id.clock + struct.length);
    }
    for (const [client, items] of ds.clients) {
      for (const item of items) addRange(coverage.deletes, client, item.clock, item.clock + item.len);
    }
    normalizeRanges(coverage.structs);
    normalizeRanges(coverage.deletes);
    return coverage;
  } catch {
    return null;
  }
}

/** Every range of `need` lies inside one range of `have` (both normalized). */
function rangesCover(have: Map<number, number[]>, need: Map<number, number[]>): boolean {
  for (const [client, pairs] of need) {
    const haves = have.get(client);
    if (!haves) return false;
    let j = 0;
    for (let i = 0; i < pairs.length; i += 2) {
      // Both sorted: skip the ranges of `have` that end before this one starts.
      while (j < haves.length && haves[j + 1]! <= pairs[i]!) j += 2;
      if (j >= haves.length || haves[j]! > pairs[i]! || haves[j + 1]! < pairs[i + 1]!) return false;
    }
  }
  return true;
}

/** True when everything `need` holds (structs and deletions) is in the union of `rows`. */
function rowsCover(rows: RowCoverage[], need: RowCoverage): boolean {
  const union: RowCoverage = { structs: new Map(), deletes: new Map() };
  for (const row of rows) {
    for (const [key, ranges] of [['structs', row.structs], ['deletes', row.deletes]] as const) {
      for (const [client, pairs] of ranges) {
        const all = union[key].get(client);
        if (all) for (const clock of pairs) all.push(clock);
        else union[key].set(client, [...pairs]);
      }
    }
  }
  return rangesCover(normalizeRanges(union.structs), need.structs) && rangesCover(normalizeRanges(union.deletes), need.deletes);
}

/**
 * Moves rows that are not decodable Yjs updates out of the log into the
 * custom store (kept for salvage, not deleted). Returns how many, and what
 * every remaining row holds, by key.
 */
function quarantineCorruptRows(db: IDBDatabase): Promise<{ corrupt: number; rows: Map<IDBValidKey, RowCoverage> }> {
  return new Promise((resolve, reject) => {
    let corrupt = 0;
    const rows = new Map<IDBValidKey, RowCoverage>();
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
      const coverage = decodeRow(cursor.value);
      if (coverage) {
        rows.set(cursor.key, coverage);
      } else {
        custom.put(cursor.value, `${QUARANTINE_KEY_PREFIX}${String(cursor.key)}`);
        cursor.delete();
        corrupt++;
      }
      cursor.continue();
    };
    tx.oncomplete = () => resolve({ corrupt, rows });
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
  /** Resolves when the current connection goes away (one per attachment). */
  private closedSignal!: Promise<void>;
  private signalClosed: () => void = () => undefined;
  /** A re-attachment after the database was closed under us, while it runs. */
  private reattaching: Promise<void> | null = null;
  /** When recent re-attachments started (see {@link MAX_REATTACHES}). */
  private reattachTimes: number[] = [];
  /** The update each pending write carries, for the unload journal. */
  private readonly inFlight = new Map<Promise<void>, Uint8Array[]>();
  /**
   * Updates not yet handed to IndexedDB (see {@link storeUpdate}): written
   * together, in one transaction, by a task posted after the first of them.
   */
  private queued: Uint8Array[] = [];
  private writeTimer: ReturnType<typeof setTimeout> | null = null;
  /** This attachment's unload-journal key, once it wrote one. */
  private journalKey: string | null = null;

  constructor(
    private readonly store: IndexedDbStore,
    /** The IndexedDB database name. */
    readonly databaseName: string,
    private readonly doc: Y.Doc,
    private readonly forget: () => void,
  ) {
    this.resetClosedSignal();
    if (typeof window !== 'undefined') window.addEventListener('pagehide', this.onPageHide);
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

  private resetClosedSignal(): void {
    this.closedSignal = new Promise<void>((resolve) => {
      this.signalClosed = resolve;
    });
  }

  private async load(): Promise<void> {
    const { corrupt, rows: storedRows } = await this.prepareDatabase();
    // What y-indexeddb is about to store as its pre-load row (the provider is
    // constructed synchronously at the start of attachProvider).
    const preload = Y.encodeStateAsUpdate(this.doc);
    await this.attachProvider();
    this.loaded = true;
    // Not awaited: opening does not wait for the tidy-up (its transaction is
    // queued before any later write, and flush/destroy wait for it). Failures
    // are reported by the connection's error/abort listeners; the row then just stays.
    void this.dropRedundantPreloadRow(preload, storedRows).catch(() => undefined);
    await this.replayUnloadJournal();
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

  /**
   * Deletes the row y-indexeddb's load just added with the doc's pre-load
   * state when the other stored rows already hold all of it — every reopening
   * of a stored note, whose seed is in the log since its first row — so that
   * reopening leaves the log exactly as it was. In doubt the row stays (a
   * redundant row costs a few bytes, a missing one loses data):
   *
   * - the log was empty before (a new note: the row is its first, with the seed);
   * - the row is not found, or its bytes differ from `preload` (the doc changed
   *   between our snapshot and y-indexeddb's);
   * - the other rows do not contain every struct *and* every deletion of it
   *   (only rows our own open decoded count, and only while their keys are still there);
   * - a write failed meanwhile (the log may have a gap the row fills).
   *
   * Runs in one readwrite transaction queued right behind the load's, so it
   * sees the pre-load row and `_dbref` (one past its key) is set by then. Only
   * on the first load: a re-attachment stores the whole doc on purpose.
   */
  private dropRedundantPreloadRow(preload: Uint8Array, storedRows: Map<IDBValidKey, RowCoverage>): Promise<void> {
    const provider = this.provider;
    const db = this.db;
    if (storedRows.size === 0 || !provider || !db || this.closed || this.needsFullState) return Promise.resolve();
    const wanted = decodeRow(preload);
    if (!wanted) return Promise.resolve();
    const generation = this.failureGeneration;
    let tx: IDBTransaction;
    try {
      tx = db.transaction([UPDATES_STORE], 'readwrite');
    } catch (error) {
      this.reportFailure(toStorageError(error, 'Could not tidy the stored note'));
      return Promise.resolve();
    }
    const done = this.track(tx);
    const updates = tx.objectStore(UPDATES_STORE);
    // Keys only: rows are never rewritten under the same key (y-indexeddb
    // adds, compaction deletes and adds), so a key still there is a row as we
    // decoded it. Only the candidate's bytes are read.
    const keysRequest = updates.getAllKeys();
    keysRequest.onsuccess = () => {
      const keys = keysRequest.result;
      const loadedUpTo = provider._dbref; // one past the pre-load row's key
      if (generation !== this.failureGeneration || this.needsFullState || loadedUpTo <= 0) return;
      // The pre-load row is the last one the load saw; later writes have keys from `_dbref` on.
      let preloadKey: number | null = null;
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (typeof key !== 'number' || key >= loadedUpTo) continue;
        if (!storedRows.has(key)) preloadKey = key;
        break;
      }
      if (preloadKey === null) return;
      const others = keys.flatMap((key) => storedRows.get(key) ?? []);
      if (others.length === 0 || !rowsCover(others, wanted)) return;
      const key = preloadKey;
      const valueRequest = updates.get(key);
      valueRequest.onsuccess = () => {
        if (!(valueRequest.result instanceof Uint8Array) || !equalFlat(valueRequest.result, preload)) return;
        // A decrement rather than a count: writes issued meanwhile have already added themselves.
        updates.delete(key).onsuccess = () => {
          provider._dbsize = Math.max(0, provider._dbsize - 1);
        };
      };
    };
    return done;
  }

  /**
   * Applies (and thereby stores) what earlier pages of this doc left in the
   * unload journal, then deletes those entries.
   */
  private async replayUnloadJournal(): Promise<void> {
    const storage = currentLocalStorage();
    if (!storage) return;
    const prefix = `${UNLOAD_JOURNAL_PREFIX}${this.databaseName}:`;
    let keys: string[];
    try {
      keys = Array.from({ length: storage.length }, (_, i) => storage.key(i)).filter(
        (key): key is string => key !== null && key.startsWith(prefix),
      );
    } catch {
      return;
    }
    if (keys.length === 0) return;
    for (const key of keys) {
      try {
        const value = storage.getItem(key);
        const update = value === null ? null : fromBase64(value);
        // Applied as an edit (not the provider's origin), so our listener stores it as a row.
        if (update && isDecodableUpdate(update)) Y.applyUpdate(this.doc, update, UNLOAD_JOURNAL_PREFIX);
      } catch {
        // An unreadable entry: nothing to recover from it.
      }
    }
    await this.flush();
    if (this.closed) return; // keep the entries for the next load
    for (const key of keys) {
      try {
        storage.removeItem(key);
      } catch {
        // ignore: applying it again later is harmless
      }
    }
  }

  /** The page is going away: keep the writes still in flight where the next load finds them. */
  private readonly onPageHide = (): void => {
    if (!this.loaded || this.destroyed || this.removing) return;
    const rows = [...[...this.inFlight.values()].flat(), ...this.queued];
    // Closed or healing: the log may lack more than what is in flight; keep the whole doc.
    const update =
      this.closed || this.needsFullState ? Y.encodeStateAsUpdate(this.doc) : rows.length > 0 ? Y.mergeUpdates(rows) : null;
    if (!update) return;
    const storage = currentLocalStorage();
    if (!storage) return;
    this.journalKey ??= `${UNLOAD_JOURNAL_PREFIX}${this.databaseName}:${this.doc.clientID}-${Math.random().toString(36).slice(2)}`;
    try {
      storage.setItem(this.journalKey, toBase64(update));
    } catch {
      // Out of space or blocked: nothing more can be done while the page unloads.
    }
  };

  /** Once nothing is in flight, an unload journal this page wrote (it stayed alive, e.g. bfcache) is obsolete. */
  private dropJournalIfSettled(): void {
    if (this.journalKey === null || this.inFlight.size > 0 || this.queued.length > 0 || this.closed || this.needsFullState) return;
    try {
      currentLocalStorage()?.removeItem(this.journalKey);
    } catch {
      // ignore
    }
    this.journalKey = null;
  }

  /**
   * Our own open: creates the stores, quarantines undecodable rows, closes
   * again. Returns how many rows were set aside and what the others hold.
   */
  private async prepareDatabase(): Promise<{ corrupt: number; rows: Map<IDBValidKey, RowCoverage> }> {
    const factory = currentIndexedDb();
    if (!factory) throw new StorageError('unavailable', 'IndexedDB is not available in this browser');
    const first = await openDatabase(factory, this.databaseName, this.store.openTimeoutMs);
    try {
      return await quarantineCorruptRows(first);
    } finally {
      first.close();
    }
  }

  /**
   * Hands the doc to a new y-indexeddb provider and resolves once it has
   * loaded: stored rows are applied to the doc, and the doc's state from
   * before (the seed, or everything after a re-attach) is stored as a row
   * (which the first load then drops again if redundant, see `load`).
   */
  private async attachProvider(): Promise<void> {
    const timeoutMs = this.store.openTimeoutMs;
    const provider = new IndexeddbPersistence(this.databaseName, this.doc);
    this.provider = provider;
    // Take over writing (see the module comment). Done synchronously after
    // construction, before any update can reach y-indexeddb's own listener.
    this.doc.off('update', provider._storeUpdate);
    provider._storeUpdate = this.storeUpdate;
    this.doc.on('update', this.storeUpdate);
    // y-indexeddb closes at once when the doc is destroyed; we first let pending writes land.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- removes y-indexeddb's listener, adds none
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

    const generation = this.failureGeneration;
    await Promise.race([
      provider.whenSynced,
      this.closedSignal.then(() => {
        throw new StorageError('closed', 'The database was closed while loading');
      }),
    ]);
    // The load stored the doc's whole state, which fills any gap left by failed writes.
    if (generation === this.failureGeneration) this.needsFullState = false;
  }

  /**
   * The database was closed under us (another tab deleted or upgraded it, or
   * the browser cleared storage): open it again and store the whole doc.
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
    const oldProvider = this.provider;
    const oldDb = this.db;
    if (oldDb) {
      oldDb.removeEventListener('error', this.onDbError);
      oldDb.removeEventListener('abort', this.onDbAbort);
      oldDb.removeEventListener('close', this.onDbClosed);
      oldDb.removeEventListener('versionchange', this.onDbClosed);
    }
    this.db = null;
    // Also removes our update listener (it is the provider's `_storeUpdate`); the new provider's load covers edits made meanwhile.
    if (oldProvider) void oldProvider.destroy().catch(() => undefined);
    this.needsFullState = true;
    this.failureGeneration++;
    const run = async (): Promise<void> => {
      try {
        await this.prepareDatabase();
        if (this.destroyed) return;
        this.resetClosedSignal();
        this.closed = false;
        await this.attachProvider();
        this.errors.recovered();
      } catch (error) {
        this.closed = true;
        this.doc.off('update', this.storeUpdate);
        if (this.provider && this.provider !== oldProvider) void this.provider.destroy().catch(() => undefined);
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
    if (!this.removing && !this.destroyed) this.errors.report(new StorageError('closed', message));
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

  /**
   * Replaces y-indexeddb's `_storeUpdate`: one row per update, caught and
   * tracked. The rows are not written inside the update (that is, inside the
   * keystroke's event handler — opening an IndexedDB transaction per keystroke
   * cost ~0.4 ms of it on a 100k-character note) but by a task posted right
   * after, which writes everything queued meanwhile in one transaction. Until
   * then the unload journal and `flush()` cover the queued updates.
   */
  private readonly storeUpdate = (update: Uint8Array, origin: unknown): void => {
    const provider = this.provider;
    // Before the database is open, y-indexeddb stores the doc's pre-load state
    // as a row when it loads, which covers these updates.
    if (!provider || !provider.db || origin === provider || this.closed) return;
    this.queued.push(update);
    this.writeTimer ??= setTimeout(this.writeQueued, 0);
  };

  /** Writes the queued updates, one row each, in one transaction. */
  private readonly writeQueued = (): void => {
    if (this.writeTimer !== null) {
      clearTimeout(this.writeTimer);
      this.writeTimer = null;
    }
    const updates = this.queued.splice(0);
    const provider = this.provider;
    const db = provider?.db;
    if (updates.length === 0 || !provider || !db || this.closed) return;
    const healing = this.needsFullState;
    const generation = this.failureGeneration;
    const rows = healing ? [Y.encodeStateAsUpdate(this.doc)] : updates;
    let tx: IDBTransaction;
    try {
      tx = db.transaction([UPDATES_STORE], 'readwrite');
      const store = tx.objectStore(UPDATES_STORE);
      for (const row of rows) store.add(row);
    } catch (error) {
      // Thrown synchronously, so no event will report it.
      this.writeFailed(error);
      return;
    }
    const written = this.track(tx);
    this.inFlight.set(written, rows);
    const settled = () => {
      this.inFlight.delete(written);
      this.dropJournalIfSettled();
    };
    written.then(settled, settled);
    written.then(
      () => {
        if (healing && generation === this.failureGeneration) this.needsFullState = false;
        this.errors.recovered();
      },
      () => undefined, // reported by the connection's error/abort listener
    );
    provider._dbsize += rows.length;
    if (provider._dbsize >= PREFERRED_TRIM_SIZE) this.scheduleTrim(provider._storeTimeout);
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
    if (this.queued.length > 0) this.writeQueued();
    while (this.reattaching !== null || this.pending.size > 0) {
      if (this.reattaching !== null) await this.reattaching;
      await Promise.allSettled([...this.pending]);
    }
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
      // Queued updates go first, in their own transaction: the compaction reads and deletes them.
      if (this.queued.length > 0) this.writeQueued();
      const healedGeneration = this.failureGeneration;
      let tx: IDBTransaction;
      let countRequest: IDBRequest<number>;
      try {
        const updates = await fetchUpdates(provider);
        tx = updates.transaction;
        const done = this.track(tx);
        // Without what only the undo history keeps alive (see collectGarbage).
        updates.add(collectGarbage(Y.encodeStateAsUpdate(this.doc)));
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
    // Queued updates stay queued: the unload journal still covers them, and a
    // re-attachment stores the whole doc (writeQueued skips while closed).
    // lib0 closes the connection on `versionchange` already; closing twice is harmless.
    this.db?.close();
    if (this.removing || this.destroyed) return;
    // Closed while loading: `load` rejects with `closed` and the app says so.
    if (!this.loaded) return;
    this.reattach();
  }

  private readonly onDocDestroy = (): void => {
    void this.destroy();
  };

  private async runDestroy(): Promise<void> {
    if (typeof window !== 'undefined') window.removeEventListener('pagehide', this.onPageHide);
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
