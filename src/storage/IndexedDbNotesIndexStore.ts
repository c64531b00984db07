/**
 * NotesIndexStore on IndexedDB: one database of its own (default
 * {@link NOTES_INDEX_DB_NAME}), beside the notes' y-indexeddb databases.
 *
 * - {@link ENTRIES_STORE} (keyPath `id`): the list entries, a few hundred
 *   bytes each, plus `listed` (1, or 0 while in the trash). Its index
 *   {@link RECENCY_INDEX} on `[listed, updatedAt, createdAt]` walked
 *   backwards gives the list's first page without reading the rest: start-up
 *   costs the entries shown, not the entries stored.
 * - {@link TEXTS_STORE} (keyPath `id`): each note's search document (its whole
 *   text, explicit title, `listed`, `removed`, `seq`), read only by search. Its
 *   index {@link SEQ_INDEX} gives the documents changed after a given change,
 *   which is how the full-text index catches up (a deleted entry leaves a
 *   `removed` document, so deletions are seen too).
 * - {@link MARKERS_STORE}: small values of the store's own (the migration marker),
 *   {@link COUNTS_KEY}: how many entries there are, listed and in all, and
 *   {@link SEQ_KEY}: the last change's number, both kept in the transaction of
 *   every entry write, so that "Showing 100 of N" reads one value at start-up.
 * - {@link SNAPSHOTS_STORE}: the persisted full-text index (meta and data apart,
 *   so deciding whether to write one never reads the data), outside every
 *   entry write's scope: writing tens of megabytes never holds up a keystroke's refresh.
 *
 * Writes are read-modify-write inside one readwrite transaction, which
 * IndexedDB runs one after another per store, so concurrent tabs never lose
 * each other's fields, and change numbers commit in order. The connection is
 * opened on first use and dropped when another tab deletes or upgrades the
 * database, then reopened by the next call.
 */
import { compareRecency, matchesSearch, toIndexRecord, type IndexRecord } from '../doc/noteEntry';
import { OPEN_TIMEOUT_MS } from './IndexedDbStore';
import { openDatabase, requestResult } from './openDatabase';
import type { EntryWrite, NotesIndexStore, PageOptions, SearchDoc, SearchSnapshot, UpdateOptions, WriteResult } from './NotesIndexStore';
import { nextSearchDoc, toSearchDoc } from './searchDocs';
import { toStorageError } from './updateLog';

/** The database of the notes list. Persisted names: never rename. */
export const NOTES_INDEX_DB_NAME = 'weft:notes-index';
/** 2: search documents with change numbers (full-text search). */
export const NOTES_INDEX_DB_VERSION = 2;
export const ENTRIES_STORE = 'entries';
export const TEXTS_STORE = 'texts';
export const MARKERS_STORE = 'markers';
export const SNAPSHOTS_STORE = 'snapshots';
export const RECENCY_INDEX = 'recency';
export const SEQ_INDEX = 'seq';

/** Key in {@link MARKERS_STORE} of the entry counts. Persisted: never rename. */
export const COUNTS_KEY = 'counts';
/** Key in {@link MARKERS_STORE} of the last change's number. Persisted: never rename. */
export const SEQ_KEY = 'search-seq';
/** Keys in {@link SNAPSHOTS_STORE}. Persisted: never rename. */
const SNAPSHOT_META_KEY = 'meta';
const SNAPSHOT_DATA_KEY = 'data';

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

const seqOf = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0);

/**
 * Version 1 to 2: every entry gets a numbered search document (its stored
 * text, folded as version 1 stored it, with its title and trash state), in
 * the upgrade's own transaction, so the full-text index finds every note.
 */
function numberSearchDocs(tx: IDBTransaction): void {
  const entries = tx.objectStore(ENTRIES_STORE);
  const texts = tx.objectStore(TEXTS_STORE);
  const markers = tx.objectStore(MARKERS_STORE);
  let seq = 0;
  const cursor = entries.openCursor();
  cursor.onsuccess = () => {
    const at = cursor.result;
    if (!at) {
      markers.put(seq, SEQ_KEY);
      return;
    }
    const record = toIndexRecord(at.value);
    if (record) {
      const number = ++seq;
      const read = texts.get(record.id);
      read.onsuccess = () => {
        const doc = nextSearchDoc(record.id, undefined, textOf(read.result), undefined, record, undefined, () => number);
        if (doc) texts.put(doc);
      };
    }
    at.continue();
  };
}

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

  getMany(ids: readonly string[]): Promise<Array<{ entry: IndexRecord | undefined; text: string }>> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.run('Could not read the notes list', async (db) => {
      const tx = db.transaction([ENTRIES_STORE, TEXTS_STORE], 'readonly');
      const [entries, texts] = await Promise.all([
        Promise.all(ids.map((id) => requestResult(tx.objectStore(ENTRIES_STORE).get(id)))),
        Promise.all(ids.map((id) => requestResult<unknown>(tx.objectStore(TEXTS_STORE).get(id)))),
      ]);
      return ids.map((_, i) => ({ entry: toIndexRecord(entries[i]) ?? undefined, text: textOf(texts[i]) }));
    });
  }

  changedSince(seq: number, limit: number): Promise<SearchDoc[]> {
    return this.run('Could not search the notes', async (db) => {
      const tx = db.transaction([TEXTS_STORE], 'readonly');
      const values: unknown[] = await requestResult(tx.objectStore(TEXTS_STORE).index(SEQ_INDEX).getAll(IDBKeyRange.lowerBound(seq, true), limit));
      const docs: SearchDoc[] = [];
      for (const value of values) {
        const doc = toSearchDoc(value);
        if (doc) docs.push(doc);
      }
      return docs;
    });
  }

  lastChange(): Promise<number> {
    return this.run('Could not search the notes', async (db) => {
      const tx = db.transaction([MARKERS_STORE], 'readonly');
      return seqOf(await requestResult(tx.objectStore(MARKERS_STORE).get(SEQ_KEY)));
    });
  }

  searchSnapshot(): Promise<SearchSnapshot | undefined> {
    return this.run('Could not read the search index', async (db) => {
      const tx = db.transaction([SNAPSHOTS_STORE], 'readonly');
      const store = tx.objectStore(SNAPSHOTS_STORE);
      const [meta, data] = await Promise.all([requestResult<unknown>(store.get(SNAPSHOT_META_KEY)), requestResult<unknown>(store.get(SNAPSHOT_DATA_KEY))]);
      const m = meta as Partial<SearchSnapshot> | undefined;
      if (!m || typeof m.format !== 'number' || typeof m.seq !== 'number' || typeof m.checksum !== 'string' || typeof data !== 'string') return undefined;
      return { format: m.format, seq: m.seq, checksum: m.checksum, data };
    });
  }

  saveSearchSnapshot(snapshot: SearchSnapshot): Promise<boolean> {
    return this.run('Could not save the search index', async (db) => {
      const tx = db.transaction([SNAPSHOTS_STORE], 'readwrite');
      const done = transactionDone(tx);
      const store = tx.objectStore(SNAPSHOTS_STORE);
      const meta = (await requestResult<unknown>(store.get(SNAPSHOT_META_KEY))) as Partial<SearchSnapshot> | undefined;
      // Another tab stored one holding later changes (of the same format): keep it.
      if (meta && meta.format === snapshot.format && typeof meta.seq === 'number' && meta.seq > snapshot.seq) {
        await done;
        return false;
      }
      store.put({ format: snapshot.format, seq: snapshot.seq, checksum: snapshot.checksum }, SNAPSHOT_META_KEY);
      store.put(snapshot.data, SNAPSHOT_DATA_KEY);
      await done;
      return true;
    });
  }

  update(writes: readonly EntryWrite[], options: UpdateOptions = {}): Promise<WriteResult[]> {
    if (writes.length === 0) return Promise.resolve([]);
    return this.run('Could not save the notes list', async (db) => {
      // Both stores always: every entry change may change its search document (a deleted entry leaves a removed one).
      const tx = db.transaction([ENTRIES_STORE, TEXTS_STORE, MARKERS_STORE], 'readwrite', { durability: options.durable ? 'strict' : 'default' });
      const done = transactionDone(tx);
      const entries = tx.objectStore(ENTRIES_STORE);
      const texts = tx.objectStore(TEXTS_STORE);
      const markers = tx.objectStore(MARKERS_STORE);
      // Read before any write of this transaction: counted from the keys, they must not see them yet.
      const [{ kept, ...counts }, seqBefore] = await Promise.all([countsIn(entries, markers), requestResult<unknown>(markers.get(SEQ_KEY)).then(seqOf)]);
      const countsBefore = { ...counts };
      let seq = seqBefore;
      // Every read is requested at once (one round of the event loop, not one per write); each
      // change then runs on what the previous write of the same id left, in order.
      const stored = await Promise.all(writes.map(({ id }) => requestResult(entries.get(id))));
      const storedDocs = await Promise.all(writes.map(({ id }) => requestResult<unknown>(texts.get(id))));
      const current = new Map<string, IndexRecord | undefined>();
      const currentDocs = new Map<string, SearchDoc | undefined>();
      const results: WriteResult[] = [];
      try {
        writes.forEach(({ id, change, text }, i) => {
          const before = current.has(id) ? current.get(id) : (toIndexRecord(stored[i]) ?? undefined);
          const next = change(before);
          let entry = before;
          let changed = false;
          if (next === null) {
            entries.delete(id);
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
          // The search document: stored again (under the next change number) when what search sees changed.
          const previousDoc = currentDocs.has(id) ? currentDocs.get(id) : (toSearchDoc(storedDocs[i]) ?? undefined);
          const doc = nextSearchDoc(id, previousDoc, textOf(storedDocs[i]), before, entry, text, () => ++seq);
          if (doc !== previousDoc && doc) {
            texts.put(doc);
            if (entry && text !== undefined && text !== (previousDoc?.text ?? textOf(storedDocs[i]))) changed = true;
          }
          currentDocs.set(id, doc);
          results.push({ entry, changed });
        });
        if (seq !== seqBefore) markers.put(seq, SEQ_KEY);
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
      upgrade: (db, tx, oldVersion) => {
        if (!db.objectStoreNames.contains(ENTRIES_STORE)) {
          const entries = db.createObjectStore(ENTRIES_STORE, { keyPath: 'id' });
          entries.createIndex(RECENCY_INDEX, ['listed', 'updatedAt', 'createdAt'], { unique: false });
        }
        const texts = db.objectStoreNames.contains(TEXTS_STORE) ? tx.objectStore(TEXTS_STORE) : db.createObjectStore(TEXTS_STORE, { keyPath: 'id' });
        if (!texts.indexNames.contains(SEQ_INDEX)) texts.createIndex(SEQ_INDEX, 'seq', { unique: false });
        if (!db.objectStoreNames.contains(MARKERS_STORE)) db.createObjectStore(MARKERS_STORE);
        if (!db.objectStoreNames.contains(SNAPSHOTS_STORE)) db.createObjectStore(SNAPSHOTS_STORE);
        if (oldVersion === 1) numberSearchDocs(tx);
      },
      // Reopened on the next call.
      onGone: () => {
        this.db = null;
      },
    });
  }
}
