/**
 * VersionStore on IndexedDB: one database of its own (default
 * {@link VERSIONS_DB_NAME}), separate from the notes' y-indexeddb databases so
 * that their format stays exactly y-indexeddb's.
 *
 * Two object stores: {@link META_STORE} (keyPath `id`, auto-increment, index
 * `noteId`) holds what lists show; {@link STATES_STORE} holds each version's
 * Yjs state under the same id, so listing never reads the states. A save
 * writes both in one transaction.
 *
 * The connection is opened on first use and dropped when another tab
 * deletes or upgrades the database (`versionchange`), then reopened by the
 * next call.
 */
import { OPEN_TIMEOUT_MS } from './IndexedDbStore';
import { openDatabase, requestResult } from './openDatabase';
import { toStorageError } from './updateLog';
import {
  VERSION_REASONS,
  compareNewestFirst,
  readVersionAuthors,
  type NewVersion,
  type PruneRule,
  type VersionMeta,
  type VersionReason,
  type VersionStore,
} from './VersionStore';

/** The database holding every note's versions. */
export const VERSIONS_DB_NAME = 'weft:versions';
/** Schema version of that database. */
export const VERSIONS_DB_VERSION = 1;
/** Object store of version metadata (persisted names: never rename). */
export const META_STORE = 'versions';
/** Object store of version states, keyed by the metadata's id. */
export const STATES_STORE = 'states';
/** Index of {@link META_STORE} by note id. */
export const NOTE_INDEX = 'noteId';

export interface IndexedDbVersionStoreOptions {
  /** Database name; tests pass a fresh one. Default {@link VERSIONS_DB_NAME}. */
  name?: string;
  /** How long opening may take before it counts as blocked. Default {@link OPEN_TIMEOUT_MS}. */
  openTimeoutMs?: number;
}


function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('Transaction aborted', 'AbortError'));
    tx.onerror = (event) => event.preventDefault();
  });
}

const isReason = (value: unknown): value is VersionReason => VERSION_REASONS.includes(value as VersionReason);

/** Reads a stored metadata record defensively (another app version may have written it). */
function toMeta(record: unknown): VersionMeta | null {
  if (typeof record !== 'object' || record === null) return null;
  const r = record as Record<string, unknown>;
  if (typeof r.id !== 'number' || typeof r.noteId !== 'string' || typeof r.at !== 'number') return null;
  if (!(r.snapshot instanceof Uint8Array) || typeof r.preview !== 'string' || !isReason(r.reason)) return null;
  return {
    id: r.id,
    noteId: r.noteId,
    at: r.at,
    snapshot: r.snapshot,
    preview: r.preview,
    reason: r.reason,
    size: typeof r.size === 'number' ? r.size : 0,
    // Absent in records written before pinning and authorship existed.
    pinned: r.pinned === true,
    fromElsewhere: r.fromElsewhere === true,
    authors: readVersionAuthors(r.authors),
  };
}

export class IndexedDbVersionStore implements VersionStore {
  readonly name: string;
  private readonly openTimeoutMs: number;
  private db: Promise<IDBDatabase> | null = null;

  constructor(options: IndexedDbVersionStoreOptions = {}) {
    this.name = options.name ?? VERSIONS_DB_NAME;
    this.openTimeoutMs = options.openTimeoutMs ?? OPEN_TIMEOUT_MS;
  }

  async save(version: NewVersion): Promise<VersionMeta> {
    return this.run('Could not save a version of the note', async (db) => {
      const tx = db.transaction([META_STORE, STATES_STORE], 'readwrite');
      const done = transactionDone(tx);
      const record = {
        noteId: version.noteId,
        at: version.at,
        snapshot: version.snapshot,
        preview: version.preview,
        reason: version.reason,
        size: version.state.byteLength,
        pinned: false,
        fromElsewhere: version.fromElsewhere === true,
        authors: readVersionAuthors(version.authors),
      };
      const id = (await requestResult(tx.objectStore(META_STORE).add(record))) as number;
      tx.objectStore(STATES_STORE).put(version.state, id);
      await done;
      return { ...record, id, snapshot: version.snapshot.slice() };
    });
  }

  async list(noteId: string): Promise<VersionMeta[]> {
    return this.run('Could not read the note’s versions', async (db) => {
      const tx = db.transaction([META_STORE], 'readonly');
      const records = await requestResult(tx.objectStore(META_STORE).index(NOTE_INDEX).getAll(IDBKeyRange.only(noteId)));
      return records
        .map(toMeta)
        .filter((m): m is VersionMeta => m !== null)
        .sort(compareNewestFirst);
    });
  }

  async load(id: number): Promise<Uint8Array | null> {
    return this.run('Could not read a version of the note', async (db) => {
      const tx = db.transaction([STATES_STORE], 'readonly');
      const state: unknown = await requestResult(tx.objectStore(STATES_STORE).get(id));
      return state instanceof Uint8Array ? state : null;
    });
  }

  async deleteNote(noteId: string): Promise<void> {
    await this.run('Could not delete the note’s versions', async (db) => {
      const tx = db.transaction([META_STORE, STATES_STORE], 'readwrite');
      const done = transactionDone(tx);
      const ids = await requestResult(tx.objectStore(META_STORE).index(NOTE_INDEX).getAllKeys(IDBKeyRange.only(noteId)));
      for (const id of ids) {
        tx.objectStore(META_STORE).delete(id);
        tx.objectStore(STATES_STORE).delete(id);
      }
      await done;
    });
  }

  async prune(noteId: string, rule: PruneRule): Promise<number> {
    const list = await this.list(noteId);
    const own = new Set(list.map((m) => m.id));
    const ids = rule(list).filter((id) => own.has(id));
    if (ids.length === 0) return 0;
    return this.run('Could not prune the note’s versions', async (db) => {
      const tx = db.transaction([META_STORE, STATES_STORE], 'readwrite');
      const done = transactionDone(tx);
      const meta = tx.objectStore(META_STORE);
      // Read again inside the deleting transaction: a version pinned since the
      // list was read (another tab, the dialog) must stay.
      const records = await Promise.all(ids.map((id) => requestResult<unknown>(meta.get(id))));
      let deleted = 0;
      records.forEach((record, i) => {
        const current = toMeta(record);
        if (!current || current.pinned) return;
        meta.delete(ids[i]!);
        tx.objectStore(STATES_STORE).delete(ids[i]!);
        deleted++;
      });
      await done;
      return deleted;
    });
  }

  async setPinned(id: number, pinned: boolean): Promise<VersionMeta | null> {
    return this.run('Could not pin the version', async (db) => {
      const tx = db.transaction([META_STORE], 'readwrite');
      const done = transactionDone(tx);
      const store = tx.objectStore(META_STORE);
      const record: unknown = await requestResult(store.get(id));
      const current = toMeta(record);
      if (!current) {
        await done;
        return null;
      }
      // Keeps whatever else the record holds (fields a newer app version may have added).
      store.put({ ...(record as Record<string, unknown>), pinned });
      await done;
      return { ...current, pinned };
    });
  }

  private async run<T>(context: string, fn: (db: IDBDatabase) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.connection());
    } catch (error) {
      throw toStorageError(error, context);
    }
  }

  private connection(): Promise<IDBDatabase> {
    this.db ??= this.open().catch((error: unknown) => {
      // Let the next call try again (the blocking tab may be gone by then).
      this.db = null;
      throw error;
    });
    return this.db;
  }

  private open(): Promise<IDBDatabase> {
    return openDatabase({
      name: this.name,
      version: VERSIONS_DB_VERSION,
      what: 'version history',
      timeoutMs: this.openTimeoutMs,
      upgrade: (db) => {
        if (!db.objectStoreNames.contains(META_STORE)) {
          const meta = db.createObjectStore(META_STORE, { keyPath: 'id', autoIncrement: true });
          meta.createIndex(NOTE_INDEX, 'noteId', { unique: false });
        }
        if (!db.objectStoreNames.contains(STATES_STORE)) db.createObjectStore(STATES_STORE);
      },
      // Reopened on the next call.
      onGone: () => {
        this.db = null;
      },
    });
  }
}
