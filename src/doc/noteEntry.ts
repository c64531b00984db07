/**
 * A note's entry in the notes list, as plain data: what is stored per note
 * (whatever the storage), how each change to it is computed, and how the
 * list is ordered and searched. Every function here is pure, so the storage
 * adapters can run them inside one transaction (read, change, write) and the
 * app can apply the same change to what is on screen before it is stored.
 */
import { isNoteCapability, isShareSecret, newShareSecret } from './noteId';

/** Longest derived title kept (characters); the first line of a note can be a whole paragraph. */
export const MAX_DERIVED_TITLE_CHARS = 120;
/** Longest explicit title kept (characters). */
export const MAX_TITLE_CHARS = 200;
/**
 * Searchable text kept per note (characters, after collapsing whitespace):
 * the whole note. The bound only keeps a pathological note from costing the
 * index without limit; an imported file is at most 2 MB, a 1 MB paste 1M
 * characters. Stored apart from the list entries and read only by search.
 */
export const MAX_INDEXED_TEXT_CHARS = 4_000_000;
/** Title shown when a note has neither an explicit nor a derived title. */
export const UNTITLED = 'Untitled';

/** One stored list entry: everything the list and the note page show, without the search text. */
export interface IndexRecord {
  readonly id: string;
  /** The share secret (base64url); goes into the share link's fragment. */
  readonly secret: string;
  /** The title the user typed, or null when the title is derived from the content. */
  readonly explicitTitle: string | null;
  /** The note's first line ('' when empty). */
  readonly derivedTitle: string;
  readonly createdAt: number;
  /** Last edit (the list's sort key). */
  readonly updatedAt: number;
  /** Set while the note is soft-deleted (restorable), else null. */
  readonly deletedAt: number | null;
  /** True when the entry was added from someone else's share link. */
  readonly shared: boolean;
}

/** One note as the list and the note page see it. */
export interface NoteSummary extends IndexRecord {
  /** What to show: explicit title ?? derived title ?? {@link UNTITLED}. */
  readonly title: string;
}

/**
 * A change to one entry, run on the stored entry inside the writing
 * transaction: returns the new entry, `null` to delete it, or `undefined`
 * when nothing changes (nothing is written).
 */
export type EntryChange = (current: IndexRecord | undefined) => IndexRecord | null | undefined;

/**
 * Folds case, accents and compatibility forms (full-width letters, ligatures)
 * so that "cafe" finds "Café" and "ＡＢＣ" finds "abc".
 */
export function normalizeForSearch(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** The terms of a query: every one must occur (see {@link matchesSearch}). */
export function searchTerms(query: string): string[] {
  return normalizeForSearch(query)
    .split(/\s+/u)
    .filter((term) => term !== '');
}

/**
 * Whether every term occurs in the entry's titles or its search text (the
 * fallback scan, while the full-text index is not loaded). Terms are folded
 * (see {@link searchTerms}); the text is folded here (texts stored before
 * the full-text index were stored folded already: folding again is a no-op).
 * A term never holds whitespace, so it cannot span two of them.
 */
export function matchesSearch(record: IndexRecord, text: string, terms: readonly string[]): boolean {
  if (terms.length === 0) return true;
  const titles = normalizeForSearch(`${record.explicitTitle ?? ''}\n${record.derivedTitle}`);
  const folded = terms.some((term) => !titles.includes(term)) ? normalizeForSearch(text) : '';
  return terms.every((term) => titles.includes(term) || folded.includes(term));
}

/** Cuts `value` to at most `max` UTF-16 units without splitting a surrogate pair. */
export function cap(value: string, max: number): string {
  if (value.length <= max) return value;
  const cut = value.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

export function collapseWhitespace(value: string): string {
  return value.replace(/\s+/gu, ' ').trim();
}

/** A typed title: capped; blank means "no explicit title". Kept as typed otherwise (see {@link renameEntry}). */
export function normalizeExplicitTitle(title: string): string | null {
  return title.trim() === '' ? null : cap(title, MAX_TITLE_CHARS);
}

/** The first line as the list keeps it: whitespace collapsed, capped. */
export const deriveTitle = (firstLine: string): string => cap(collapseWhitespace(firstLine), MAX_DERIVED_TITLE_CHARS);

/** The search text as stored: whitespace collapsed, capped; not folded (the list shows a snippet of it). */
export const searchTextOf = (text: string): string => cap(collapseWhitespace(text), MAX_INDEXED_TEXT_CHARS);

/** What the list shows for an entry. */
export function summarize(record: IndexRecord): NoteSummary {
  return { ...record, title: record.explicitTitle?.trim() || record.derivedTitle || UNTITLED };
}

/** The list's order: last edit, newest first; then creation, newest first; then id, descending (as an IndexedDB cursor walks back). */
export function compareRecency(a: IndexRecord, b: IndexRecord): number {
  return b.updatedAt - a.updatedAt || b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

const asString = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const asNumber = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/**
 * Reads a stored entry defensively (another app version, a migration or a
 * backup may have written it); null when it has no usable id.
 */
export function toIndexRecord(value: unknown): IndexRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const id = asString(r.id);
  if (id === null || id === '') return null;
  const explicit = asString(r.explicitTitle);
  const createdAt = asNumber(r.createdAt) ?? 0;
  return {
    id,
    secret: asString(r.secret) ?? '',
    explicitTitle: explicit !== null && explicit.trim() !== '' ? explicit : null,
    derivedTitle: asString(r.derivedTitle) ?? '',
    createdAt,
    updatedAt: asNumber(r.updatedAt) ?? createdAt,
    deletedAt: asNumber(r.deletedAt),
    shared: r.shared === true,
  };
}

/** A new entry with nothing derived yet. */
export function newEntry(fields: { id: string; secret: string; at: number; title?: string | null; shared?: boolean }): IndexRecord {
  return {
    id: fields.id,
    secret: fields.secret,
    explicitTitle: fields.title == null ? null : normalizeExplicitTitle(fields.title),
    derivedTitle: '',
    createdAt: fields.at,
    updatedAt: fields.at,
    deletedAt: null,
    shared: fields.shared === true,
  };
}

const same = (a: IndexRecord, b: IndexRecord) =>
  a.secret === b.secret &&
  a.explicitTitle === b.explicitTitle &&
  a.derivedTitle === b.derivedTitle &&
  a.createdAt === b.createdAt &&
  a.updatedAt === b.updatedAt &&
  a.deletedAt === b.deletedAt &&
  a.shared === b.shared;

/** `next`, or undefined (no write) when it equals `current`. */
const changed = (current: IndexRecord, next: IndexRecord) => (same(current, next) ? undefined : next);

/** Creates the entry unless one exists (ids are random: an existing one is kept as it is). */
export const createEntry =
  (entry: IndexRecord): EntryChange =>
  (current) =>
    current ? undefined : entry;

/**
 * Sets the explicit title, or clears it with null (or a blank string) so the
 * title is derived from the first line again. The string is kept as typed
 * (the title field is a controlled input: trimming would eat the space being
 * typed between two words); only the displayed title is trimmed.
 */
export const renameEntry =
  (title: string | null): EntryChange =>
  (current) =>
    current && changed(current, { ...current, explicitTitle: title === null ? null : normalizeExplicitTitle(title) });

/**
 * Refreshes the derived title and the last-edit time (which only ever moves
 * forward). An unknown or purged note stays absent: a late refresh from a
 * closing editor must not bring a purged note back.
 */
export const contentEntry =
  (firstLine: string, at: number): EntryChange =>
  (current) =>
    current && changed(current, { ...current, derivedTitle: deriveTitle(firstLine), updatedAt: Math.max(current.updatedAt, at) });

/** Soft-deletes (kept until purged; {@link restoreEntry} undoes it). A second delete keeps the first time. */
export const removeEntry =
  (at: number): EntryChange =>
  (current) =>
    current && current.deletedAt === null ? { ...current, deletedAt: at } : undefined;

/** Undoes {@link removeEntry}. */
export const restoreEntry: EntryChange = (current) => (current && current.deletedAt !== null ? { ...current, deletedAt: null } : undefined);

/** Deletes the entry for good (and its search text). */
export const purgeEntry: EntryChange = (current) => (current ? null : undefined);

/**
 * A note opened from someone's share link: adds the entry when missing;
 * keeps an existing entry as it is (its secret included), only bringing it
 * back from the trash, since the user just asked to open it — except that an
 * edit link opened for a note held view-only here upgrades it (`secret` is
 * an edit secret, the entry held a view-only capability).
 */
export const sharedEntry =
  (id: string, secret: string, at: number): EntryChange =>
  (current) => {
    if (!current) return newEntry({ id, secret, at, shared: true });
    const restored = restoreEntry(current) ?? current;
    return isShareSecret(secret) && !isShareSecret(current.secret) ? { ...restored, secret } : restoreEntry(current);
  };

/** A new share secret for the note ("Revoke links"): the old links no longer name its room. */
export const rekeyedEntry =
  (secret: string): EntryChange =>
  (current) =>
    current ? { ...current, secret } : undefined;

/** An entry as a backup file keeps it. */
export interface ImportedEntry {
  secret: string;
  title: string | null;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  shared: boolean;
}

/**
 * Merges a note's entry from a backup, with `firstLine` from the note as
 * restored. A missing entry is added whole, as the backup had it (its trash
 * state included; a malformed secret is replaced by a fresh one). A listed
 * entry keeps this device's fields — a rename or deletion here is newer than
 * the backup — and only takes the content and a later last-edit time.
 */
export const importedEntry =
  (id: string, entry: ImportedEntry, firstLine: string): EntryChange =>
  (current) =>
    current
      ? contentEntry(firstLine, entry.updatedAt)(current)
      : {
          id,
          secret: isNoteCapability(entry.secret) ? entry.secret : newShareSecret(),
          explicitTitle: entry.title === null ? null : normalizeExplicitTitle(entry.title),
          derivedTitle: deriveTitle(firstLine),
          createdAt: entry.createdAt,
          updatedAt: entry.updatedAt,
          deletedAt: entry.deletedAt,
          shared: entry.shared,
        };
