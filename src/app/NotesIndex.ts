/**
 * The notes list as the app uses it, over a NotesIndexStore: the list is read
 * a page at a time and entries one by one, never the whole list at start-up;
 * search text is written beside each entry and read only by a search.
 *
 * Entries this tab has read by id or written (the open note's, the one just
 * created) are kept in a small cache that {@link NotesIndex.peek} answers
 * from synchronously: a rename shows in the title field at once, before it
 * is stored, and a note's share secret is at hand when its sync starts. The
 * store stays the truth: once a tab's writes to an entry have landed, the
 * cache takes the stored entry, and entries other tabs change (they say which
 * over the IndexChannel) are read again.
 */
import {
  contentEntry,
  createEntry,
  deriveTitle,
  importedEntry,
  newEntry,
  purgeEntry,
  removeEntry,
  rekeyedEntry,
  renameEntry,
  restoreEntry,
  searchTerms,
  searchTextOf,
  sharedEntry,
  summarize,
  type EntryChange,
  type ImportedEntry,
  type NoteSummary,
} from '../doc/noteEntry';
import { isNoteCapability, isNoteId, newNoteId, newShareSecret } from '../doc/noteId';
import { snippetOf, type SnippetPart } from '../doc/searchSnippet';
import { StorageError } from '../storage/DocStore';
import type { EntryWrite, NotesIndexStore, WriteResult } from '../storage/NotesIndexStore';
import type { IndexChannel } from '../sync/IndexChannel';
import { NotesSearch, type NotesSearchOptions } from './NotesSearch';

export interface ListOptions {
  /** Most entries returned (the list draws a page at a time). */
  limit: number;
  /**
   * Searches title and whole text (case-, accent- and width-insensitive): with
   * the full-text index, every word must match a word of the note by prefix or
   * with a typo, best match first; while the index is being built, every term
   * must occur as typed, newest edit first.
   */
  query?: string;
  /** Also list soft-deleted notes. Default false. */
  includeDeleted?: boolean;
}

/** A note as the list shows it; a search result also carries the snippet of its text around the hit. */
export interface ListedNote extends NoteSummary {
  /** Empty when not searching or when only the title matched. */
  readonly snippet?: readonly SnippetPart[];
}

/** One read of the list: the first `limit` entries and how many there are in all. */
export interface ListPage {
  readonly notes: readonly ListedNote[];
  readonly total: number;
}

/** What changed: entry ids, and whether the change is stored (false: only this tab's cache has it so far). */
export interface IndexChange {
  readonly ids: readonly string[];
  readonly stored: boolean;
}

export interface NotesIndexOptions {
  store: NotesIndexStore;
  /** Clock. Default `Date.now`. */
  now?: () => number;
  /** This browser's other tabs; null where there are none (tests, a single page). */
  channel?: IndexChannel | null;
  /** Where failed background writes (a rename, a content refresh) are reported. */
  onError?: (error: StorageError) => void;
  /** Tuning of the full-text index (tests: a rebuild held between batches, no snapshot timer). */
  search?: Omit<NotesSearchOptions, 'store'>;
}

const asStorageError = (error: unknown) =>
  error instanceof StorageError ? error : new StorageError('unknown', error instanceof Error ? error.message : String(error), { cause: error });

export class NotesIndex {
  private store: NotesIndexStore;
  private search: NotesSearch;
  private readonly searchOptions: Omit<NotesSearchOptions, 'store'>;
  private readonly now: () => number;
  private readonly channel: IndexChannel | null;
  private readonly onError: (error: StorageError) => void;
  private readonly cache = new Map<string, NoteSummary>();
  /** Writes of this tab not yet stored, per entry: while any is, the cache keeps its own (newer) idea of the entry. */
  private readonly unstored = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(change: IndexChange) => void>();
  private unsubscribe: (() => void) | null = null;

  constructor(options: NotesIndexOptions) {
    this.store = options.store;
    this.searchOptions = options.search ?? {};
    this.search = new NotesSearch({ ...this.searchOptions, store: this.store });
    this.now = options.now ?? Date.now;
    this.channel = options.channel ?? null;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Starts hearing other tabs' changes. */
  start(): void {
    if (this.unsubscribe || !this.channel) return;
    this.unsubscribe = this.channel.subscribe((ids) => void this.heard(ids));
  }

  /** Switches to another store (the app's fallback when IndexedDB is unusable); the cache is dropped. */
  useStore(store: NotesIndexStore): void {
    this.store.close();
    this.store = store;
    this.search.dispose();
    this.search = new NotesSearch({ ...this.searchOptions, store });
    this.cache.clear();
  }

  /**
   * Loads the full-text index (the search box got focus): from its snapshot, or
   * rebuilt in the background. Resolves once queries use it; never rejects.
   */
  warmSearch(): Promise<void> {
    return this.search.warm();
  }

  /** The full-text index (the bench and tests read its state and write its snapshot). */
  get fullText(): NotesSearch {
    return this.search;
  }

  /** Creates a note entry with a fresh random id and share secret and resolves with the id once stored. */
  async create(options: { title?: string; at?: number } = {}): Promise<string> {
    const entry = newEntry({ id: newNoteId(), secret: newShareSecret(), at: options.at ?? this.now(), title: options.title ?? null });
    this.cache.set(entry.id, summarize(entry));
    try {
      await this.write([{ id: entry.id, change: createEntry(entry), text: '' }]);
    } catch (error) {
      this.cache.delete(entry.id);
      throw error;
    }
    return entry.id;
  }

  /**
   * Lists new notes whose documents are stored already (an import), all in
   * one write: either every one of them is listed or, when the write fails
   * (it rejects with the storage error), none is.
   */
  async createMany(notes: ReadonlyArray<{ id: string; title: string | null; firstLine: string; text: string; at?: number }>): Promise<void> {
    const writes = notes.map((note) => {
      const entry = { ...newEntry({ id: note.id, secret: newShareSecret(), at: note.at ?? this.now(), title: note.title }), derivedTitle: deriveTitle(note.firstLine) };
      return { id: note.id, change: createEntry(entry), text: searchTextOf(note.text) };
    });
    await this.write(writes);
  }

  /** The entry for `id`, read from storage (trash included); undefined when unknown or purged. */
  async get(id: string): Promise<NoteSummary | undefined> {
    const record = await this.store.get(id);
    if (this.unstored.has(id)) return this.cache.get(id);
    if (record) this.cache.set(id, summarize(record));
    else this.cache.delete(id);
    return record && summarize(record);
  }

  /** The entry as this tab last read or wrote it; undefined when it never did (see {@link get}). */
  peek(id: string): NoteSummary | undefined {
    return this.cache.get(id);
  }

  /** The first `limit` notes, newest edit first, and how many match in all; trash left out unless asked for. */
  async list(options: ListOptions): Promise<ListPage> {
    const terms = searchTerms(options.query ?? '');
    const includeDeleted = options.includeDeleted ?? false;
    if (terms.length > 0) {
      const search = this.search;
      if (await search.usable()) {
        const hits = await search.query(options.query ?? '', includeDeleted);
        const shown = hits.slice(0, options.limit);
        const rows = await this.store.getMany(shown.map((hit) => hit.id));
        const notes: ListedNote[] = [];
        rows.forEach(({ entry, text }, i) => {
          if (entry) notes.push({ ...summarize(entry), snippet: snippetOf(text, shown[i]?.terms ?? [], 'word') });
        });
        return { notes, total: hits.length - (shown.length - notes.length) };
      }
      // The index is being built: scan the stored texts (every term as typed).
      const found = await this.store.search(terms, { includeDeleted });
      const shown = found.slice(0, options.limit);
      const rows = await this.store.getMany(shown.map((record) => record.id));
      const notes = shown.map((record, i) => ({
        ...summarize(record),
        snippet: snippetOf(rows[i]?.text ?? '', terms, 'within'),
      }));
      return { notes, total: found.length };
    }
    const [page, total] = await Promise.all([this.store.page({ limit: options.limit, includeDeleted }), this.store.count({ includeDeleted })]);
    return { notes: page.map(summarize), total };
  }

  /** Every entry, trash included, newest edit first (a backup). */
  async all(): Promise<NoteSummary[]> {
    return (await this.store.page({ limit: Infinity, includeDeleted: true })).map(summarize);
  }

  /** The note's search text as stored (folded: lower case, no accents); '' when there is none. */
  text(id: string): Promise<string> {
    return this.store.text(id);
  }

  /** Sets the explicit title, or clears it (null or blank) so the title is derived again. Never rejects: failures go to `onError`. */
  rename(id: string, title: string | null): Promise<void> {
    return this.background([{ id, change: renameEntry(title) }]);
  }

  /**
   * Gives the note a fresh share secret ("Revoke links") and resolves once it is stored, so
   * the note's next transport uses it. Rejects with the storage error (the old secret stays).
   */
  async rekey(id: string): Promise<string> {
    const secret = newShareSecret();
    const [result] = await this.write([{ id, change: rekeyedEntry(secret) }]);
    if (!result?.entry) throw new Error('This note is no longer in the list.');
    return secret;
  }

  /**
   * Refreshes what the list knows about a note's content: derived title,
   * search text and last edit (which only moves forward; `at` 0 keeps it).
   * Does nothing for an unknown or purged note. Never rejects.
   */
  updateFromContent(id: string, content: { firstLine: string; text: string; at?: number }): Promise<void> {
    return this.background([{ id, change: contentEntry(content.firstLine, content.at ?? this.now()), text: searchTextOf(content.text) }]);
  }

  /** Soft-deletes: the note leaves the list but keeps its data until {@link purge}; {@link restore} undoes it. Never rejects. */
  remove(id: string, at: number = this.now()): Promise<void> {
    return this.background([{ id, change: removeEntry(at) }]);
  }

  /** Undoes {@link remove}. Never rejects. */
  restore(id: string): Promise<void> {
    return this.background([{ id, change: restoreEntry }]);
  }

  /** Removes the entry and its search text for good (the note's document is deleted by its store). Never rejects. */
  purge(id: string): Promise<void> {
    return this.background([{ id, change: purgeEntry }]);
  }

  /**
   * Records a note opened from someone's share link (see `sharedEntry`).
   * Resolves true when a new entry was added. Rejects with a RangeError for a
   * malformed id or secret: the link parser must have rejected those already.
   */
  async addShared(id: string, secret: string, at: number = this.now()): Promise<boolean> {
    if (!isNoteId(id)) throw new RangeError('addShared: malformed note id');
    if (!isNoteCapability(secret)) throw new RangeError('addShared: malformed share secret');
    const existed = this.cache.has(id) || (await this.store.get(id)) !== undefined;
    const [result] = await this.write([{ id, change: sharedEntry(id, secret, at) }]);
    // The note is about to open here: its secret must be at hand (see peek).
    if (result?.entry && !this.unstored.has(id)) this.cache.set(id, summarize(result.entry));
    return !existed && result?.entry !== undefined;
  }

  /**
   * Merges a note's entry from a backup (see `importedEntry`), with its
   * search text, in one write. Resolves true when an entry was added.
   */
  async importEntry(id: string, entry: ImportedEntry, content: { firstLine: string; text: string }): Promise<boolean> {
    if (!isNoteId(id)) return false;
    let added = false;
    const merge = importedEntry(id, entry, content.firstLine);
    const change: EntryChange = (current) => {
      added = current === undefined;
      return merge(current);
    };
    await this.write([{ id, change, text: searchTextOf(content.text) }]);
    return added;
  }

  /** Calls `listener` after every change to the list, from this tab or another. Returns the disposer. */
  observe(listener: (change: IndexChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every write started so far has been stored (or its failure reported). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops hearing other tabs and lets go of the store (after pending writes). */
  async dispose(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.flush();
    this.listeners.clear();
    this.search.dispose();
    this.channel?.close();
    this.store.close();
  }

  /** A write whose failure is reported rather than thrown (callers fire and forget). */
  private async background(writes: EntryWrite[]): Promise<void> {
    try {
      await this.write(writes);
    } catch (error) {
      this.onError(asStorageError(error));
    }
  }

  /**
   * Applies the writes to the cached entries at once (listeners hear of it,
   * `stored: false`), then stores them; once stored, listeners and the other
   * tabs hear of what changed. A failure rereads the cached entries.
   */
  private write(writes: EntryWrite[]): Promise<WriteResult[]> {
    const ids = writes.map((w) => w.id);
    const optimistic: string[] = [];
    /** What the cache showed before, to show again should the write fail. */
    const before = new Map<string, NoteSummary>();
    for (const { id, change } of writes) {
      this.unstored.set(id, (this.unstored.get(id) ?? 0) + 1);
      const cached = this.cache.get(id);
      if (!cached) continue;
      const next = change(cached);
      if (next === undefined) continue;
      if (!before.has(id)) before.set(id, cached);
      if (next === null) this.cache.delete(id);
      else this.cache.set(id, summarize(next));
      optimistic.push(id);
    }
    if (optimistic.length > 0) this.emit({ ids: optimistic, stored: false });
    const settle = (results: WriteResult[] | null) => {
      ids.forEach((id, i) => {
        const left = (this.unstored.get(id) ?? 1) - 1;
        if (left > 0) {
          this.unstored.set(id, left);
          return;
        }
        this.unstored.delete(id);
        if (!results || !this.cache.has(id)) return;
        const entry = results[i]?.entry;
        if (entry) this.cache.set(id, summarize(entry));
        else this.cache.delete(id);
      });
    };
    const stored = this.store.update(writes).then(
      (results) => {
        settle(results);
        const changed = [...new Set(ids.filter((_, i) => results[i]?.changed))];
        if (changed.length > 0) {
          this.search.changed();
          this.emit({ ids: changed, stored: true });
          this.channel?.post(changed);
        }
        return results;
      },
      async (error: unknown) => {
        settle(null);
        // What the cache showed was never stored: show what was, then what storage holds (if it can be read).
        for (const [id, summary] of before) if (!this.unstored.has(id)) this.cache.set(id, summary);
        await Promise.all(optimistic.filter((id) => !this.unstored.has(id)).map((id) => this.get(id).catch(() => undefined)));
        if (optimistic.length > 0) this.emit({ ids: optimistic, stored: true });
        throw asStorageError(error);
      },
    );
    const tracked = stored.catch(() => undefined);
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return stored;
  }

  /** Another tab changed these entries: read the cached ones again, then tell the listeners. */
  private async heard(ids: readonly string[]): Promise<void> {
    this.search.changed();
    await Promise.all(ids.filter((id) => this.cache.has(id) && !this.unstored.has(id)).map((id) => this.get(id).catch(() => undefined)));
    this.emit({ ids, stored: true });
  }

  private emit(change: IndexChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
