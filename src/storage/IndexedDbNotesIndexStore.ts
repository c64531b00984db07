/**
 * NotesIndexStore on IndexedDB: one database of its own (default
 * {@link NOTES_INDEX_DB_NAME}), beside the notes' y-indexeddb databases.
 *
 * - {@link ENTRIES_STORE} (keyPath `id`): the list entries, a few hundred
 *   bytes each, plus `listed` (1, or 0 while in the trash). Its index
 *   {@link RECENCY_INDEX} on `[listed, updatedAt, createdAt]` walked
 *   backwards gives the list's first page without reading the rest: start-up
 *   costs the entries shown, not the entries stored.
 * - {@link TEXTS_STORE} (keyPath `id`): each note's folded search text (up to
 *   4,000 characters), read only by a search.
 * - {@link MARKERS_STORE}: small values of the store's own (the migration marker), and
 *   {@link COUNTS_KEY}: how many entries there are, listed and in all, kept in
 *   the transaction of every entry write, so that "Showing 100 of N" reads one
 *   value at start-up instead of counting every key.
 *
 * Writes are read-modify-write inside one readwrite transaction, which
 * IndexedDB runs one after another per store, so concurrent tabs never lose
 * each other's fields. The connection is opened on first use and dropped when
 * another tab deletes or upgrades the database, then reopened by the next call.
 */
import { compareRecency, matchesSearch, toIndexRecord, type IndexRecord } from '../doc/noteEntry';
import { OPEN_TIMEOUT_MS } from './IndexedDbStore';
import { openDatabase, requestResult } from './openDatabase';
import type { EntryWrite, NotesIndexStore, PageOptions, UpdateOptions, WriteResult } from './NotesIndexStore';
import { toStorageError } from './updateLog';

/** The database of the notes list. Persisted names: never rename. */
export const NOTES_INDEX_DB_NAME = 'weft:notes-index';
export const NOTES_INDEX_DB_VERSION = 1;
export const ENTRIES_STORE = 'entries';
export const TEXTS_STORE = 'texts';
export const MARKERS_STORE = 'markers';
export const RECENCY_INDEX = 'recency';

/** Key in {@link MARKERS_STORE} of the entry counts. Persisted: never rename. */
export const COUNTS_KEY = 'counts';

interface Counts {
  listed: number;
  all: number;
}

const isCounts = (value: unknown): value is Counts =>
  typeof value === 'object' && value !== null && Number.isSafeInteger((value as Counts).listed) && Number.isSafeInteger((value as Counts).all);

/** The counts, kept or (the first time, or if damaged: `kept` false) counted from the keys. */
async function countsIn(entries: IDBObjectStore, markers: IDBObjectStore): Promise<Counts & { kept: boolean }> {
  const value: unknown = await requestResult(markers.get(COUNTS_KEY));
  if (isCounts(value)) return { listed: value.listed, all: value.all, kept: true };
  const [all, listed] = await Promise.all([requestResult(entries.count()), requestResult(entries.index(RECENCY_INDEX).count(LISTED()))]);
  return { all, listed, kept: false };
}

/** Search texts read per request while searching (bounds the memory of one step). */
const SEARCH_BATCH = 500;

export interface IndexedDbNotesIndexStoreOptions {
  /** Database name; tests pass a fresh one. Default {@link NOTES_INDEX_DB_NAME}. */
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

/** The listed entries of the recency index (the trash has `listed` 0). */
const LISTED = () => IDBKeyRange.bound([1, -Infinity, -Infinity], [1, Infinity, Infinity]);

const toStored = (record: IndexRecord) => ({ ...record, listed: record.deletedAt === null ? 1 : 0 });

const textOf = (value: unknown): string => {
  const text = typeof value === 'object' && value !== null ? (value as { text?: unknown }).text : undefined;
  return typeof text === 'string' ? text : '';
};

export class IndexedDbNotesIndexStore implements NotesIndexStore {
  readonly name: string;
  private readonly openTimeoutMs: number;
  private db: Promise<IDBDatabase> | null = null;

  constructor(options: IndexedDbNotesIndexStoreOptions = {}) {
    this.name = options.name ?? NOTES_INDEX_DB_NAME;
    this.openTimeoutMs = options.openTimeoutMs ?? OPEN_TIMEOUT_MS;
  }

  get(id: string): Promise<IndexRecord | undefined> {
    return this.run('Could not read the notes list', async (db) => {
      const tx = db.transaction([ENTRIES_STORE], 'readonly');
      return toIndexRecord(await requestResult(tx.objectStore(ENTRIES_STORE).get(id))) ?? undefined;
    });
  }

  page({ limit, includeDeleted = false }: PageOptions): Promise<IndexRecord[]> {
    return this.run('Could not read the notes list', async (db) => {
      const tx = db.transaction([ENTRIES_STORE], 'readonly');
      const store = tx.objectStore(ENTRIES_STORE);
      // The whole list, trash included (a backup): not on the start-up path.
      if (includeDeleted) return this.sorted(await requestResult(store.getAll()), limit);
      const result: IndexRecord[] = [];
      if (limit <= 0) return result;
      await new Promise<void>((resolve, reject) => {
        const request = store.index(RECENCY_INDEX).openCursor(LISTED(), 'prev');
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const cursor = request.result;
          if (!cursor) return resolve();
          const record = toIndexRecord(cursor.value);
          if (record) result.push(record);
          if (result.length >= limit) resolve();
          else cursor.continue();
        };
      });
      return result;
    });
  }

  count({ includeDeleted = false } = {}): Promise<number> {
    return this.run('Could not read the notes list', async (db) => {
      const tx = db.transaction([ENTRIES_STORE, MARKERS_STORE], 'readonly');
      const counts = await countsIn(tx.objectStore(ENTRIES_STORE), tx.objectStore(MARKERS_STORE));
      return includeDeleted ? counts.all : counts.listed;
    });
  }

  search(terms: readonly string[], { includeDeleted = false } = {}): Promise<IndexRecord[]> {
    return this.run('Could not search the notes', async (db) => {
      const tx = db.transaction([ENTRIES_STORE, TEXTS_STORE], 'readonly');
      const candidates = new Map<string, IndexRecord>();
      for (const value of await requestResult(tx.objectStore(ENTRIES_STORE).getAll())) {
        const record = toIndexRecord(value);
        if (record && (includeDeleted || record.deletedAt === null)) candidates.set(record.id, record);
      }
      const found: IndexRecord[] = [];
      const texts = tx.objectStore(TEXTS_STORE);
      let after: string | null = null;
      for (;;) {
        const range: IDBKeyRange | null = after === null ? null : IDBKeyRange.lowerBound(after, true);
        const batch: unknown[] = await requestResult(texts.getAll(range, SEARCH_BATCH));
        for (const value of batch) {
          const id = (value as { id: string }).id;
          after = id;
          const record = candidates.get(id);
          if (!record) continue;
          candidates.delete(id);
          if (matchesSearch(record, textOf(value), terms)) found.push(record);
        }
        if (batch.length < SEARCH_BATCH) break;
      }
      // Entries without a stored text are searched by their titles.
      for (const record of candidates.values()) if (matchesSearch(record, '', terms)) found.push(record);
      return found.sort(compareRecency);
    });
  }

  text(id: string): Promise<string> {
    return this.run('Could not read the notes list', async (db) => {
      const tx = db.transaction([TEXTS_STORE], 'readonly');
      return textOf(await requestResult(tx.objectStore(TEXTS_STORE).get(id)));
    });
  }

  update(writes: readonly EntryWrite[], options: UpdateOptions = {}): Promise<WriteResult[]> {
    if (writes.length === 0) return Promise.resolve([]);
    return this.run('Could not save the notes list', async (db) => {
      // Both stores always: a deleted entry takes its text with it.
      const tx = db.transaction([ENTRIES_STORE, TEXTS_STORE, MARKERS_STORE], 'readwrite', { durability: options.durable ? 'strict' : 'default' });
      const done = transactionDone(tx);
      const entries = tx.objectStore(ENTRIES_STORE);
      const texts = tx.objectStore(TEXTS_STORE);
      const markers = tx.objectStore(MARKERS_STORE);
      // Read before any write of this transaction: counted from the keys, they must not see them yet.
      const { kept, ...counts } = await countsIn(entries, markers);
      const countsBefore = { ...counts };
      // Every read is requested at once (one round of the event loop, not one per write); each
      // change then runs on what the previous write of the same id left, in order.
      const stored = await Promise.all(writes.map(({ id }) => requestResult(entries.get(id))));
      const storedTexts = await Promise.all(writes.map(({ id, text }) => (text === undefined ? Promise.resolve(null) : requestResult<unknown>(texts.get(id)))));
      const current = new Map<string, IndexRecord | undefined>();
      const currentTexts = new Map<string, string>();
      const results: WriteResult[] = [];
      try {
        writes.forEach(({ id, change, text }, i) => {
          const before = current.has(id) ? current.get(id) : (toIndexRecord(stored[i]) ?? undefined);
          const next = change(before);
          let entry = before;
          let changed = false;
          if (next === null) {
            entries.delete(id);
            texts.delete(id);
            currentTexts.delete(id);
            entry = undefined;
            changed = true;
          } else if (next !== undefined) {
            entry = toIndexRecord({ ...next, id }) ?? undefined;
            if (entry) entries.put(toStored(entry));
            changed = true;
          }
          if (before !== entry) {
            counts.all += (entry ? 1 : 0) - (before ? 1 : 0);
            counts.listed += (entry?.deletedAt === null ? 1 : 0) - (before?.deletedAt === null ? 1 : 0);
          }
          current.set(id, entry);
          if (entry && text !== undefined) {
            const previous = currentTexts.has(id) ? currentTexts.get(id) : textOf(storedTexts[i]);
            if (previous !== text) {
              texts.put({ id, text });
              changed = true;
            }
            currentTexts.set(id, text);
          }
          results.push({ entry, changed });
        });
        if (!kept || counts.all !== countsBefore.all || counts.listed !== countsBefore.listed) markers.put(counts, COUNTS_KEY);
      } catch (error) {
        tx.abort();
        await done.catch(() => undefined);
        throw error;
      }
      await done;
      return results;
    });
  }

  getMarker(key: string): Promise<unknown> {
    return this.run('Could not read the notes list', async (db) => {
      return requestResult(db.transaction([MARKERS_STORE], 'readonly').objectStore(MARKERS_STORE).get(key));
    });
  }

  setMarker(key: string, value: unknown): Promise<void> {
    return this.run('Could not save the notes list', async (db) => {
      // Strict: Chromium's default (relaxed) may report a commit before it is on disk, and a
      // marker may be what lets the caller delete something (the old list, after the migration).
      const tx = db.transaction([MARKERS_STORE], 'readwrite', { durability: 'strict' });
      const done = transactionDone(tx);
      if (value === undefined) tx.objectStore(MARKERS_STORE).delete(key);
      else tx.objectStore(MARKERS_STORE).put(value, key);
      await done;
    });
  }

  close(): void {
    const db = this.db;
    this.db = null;
    void db?.then((connection) => connection.close()).catch(() => undefined);
  }

  private sorted(values: readonly unknown[], limit: number): IndexRecord[] {
    const records: IndexRecord[] = [];
    for (const value of values) {
      const record = toIndexRecord(value);
      if (record) records.push(record);
    }
    return records.sort(compareRecency).slice(0, limit);
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
      version: NOTES_INDEX_DB_VERSION,
      what: 'notes list',
      timeoutMs: this.openTimeoutMs,
      upgrade: (db) => {
        if (!db.objectStoreNames.contains(ENTRIES_STORE)) {
          const entries = db.createObjectStore(ENTRIES_STORE, { keyPath: 'id' });
          entries.createIndex(RECENCY_INDEX, ['listed', 'updatedAt', 'createdAt'], { unique: false });
        }
        if (!db.objectStoreNames.contains(TEXTS_STORE)) db.createObjectStore(TEXTS_STORE, { keyPath: 'id' });
        if (!db.objectStoreNames.contains(MARKERS_STORE)) db.createObjectStore(MARKERS_STORE);
      },
      // Reopened on the next call.
      onGone: () => {
        this.db = null;
      },
    });
  }
}
