/**
 * The notes list as it was stored before issue 21 (and as version 1 backup
 * files still carry it): a Y.Doc of its own. The app now keeps the list in a
 * NotesIndexStore (read by page); this class remains to read version 1
 * backups and to migrate an existing device's list (src/app/migrateLegacyIndex.ts),
 * and to write that layout in tests. Originally: a Y.Doc of its own (persisted like any
 * note, under a fixed storage name), so it works offline, survives reloads and
 * merges when two tabs change it at the same time.
 *
 * Schema (top-level `Y.Map` named {@link NOTES_MAP_NAME}, one nested `Y.Map`
 * per note keyed by note id). Each field is its own last-writer-wins register,
 * so concurrent edits of different fields (a rename in one tab, typing in
 * another) both survive; entries are only ever created whole, in one
 * transaction, so no tab sees half an entry.
 *
 * | field          | type    | meaning                                                  |
 * |----------------|---------|----------------------------------------------------------|
 * | `id`           | string  | the note id (also the key)                               |
 * | `secret`       | string  | the share secret, made at creation                       |
 * | `title`        | string  | explicit title; absent = derive from the first line      |
 * | `derivedTitle` | string  | the note's first line, trimmed and capped                |
 * | `text`         | string  | searchable text, capped at {@link LEGACY_INDEXED_TEXT_CHARS} |
 * | `createdAt`    | number  | ms since epoch                                           |
 * | `updatedAt`    | number  | last edit, ms since epoch (the list's sort key)          |
 * | `deletedAt`    | number  | present while the note is in the trash (undo window)     |
 * | `shared`       | boolean | true when the entry came from someone's share link       |
 */
import * as Y from 'yjs';
import {
  MAX_DERIVED_TITLE_CHARS,
  UNTITLED,
  cap,
  collapseWhitespace,
  normalizeExplicitTitle,
  normalizeForSearch,
  type NoteSummary,
  type ImportedEntry,
} from './noteEntry';
import { isNoteId, isShareSecret, newNoteId, newShareSecret } from './noteId';
import { ORIGIN_INDEX } from './origins';

/** Name of the top-level map in the index doc. Persisted: never rename. */
export const NOTES_MAP_NAME = 'notes';

export interface ListOptions {
  /** Filters by title and text: every whitespace-separated term must occur (case-, accent- and width-insensitive). */
  query?: string;
  /** Also list soft-deleted notes. Default false. */
  includeDeleted?: boolean;
}

export interface NotesIndexOptions {
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

type Entry = Y.Map<unknown>;

const asString = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const asNumber = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/**
 * The notes index over a Y.Doc. Holds no state of its own besides a search
 * cache; every read goes to the doc, so changes merged from another tab show
 * up at once. All writes are transactions with origin {@link ORIGIN_INDEX}.
 */
/** Searchable text this list kept per note (characters, whitespace collapsed): the first 4,000. */
export const LEGACY_INDEXED_TEXT_CHARS = 4000;

export class LegacyNotesIndex {
  private readonly notes: Y.Map<Entry>;
  private readonly now: () => number;
  /** Normalized search text per note, recomputed only when title or text changed. */
  private readonly searchCache = new Map<string, { source: string; normalized: string }>();

  constructor(
    readonly doc: Y.Doc,
    options: NotesIndexOptions = {},
  ) {
    this.notes = doc.getMap<Entry>(NOTES_MAP_NAME);
    this.now = options.now ?? Date.now;
  }

  /**
   * Creates a note entry with a fresh random id and share secret and returns the id.
   * `title` sets an explicit title; `at` overrides the clock.
   */
  create(options: { title?: string; at?: number } = {}): string {
    const id = newNoteId();
    const at = options.at ?? this.now();
    const entry = new Y.Map<unknown>();
    entry.set('id', id);
    entry.set('secret', newShareSecret());
    entry.set('derivedTitle', '');
    entry.set('text', '');
    entry.set('createdAt', at);
    entry.set('updatedAt', at);
    const title = options.title === undefined ? null : normalizeExplicitTitle(options.title);
    if (title !== null) entry.set('title', title);
    this.transact(() => this.notes.set(id, entry));
    return id;
  }

  /** The entry for `id`, soft-deleted ones included; undefined when unknown or purged. */
  get(id: string): NoteSummary | undefined {
    const entry = this.notes.get(id);
    return entry instanceof Y.Map ? summarize(id, entry) : undefined;
  }

  /** Notes sorted by last edit, newest first; soft-deleted ones left out unless asked for. */
  list(options: ListOptions = {}): NoteSummary[] {
    const terms = normalizeForSearch(options.query ?? '')
      .split(/\s+/u)
      .filter((term) => term !== '');
    const result: NoteSummary[] = [];
    for (const [id, entry] of this.notes.entries()) {
      if (!(entry instanceof Y.Map)) continue;
      const summary = summarize(id, entry);
      if (summary.deletedAt !== null && !options.includeDeleted) continue;
      if (terms.length > 0) {
        const haystack = this.searchText(id, summary, entry);
        if (!terms.every((term) => haystack.includes(term))) continue;
      }
      result.push(summary);
    }
    return result.sort(
      (a, b) => b.updatedAt - a.updatedAt || b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  }

  /**
   * Sets the explicit title, or clears it with null (or a blank string) so the
   * title is derived from the first line again. The string is kept as typed
   * (the title field is a controlled input: trimming would eat the space being
   * typed between two words); only the displayed title is trimmed.
   */
  rename(id: string, title: string | null): void {
    const entry = this.entry(id);
    if (!entry) return;
    const value = title === null ? null : normalizeExplicitTitle(title);
    this.transact(() => {
      if (value === null) {
        if (entry.has('title')) entry.delete('title');
      } else if (entry.get('title') !== value) {
        entry.set('title', value);
      }
    });
  }

  /**
   * Refreshes what the list knows about a note's content: the derived title
   * (first line, whitespace collapsed, capped at {@link MAX_DERIVED_TITLE_CHARS}),
   * the searchable text (capped at {@link LEGACY_INDEXED_TEXT_CHARS}) and the last
   * edit time (only ever moves forward). Unchanged fields are not rewritten, so
   * calling it often costs little. Does nothing for an unknown or purged note:
   * a late flush from a closing editor must not bring a purged note back.
   */
  updateFromContent(id: string, content: { firstLine: string; text: string; at?: number }): void {
    const entry = this.entry(id);
    if (!entry) return;
    const derivedTitle = cap(collapseWhitespace(content.firstLine), MAX_DERIVED_TITLE_CHARS);
    const text = cap(collapseWhitespace(content.text), LEGACY_INDEXED_TEXT_CHARS);
    const at = content.at ?? this.now();
    this.transact(() => {
      if (entry.get('derivedTitle') !== derivedTitle) entry.set('derivedTitle', derivedTitle);
      if (entry.get('text') !== text) entry.set('text', text);
      const updatedAt = asNumber(entry.get('updatedAt')) ?? 0;
      if (at > updatedAt) entry.set('updatedAt', at);
    });
  }

  /** Soft-deletes: the note leaves the list but keeps its data until {@link purge}; {@link restore} undoes it. */
  remove(id: string, at: number = this.now()): void {
    const entry = this.entry(id);
    if (!entry || entry.has('deletedAt')) return;
    this.transact(() => entry.set('deletedAt', at));
  }

  /** Undoes {@link remove}. */
  restore(id: string): void {
    const entry = this.entry(id);
    if (!entry || !entry.has('deletedAt')) return;
    this.transact(() => entry.delete('deletedAt'));
  }

  /** Removes the entry for good (the note's own document is deleted separately, by its store). */
  purge(id: string): void {
    if (!this.notes.has(id)) return;
    this.searchCache.delete(id);
    this.transact(() => this.notes.delete(id));
  }

  /**
   * Records a note opened from someone's share link. Adds the entry when
   * missing; keeps an existing entry as it is (its secret included), only
   * bringing it back from the trash, since the user just asked to open it.
   * Returns true when a new entry was added. Throws a RangeError for a
   * malformed id or secret: the link parser must have rejected those already.
   */
  addShared(id: string, secret: string, at: number = this.now()): boolean {
    if (!isNoteId(id)) throw new RangeError('addShared: malformed note id');
    if (!isShareSecret(secret)) throw new RangeError('addShared: malformed share secret');
    const existing = this.entry(id);
    if (existing) {
      this.restore(id);
      return false;
    }
    const entry = new Y.Map<unknown>();
    entry.set('id', id);
    entry.set('secret', secret);
    entry.set('derivedTitle', '');
    entry.set('text', '');
    entry.set('createdAt', at);
    entry.set('updatedAt', at);
    entry.set('shared', true);
    this.transact(() => this.notes.set(id, entry));
    return true;
  }

  /**
   * Adds back an entry that is not in the index (e.g. purged here, and now
   * restored from a backup), with the summary's fields and out of the trash.
   * Does nothing when the id is already listed or malformed. Returns true
   * when an entry was added.
   */
  reinstate(summary: NoteSummary): boolean {
    if (this.notes.has(summary.id) || !isNoteId(summary.id) || !isShareSecret(summary.secret)) return false;
    const entry = new Y.Map<unknown>();
    entry.set('id', summary.id);
    entry.set('secret', summary.secret);
    entry.set('derivedTitle', cap(summary.derivedTitle, MAX_DERIVED_TITLE_CHARS));
    entry.set('text', '');
    entry.set('createdAt', summary.createdAt);
    entry.set('updatedAt', summary.updatedAt);
    const title = summary.explicitTitle === null ? null : normalizeExplicitTitle(summary.explicitTitle);
    if (title !== null) entry.set('title', title);
    if (summary.shared) entry.set('shared', true);
    this.transact(() => this.notes.set(summary.id, entry));
    return true;
  }

  /**
   * Runs `fn`'s writes to the index as one transaction: observers (the list
   * on screen, the other tabs, storage) hear of them once. For bulk changes,
   * such as a restore of thousands of notes.
   */
  batch(fn: () => void): void {
    this.transact(fn);
  }

  /**
   * Merges a note's entry from a backup, with `content` derived from the note
   * as restored. A missing entry is added whole, as the backup had it (its
   * trash state included; a malformed secret is replaced by a fresh one).
   * A listed entry keeps this device's fields — a rename or deletion here is
   * newer than the backup — and only takes the content and a later last-edit
   * time. Changes nothing when nothing differs, so a second import of the
   * same file writes nothing. Returns true when an entry was added.
   */
  importEntry(
    id: string,
    entry: ImportedEntry,
    content: { firstLine: string; text: string },
  ): boolean {
    if (!isNoteId(id)) return false;
    if (this.notes.has(id)) {
      this.updateFromContent(id, { ...content, at: entry.updatedAt });
      return false;
    }
    const added = new Y.Map<unknown>();
    added.set('id', id);
    added.set('secret', isShareSecret(entry.secret) ? entry.secret : newShareSecret());
    added.set('derivedTitle', cap(collapseWhitespace(content.firstLine), MAX_DERIVED_TITLE_CHARS));
    added.set('text', cap(collapseWhitespace(content.text), LEGACY_INDEXED_TEXT_CHARS));
    added.set('createdAt', entry.createdAt);
    added.set('updatedAt', entry.updatedAt);
    const title = entry.title === null ? null : normalizeExplicitTitle(entry.title);
    if (title !== null) added.set('title', title);
    if (entry.deletedAt !== null) added.set('deletedAt', entry.deletedAt);
    if (entry.shared) added.set('shared', true);
    this.transact(() => this.notes.set(id, added));
    return true;
  }

  /**
   * Calls `listener` after every change to the index, whatever its origin
   * (this tab, storage, another tab), with that transaction's origin.
   * Returns the disposer.
   */
  observe(listener: (origin: unknown) => void): () => void {
    const handler = (_events: Array<Y.YEvent<Y.AbstractType<unknown>>>, transaction: Y.Transaction) =>
      listener(transaction.origin);
    this.notes.observeDeep(handler);
    return () => this.notes.unobserveDeep(handler);
  }

  /** The note's searchable text as stored in the index ('' when there is none). */
  text(id: string): string {
    const text = this.entry(id)?.get('text');
    return typeof text === 'string' ? text : '';
  }

  private entry(id: string): Entry | undefined {
    const entry = this.notes.get(id);
    return entry instanceof Y.Map ? entry : undefined;
  }

  private transact(fn: () => void): void {
    this.doc.transact(fn, ORIGIN_INDEX);
  }

  private searchText(id: string, summary: NoteSummary, entry: Entry): string {
    const source = `${summary.title}\n${summary.derivedTitle}\n${asString(entry.get('text')) ?? ''}`;
    const cached = this.searchCache.get(id);
    if (cached && cached.source === source) return cached.normalized;
    const normalized = normalizeForSearch(source);
    this.searchCache.set(id, { source, normalized });
    return normalized;
  }
}

function summarize(id: string, entry: Entry): NoteSummary {
  // Read defensively: the index may hold entries written by another app
  // version or merged in from a backup.
  const explicit = asString(entry.get('title'));
  const explicitTitle = explicit !== null && explicit.trim() !== '' ? explicit : null;
  const derivedTitle = asString(entry.get('derivedTitle')) ?? '';
  const createdAt = asNumber(entry.get('createdAt')) ?? 0;
  return {
    id,
    title: explicitTitle?.trim() || derivedTitle || UNTITLED,
    explicitTitle,
    derivedTitle,
    secret: asString(entry.get('secret')) ?? '',
    createdAt,
    updatedAt: asNumber(entry.get('updatedAt')) ?? createdAt,
    deletedAt: asNumber(entry.get('deletedAt')),
    shared: entry.get('shared') === true,
  };
}
