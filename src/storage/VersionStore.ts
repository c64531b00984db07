/**
 * Restorable versions of notes, kept on this device only (never synced).
 *
 * A version is a full Yjs state of a note (`Y.encodeStateAsUpdate`) at one
 * moment, plus what the history list shows without loading it: when, why, a
 * short text preview, and the Yjs snapshot (state vector + delete set) that
 * tells whether the note changed since. Keeping whole states instead of
 * turning Yjs garbage collection off keeps every note doc small; the
 * retention policy (src/doc/versionPolicy.ts) bounds how many are kept.
 */

/** Why a version was recorded; shown in the history list. */
export type VersionReason =
  /** The note was opened and had changed since its last version. */
  | 'open'
  /** Taken every few minutes while the note is being edited. */
  | 'periodic'
  /** The note as it was just before the user restored another version. */
  | 'before-restore'
  /** The note as it was just before a peer's change removed a large share of its text. */
  | 'before-remote-removal';

/** Every reason, for validation and display. */
export const VERSION_REASONS: readonly VersionReason[] = ['open', 'periodic', 'before-restore', 'before-remote-removal'];

/**
 * A device whose changes are in a version: who made it. Only devices whose
 * presence proof verified (src/sync/PresenceIdentities.ts) and this browser's
 * own are recorded, so every author stored is a verified one.
 */
export interface VersionAuthor {
  /** The display name its verified presence carried (sanitize before showing). */
  readonly name: string;
  /** The short fingerprint of its device key. */
  readonly fingerprint: string;
  /** base64url of its raw Ed25519 public key. */
  readonly key: string;
}

/** Most authors one version records (a room holds at most a few tens of peers). */
export const MAX_VERSION_AUTHORS = 32;

/** The authors of a stored record, validated (another app version, or none before authorship existed: []). */
export const readVersionAuthors = (value: unknown): VersionAuthor[] => {
  if (!Array.isArray(value)) return [];
  const authors: VersionAuthor[] = [];
  for (const item of value.slice(0, MAX_VERSION_AUTHORS)) {
    if (typeof item !== 'object' || item === null) continue;
    const { name, fingerprint, key } = item as Record<string, unknown>;
    if (typeof name === 'string' && typeof fingerprint === 'string' && typeof key === 'string') authors.push({ name, fingerprint, key });
  }
  return authors;
};

/** A version to store. */
export interface NewVersion {
  readonly noteId: string;
  /** When the state was taken, ms since epoch. */
  readonly at: number;
  /** `Y.encodeStateAsUpdate(doc)` of the note at that moment. */
  readonly state: Uint8Array;
  /** `Y.encodeSnapshot(Y.snapshot(doc))`: identifies the content, so unchanged notes are not stored twice. */
  readonly snapshot: Uint8Array;
  /** Plain-text preview, already capped by the caller. */
  readonly preview: string;
  readonly reason: VersionReason;
  /**
   * True when nothing in this version came from this device since its previous
   * own version: every change was a peer's or another tab's (see
   * {@link VersionMeta.fromElsewhere}). Default false.
   */
  readonly fromElsewhere?: boolean;
  /** Who made the changes since the previous version (verified devices only). Default none. */
  readonly authors?: readonly VersionAuthor[];
}

/** What lists return: everything but the (possibly large) state. */
export interface VersionMeta {
  /** Store-assigned, increasing in save order (a tie-breaker for equal `at`). */
  readonly id: number;
  readonly noteId: string;
  readonly at: number;
  readonly snapshot: Uint8Array;
  readonly preview: string;
  readonly reason: VersionReason;
  /** Size of the stored state in bytes. */
  readonly size: number;
  /** Pinned by the user: never pruned. Records stored before pinning existed read as false. */
  readonly pinned: boolean;
  /**
   * Recorded when every change since the previous version holding this
   * device's edits came from elsewhere (peers, other tabs): such versions hold
   * no new text of the user's, and retention never lets them push out the
   * ones that do (src/doc/versionPolicy.ts). Older records read as false.
   */
  readonly fromElsewhere: boolean;
  /** Who made the changes since the previous version (see {@link VersionAuthor}). Older records read as none. */
  readonly authors: readonly VersionAuthor[];
}

/** Chooses, from a note's versions (newest first), the ids to delete. */
export type PruneRule = (newestFirst: readonly VersionMeta[]) => readonly number[];

/** Where versions live: IndexedDB in the browser, memory in tests. Every method rejects on storage failure. */
export interface VersionStore {
  /** Stores a version and returns its metadata. */
  save(version: NewVersion): Promise<VersionMeta>;
  /** A note's versions, newest first (by `at`, then by id), without their states. */
  list(noteId: string): Promise<VersionMeta[]>;
  /** The stored state of version `id`, or null when there is no such version. */
  load(id: number): Promise<Uint8Array | null>;
  /** Deletes every version of a note (the note was deleted for good). */
  deleteNote(noteId: string): Promise<void>;
  /**
   * Deletes the versions `rule` picks from the note's list, except pinned ones
   * (also when a version was pinned while the rule ran); returns how many were deleted.
   */
  prune(noteId: string, rule: PruneRule): Promise<number>;
  /** Pins or unpins version `id`; resolves with its updated metadata, or null when there is no such version. */
  setPinned(id: number, pinned: boolean): Promise<VersionMeta | null>;
}

/** Newest first: by time, then by save order. */
export function compareNewestFirst(a: VersionMeta, b: VersionMeta): number {
  return b.at - a.at || b.id - a.id;
}
