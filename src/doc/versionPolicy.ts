/**
 * When to record a version of a note and which versions to keep. Pure: the
 * recorder (src/app/versionRecorder.ts) does the I/O and asks these
 * functions.
 *
 * Versions are recorded
 * - when a note is opened, if it changed since its newest version;
 * - every {@link VERSION_INTERVAL_MS} while it is being edited, if it changed;
 * - just before the user restores another version;
 * - just before changes from elsewhere (a peer, another tab) remove a large
 *   share of the note's own text, at once or bit by bit
 *   (src/doc/removalGuard.ts, {@link isLargeRemoval}): vandal and accident protection.
 *
 * Retention ({@link versionsToPrune}) is built so that a peer cannot flush the
 * user's text out of history, however many versions its changes cause: the
 * versions that hold this device's edits (`fromElsewhere` false) are kept by
 * rules that versions caused by others can never crowd out, pinned versions are
 * never pruned, and the whole stays within {@link MAX_VERSIONS_PER_NOTE}
 * versions and {@link MAX_VERSION_BYTES_PER_NOTE} bytes.
 */

/** How often a note being edited gets a version (only if it changed). */
/** What retention reads of a stored version (the store's records have these fields and more). */
export interface RetainedVersion {
  /** Store-assigned, increasing in save order. */
  readonly id: number;
  readonly at: number;
  /** Size of the stored state in bytes. */
  readonly size: number;
  readonly pinned: boolean;
  /** Holds no new edits of this device's (see VersionMeta in src/storage/VersionStore.ts). */
  readonly fromElsewhere: boolean;
}

export const VERSION_INTERVAL_MS = 5 * 60_000;
/** Most versions kept per note (pinned ones included); the least protected, oldest first, go. */
export const MAX_VERSIONS_PER_NOTE = 100;
/**
 * Most bytes of stored states kept per note. Pruning drops the least protected
 * versions, oldest first, until the note fits; it never drops pinned versions,
 * the newest version or the newest own version, so a note whose few such
 * versions are larger than this keeps just those.
 */
export const MAX_VERSION_BYTES_PER_NOTE = 64 * 1024 * 1024;
/** Most pinned versions per note ({@link canPin}). */
export const MAX_PINNED_PER_NOTE = 20;
/** The newest this many own versions (holding this device's edits) are always kept. */
export const OWN_VERSIONS_KEPT = 10;
/** Hours back in which at least one version per hour is kept (an own one when the hour has one). */
export const HOURLY_KEPT_FOR = 24;
/** Days back in which at least one version per day is kept (an own one when the day has one). */
export const DAILY_KEPT_FOR = 30;
/** Longest preview stored with a version (characters). */
export const MAX_PREVIEW_CHARS = 160;
/**
 * Changes from elsewhere that remove at least this share of the note's own
 * text (and at least {@link LARGE_REMOVAL_MIN_CHARS} characters) record the
 * note as it was before.
 */
export const LARGE_REMOVAL_SHARE = 0.5;
/** Removals smaller than this never count as large (a peer deleting a word from a short note). */
export const LARGE_REMOVAL_MIN_CHARS = 20;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Thinning by age of the versions no rule protects: a version younger than
 * `maxAge` keeps at most one version per `spacing` window (0 = keep all).
 * Windows are aligned to the epoch, so a kept version stays kept while it
 * stays in its tier.
 */
export const RETENTION_TIERS: ReadonlyArray<{ readonly maxAge: number; readonly spacing: number }> = [
  { maxAge: HOUR, spacing: 0 },
  { maxAge: DAY, spacing: 15 * MINUTE },
  { maxAge: 7 * DAY, spacing: 2 * HOUR },
  { maxAge: 30 * DAY, spacing: DAY },
  { maxAge: Number.POSITIVE_INFINITY, spacing: 7 * DAY },
];

/**
 * How hard a version is held, lowest first: the bounds drop the lowest rank
 * first, oldest first within a rank.
 */
export const Rank = {
  /** No rule protects it; thinned by {@link RETENTION_TIERS}. */
  Ordinary: 0,
  /** The newest version of an hour (last day) or day (last month) that has no own version. */
  Window: 1,
  /** An own version: one of the newest {@link OWN_VERSIONS_KEPT}, or the newest own one of its hour or day. */
  Own: 2,
  /** Pinned, the newest version, or the newest own version: never pruned. */
  Kept: 3,
} as const;
export type Rank = (typeof Rank)[keyof typeof Rank];

export interface RetentionLimits {
  readonly maxVersions: number;
  readonly maxBytes: number;
}

const DEFAULT_LIMITS: RetentionLimits = { maxVersions: MAX_VERSIONS_PER_NOTE, maxBytes: MAX_VERSION_BYTES_PER_NOTE };

/**
 * How hard each version of `newestFirst` is held at time `now` (see {@link Rank}).
 *
 * Why churn cannot flush the user's text: versions caused by others
 * (`fromElsewhere`) are never {@link Rank.Own} or above, except as the newest
 * version; the own ones ({@link OWN_VERSIONS_KEPT} newest + at most
 * {@link HOURLY_KEPT_FOR} + {@link DAILY_KEPT_FOR} window picks), the window
 * picks and the pinned ones together are fewer than {@link MAX_VERSIONS_PER_NOTE},
 * so the count bound only ever drops {@link Rank.Ordinary} versions.
 */
export function retentionRanks(newestFirst: readonly RetainedVersion[], now: number): Map<number, Rank> {
  const ranks = new Map<number, Rank>();
  const raise = (version: RetainedVersion | undefined, rank: Rank) => {
    if (version && (ranks.get(version.id) ?? Rank.Ordinary) < rank) ranks.set(version.id, rank);
  };
  for (const version of newestFirst) ranks.set(version.id, version.pinned ? Rank.Kept : Rank.Ordinary);
  raise(newestFirst[0], Rank.Kept);
  const own = newestFirst.filter((v) => !v.fromElsewhere);
  raise(own[0], Rank.Kept);
  for (const version of own.slice(0, OWN_VERSIONS_KEPT)) raise(version, Rank.Own);
  // One per hour of the last day and one per day of the last month: the newest
  // own version of the window, else (a window only others changed) its newest.
  const windows: Array<{ span: number; count: number }> = [
    { span: HOUR, count: HOURLY_KEPT_FOR },
    { span: DAY, count: DAILY_KEPT_FOR },
  ];
  for (const { span, count } of windows) {
    const first = Math.floor(now / span) - count + 1;
    const picks = new Map<number, RetainedVersion>();
    const ownPicks = new Map<number, RetainedVersion>();
    for (const version of newestFirst) {
      const window = Math.floor(version.at / span);
      // Newest first: everything after this one is older still.
      if (window < first) break;
      if (window > Math.floor(now / span)) continue;
      if (!picks.has(window)) picks.set(window, version);
      if (!version.fromElsewhere && !ownPicks.has(window)) ownPicks.set(window, version);
    }
    for (const [window, version] of picks) {
      const ownPick = ownPicks.get(window);
      if (ownPick) raise(ownPick, Rank.Own);
      else raise(version, Rank.Window);
    }
  }
  return ranks;
}

/**
 * Ids of the versions to delete from `newestFirst` at time `now`.
 *
 * 1. Unprotected versions ({@link Rank.Ordinary}) are thinned by age
 *    ({@link RETENTION_TIERS}): within each tier the newest of every spacing
 *    window stays.
 * 2. While more than `maxVersions` versions or `maxBytes` bytes remain, the
 *    lowest-ranked go, oldest first; {@link Rank.Kept} versions never go.
 */
export function versionsToPrune(
  newestFirst: readonly RetainedVersion[],
  now: number,
  limits: RetentionLimits = DEFAULT_LIMITS,
): number[] {
  const ranks = retentionRanks(newestFirst, now);
  const rankOf = (version: RetainedVersion): Rank => ranks.get(version.id) ?? Rank.Ordinary;
  const kept: RetainedVersion[] = [];
  const drop: number[] = [];
  const seenWindows = new Set<number>();
  for (const version of newestFirst) {
    const age = Math.max(0, now - version.at);
    const tierIndex = RETENTION_TIERS.findIndex((t) => age < t.maxAge);
    const tier = RETENTION_TIERS[tierIndex];
    if (!tier || tier.spacing === 0) {
      kept.push(version);
      continue;
    }
    // One number per (tier, window): windows are far below 2^53 / tiers.
    const window = Math.floor(version.at / tier.spacing) * RETENTION_TIERS.length + tierIndex;
    // A protected version keeps its window's place, so no unprotected one is kept beside it.
    if (seenWindows.has(window) && rankOf(version) === Rank.Ordinary) {
      drop.push(version.id);
    } else {
      seenWindows.add(window);
      kept.push(version);
    }
  }
  let count = kept.length;
  let bytes = kept.reduce((sum, v) => sum + v.size, 0);
  // Lowest rank first, oldest first within a rank (kept is newest first).
  const order = kept
    .map((version, index) => ({ version, index, rank: rankOf(version) }))
    .filter((c) => c.rank !== Rank.Kept)
    .sort((a, b) => a.rank - b.rank || b.index - a.index);
  for (const { version } of order) {
    if (count <= limits.maxVersions && bytes <= limits.maxBytes) break;
    drop.push(version.id);
    count--;
    bytes -= version.size;
  }
  return drop;
}

/** Whether one more version of a note can be pinned, given its versions. */
export function canPin(versions: readonly RetainedVersion[]): boolean {
  return versions.filter((v) => v.pinned).length < MAX_PINNED_PER_NOTE;
}

/** True when removing `removedChars` of a text that had `beforeChars` counts as a large removal. */
export function isLargeRemoval(removedChars: number, beforeChars: number): boolean {
  if (removedChars < LARGE_REMOVAL_MIN_CHARS || beforeChars <= 0) return false;
  return removedChars / beforeChars >= LARGE_REMOVAL_SHARE;
}

/** A one-line preview: whitespace collapsed, capped at {@link MAX_PREVIEW_CHARS} without splitting a surrogate pair. */
export function versionPreview(text: string): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  if (line.length <= MAX_PREVIEW_CHARS) return line;
  let cut = line.slice(0, MAX_PREVIEW_CHARS - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * Whether a scheduled or on-open version is worth storing: only when the
 * content differs from the newest version, and never an empty first version
 * (there is nothing to get back from an empty note).
 */
export function shouldRecord(input: { changed: boolean; hasVersions: boolean; text: string }): boolean {
  if (!input.changed) return false;
  return input.hasVersions || input.text.trim() !== '';
}
