/**
 * Where the notes list lives: one entry per note, read by id or a page at a
 * time (newest first), never all at start-up; each note's search document
 * (its whole text, its explicit title, whether it is listed) kept apart and
 * read only by search: by the full-text index in the order they changed
 * ({@link NotesIndexStore.changedSince}), or whole by the fallback scan. Every write is a read-modify-write of one
 * entry inside one transaction, so two tabs changing different fields of the
 * same entry (a rename here, typing there) both keep their change.
 * Adapters: IndexedDB in the browser, memory in tests and as the fallback.
 */
import type { EntryChange, IndexRecord } from '../doc/noteEntry';

export interface PageOptions {
  /** Most entries returned. */
  limit: number;
  /** Also list soft-deleted entries. Default false. */
  includeDeleted?: boolean;
}

/** One write of {@link NotesIndexStore.update}. */
export interface EntryWrite {
  readonly id: string;
  readonly change: EntryChange;
  /**
   * The entry's search text (see `searchTextOf`: the whole text, whitespace
   * collapsed, not folded), written when the entry exists after the change
   * and the text differs; omitted: the stored text stays. A deleted entry
   * loses its text.
   */
  readonly text?: string;
}

/** What one write did: the entry as stored afterwards (undefined: there is none) and whether anything was written. */
export interface WriteResult {
  readonly entry: IndexRecord | undefined;
  readonly changed: boolean;
}

export interface UpdateOptions {
  /**
   * Resolve only once the writes are on disk, not merely handed to the OS (IndexedDB's `strict`
   * durability; Chromium's default is relaxed): for writes that something is deleted after.
   */
  durable?: boolean;
}

/**
 * One note's search document as stored. Every write that changes what search
 * sees of a note (its text, explicit title, trash state, or its deletion)
 * stores its document again under the store's next sequence number, so the
 * full-text index catches up by reading the documents changed after the last
 * number it saw; a deleted entry leaves a `removed` document (no text).
 */
export interface SearchDoc {
  readonly id: string;
  readonly text: string;
  /** The explicit title ('' when the title is derived: the first line is in `text`). */
  readonly title: string;
  /** False while in the trash (and when removed). */
  readonly listed: boolean;
  readonly removed: boolean;
  /** Position in the order of changes (1, 2, …; shared by every tab of the store). */
  readonly seq: number;
}

/** The full-text index as persisted: the engine's serialized form with what tells a stale or damaged one. */
export interface SearchSnapshot {
  /** The index format (engine and options); another one is rebuilt. */
  readonly format: number;
  /** The last change ({@link SearchDoc.seq}) the index holds. */
  readonly seq: number;
  /** Checksum of `data` (see `checksumOf`). */
  readonly checksum: string;
  readonly data: string;
}

export interface NotesIndexStore {
  /** One entry by id (trash included); undefined when there is none. */
  get(id: string): Promise<IndexRecord | undefined>;
  /** The newest entries, in `compareRecency` order, at most `limit`. */
  page(options: PageOptions): Promise<IndexRecord[]>;
  /** How many entries there are (soft-deleted ones only with `includeDeleted`). */
  count(options?: { includeDeleted?: boolean }): Promise<number>;
  /** Every entry (trash only with `includeDeleted`) whose titles or search text hold every term, in `compareRecency` order. */
  search(terms: readonly string[], options?: { includeDeleted?: boolean }): Promise<IndexRecord[]>;
  /** A note's stored search text ('' when there is none). */
  text(id: string): Promise<string>;
  /** Entries and search texts of these ids, in their order (a page of search hits). */
  getMany(ids: readonly string[]): Promise<Array<{ entry: IndexRecord | undefined; text: string }>>;
  /** The search documents changed after change `seq`, oldest change first, at most `limit`. */
  changedSince(seq: number, limit: number): Promise<SearchDoc[]>;
  /** The newest change's number (0: none yet). */
  lastChange(): Promise<number>;
  /** The persisted full-text index; undefined when there is none. */
  searchSnapshot(): Promise<SearchSnapshot | undefined>;
  /** Persists the full-text index unless one holding later changes is stored already; resolves whether it was written. */
  saveSearchSnapshot(snapshot: SearchSnapshot): Promise<boolean>;
  /**
   * Runs each write's change on the stored entry and stores the result, all
   * in one transaction (all or nothing); results in the writes' order.
   */
  update(writes: readonly EntryWrite[], options?: UpdateOptions): Promise<WriteResult[]>;
  /** A small value of the store's own (e.g. a migration marker); undefined when unset. */
  getMarker(key: string): Promise<unknown>;
  /** Resolves once the marker, and every write before it, is durably stored (not only handed to the OS). */
  setMarker(key: string, value: unknown): Promise<void>;
  /** Lets go of the storage (the connection); later calls may reopen it. */
  close(): void;
}
