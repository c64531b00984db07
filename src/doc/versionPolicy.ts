/**
 * When to record a version of a note and which versions to keep. Pure: the
 * recorder (src/app/versionRecorder.ts) does the I/O and asks these
 * functions.
 *
 * Versions are recorded
 * - when a note is opened, if it changed since its newest version;
 * - every {@link VERSION_INTERVAL_MS} while it is being edited, if it changed;
 * - just before the user restores another version;
 * - just before a change from elsewhere (a peer, another tab) removes a large
 *   share of the text ({@link isLargeRemoval}): vandal and accident protection.
 *
 * Retention keeps recent versions dense and thins older ones
 * ({@link RETENTION_TIERS}), and never more than {@link MAX_VERSIONS_PER_NOTE}.
 */
import type { VersionMeta } from '../storage/VersionStore';

/** How often a note being edited gets a version (only if it changed). */
export const VERSION_INTERVAL_MS = 5 * 60_000;
/** Most versions kept per note; the oldest go first. */
export const MAX_VERSIONS_PER_NOTE = 50;
/** Longest preview stored with a version (characters). */
export const MAX_PREVIEW_CHARS = 160;
/**
 * A change from elsewhere that removes at least this share of the note's
 * text (and at least {@link LARGE_REMOVAL_MIN_CHARS} characters) records the
 * note as it was before.
 */
export const LARGE_REMOVAL_SHARE = 0.5;
/** Removals smaller than this never count as large (a peer deleting a word from a short note). */
export const LARGE_REMOVAL_MIN_CHARS = 20;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Thinning by age: a version younger than `maxAge` keeps at most one version
 * per `spacing` window (0 = keep all). Windows are aligned to the epoch, so a
 * kept version stays kept while it stays in its tier.
 */
export const RETENTION_TIERS: ReadonlyArray<{ readonly maxAge: number; readonly spacing: number }> = [
  { maxAge: HOUR, spacing: 0 },
  { maxAge: DAY, spacing: 15 * MINUTE },
  { maxAge: 7 * DAY, spacing: 2 * HOUR },
  { maxAge: 30 * DAY, spacing: DAY },
  { maxAge: Number.POSITIVE_INFINITY, spacing: 7 * DAY },
];

/**
 * Ids of the versions to delete from `newestFirst` at time `now`: within
 * each tier the newest version of every spacing window is kept; then the
 * oldest beyond `max` go. The newest version is always kept.
 */
export function versionsToPrune(
  newestFirst: readonly VersionMeta[],
  now: number,
  max: number = MAX_VERSIONS_PER_NOTE,
): number[] {
  const kept: VersionMeta[] = [];
  const drop: number[] = [];
  const seenWindows = new Set<string>();
  newestFirst.forEach((version, i) => {
    const age = Math.max(0, now - version.at);
    const tierIndex = RETENTION_TIERS.findIndex((t) => age < t.maxAge);
    const tier = RETENTION_TIERS[tierIndex];
    if (i === 0 || !tier || tier.spacing === 0) {
      kept.push(version);
      return;
    }
    const window = `${tierIndex}:${Math.floor(version.at / tier.spacing)}`;
    if (seenWindows.has(window)) {
      drop.push(version.id);
    } else {
      seenWindows.add(window);
      kept.push(version);
    }
  });
  for (const version of kept.slice(Math.max(1, max))) drop.push(version.id);
  return drop;
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
