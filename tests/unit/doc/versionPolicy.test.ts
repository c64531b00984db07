import { describe, expect, it } from 'vitest';
import {
  LARGE_REMOVAL_MIN_CHARS,
  MAX_PREVIEW_CHARS,
  MAX_VERSIONS_PER_NOTE,
  isLargeRemoval,
  shouldRecord,
  versionPreview,
  versionsToPrune,
} from '../../../src/doc/versionPolicy';
import type { VersionMeta } from '../../../src/storage/VersionStore';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = 1_000 * DAY;

/**
 * Versions at the given ages (ms before NOW), newest first, ids in save order; all caused by
 * others (`fromElsewhere`), so no own-version rule protects them and thinning shows plainly.
 */
function versionsAt(ages: number[]): VersionMeta[] {
  return [...ages]
    .sort((a, b) => a - b)
    .map((age, i, all) => ({
      id: all.length - i,
      noteId: 'n',
      at: NOW - age,
      snapshot: new Uint8Array(),
      preview: '',
      reason: 'periodic' as const,
      size: 1,
      pinned: false,
      fromElsewhere: true,
      authors: [],
    }));
}

describe('versionsToPrune', () => {
  it('keeps every version of the last hour', () => {
    const list = versionsAt(Array.from({ length: 12 }, (_, i) => i * 5 * MIN));
    expect(versionsToPrune(list, NOW)).toEqual([]);
  });

  it('thins older versions: at most one per 15 minutes within a day, one per day within a month', () => {
    // Every 5 minutes from 2 h to 3 h ago: 13 versions in ~5 quarter-hour windows.
    const hours = versionsAt(Array.from({ length: 13 }, (_, i) => 2 * HOUR + i * 5 * MIN));
    const keptHours = hours.length - versionsToPrune(hours, NOW).length;
    expect(keptHours).toBeGreaterThanOrEqual(4);
    expect(keptHours).toBeLessThanOrEqual(6);
    // Every hour from 10 to 12 days ago: at most one per day (3 days touched).
    const days = versionsAt(Array.from({ length: 49 }, (_, i) => 10 * DAY + i * HOUR));
    expect(days.length - versionsToPrune(days, NOW).length).toBeLessThanOrEqual(4);
  });

  it('never keeps more than the maximum and always keeps the newest', () => {
    const list = versionsAt(Array.from({ length: 150 }, (_, i) => i * 20_000));
    const drop = new Set(versionsToPrune(list, NOW));
    expect(list.length - drop.size).toBe(MAX_VERSIONS_PER_NOTE);
    expect(drop.has(list[0]!.id)).toBe(false);
    // The oldest go first.
    expect(drop.has(list[list.length - 1]!.id)).toBe(true);
    expect(versionsToPrune(versionsAt([DAY * 400]), NOW)).toEqual([]);
  });

  it('is stable: pruning what it kept again drops nothing', () => {
    const list = versionsAt(Array.from({ length: 200 }, (_, i) => i * 37 * MIN));
    const drop = new Set(versionsToPrune(list, NOW));
    const kept = list.filter((v) => !drop.has(v.id));
    expect(versionsToPrune(kept, NOW)).toEqual([]);
  });
});

describe('isLargeRemoval', () => {
  it.each([
    [LARGE_REMOVAL_MIN_CHARS - 1, LARGE_REMOVAL_MIN_CHARS - 1, false], // all of a very short note
    [LARGE_REMOVAL_MIN_CHARS, LARGE_REMOVAL_MIN_CHARS, true],
    [50, 100, true],
    [49, 100, false],
    [1000, 1000, true],
    [30, 0, false],
  ])('removing %i of %i chars → %s', (removed, before, expected) => {
    expect(isLargeRemoval(removed, before)).toBe(expected);
  });
});

describe('versionPreview / shouldRecord', () => {
  it('collapses whitespace and caps without splitting a surrogate pair', () => {
    expect(versionPreview('  a\n\n b\tc ')).toBe('a b c');
    const long = versionPreview('x'.repeat(MAX_PREVIEW_CHARS - 2) + '😀😀😀');
    expect(long.length).toBeLessThanOrEqual(MAX_PREVIEW_CHARS);
    expect(long.endsWith('…')).toBe(true);
    expect(/[\ud800-\udbff]…$/.test(long)).toBe(false);
  });

  it('caps at exactly the maximum, and drops only a high surrogate left alone at the cut', () => {
    const cut = MAX_PREVIEW_CHARS - 1;
    expect(versionPreview('a'.repeat(MAX_PREVIEW_CHARS))).toBe('a'.repeat(MAX_PREVIEW_CHARS));
    expect(versionPreview('x'.repeat(200))).toBe(`${'x'.repeat(cut)}…`);
    // Characters above the surrogates stay, as ordinary ones do.
    expect(versionPreview('\uff58'.repeat(200))).toBe(`${'\uff58'.repeat(cut)}…`);
    // A pair split by the cut: its high half (the lowest and the highest there are) goes.
    for (const pair of ['\ud800\udc00', '\udbff\udfff']) {
      expect(versionPreview(`${'x'.repeat(cut - 1)}${pair}${'y'.repeat(10)}`)).toBe(`${'x'.repeat(cut - 1)}…`);
    }
  });

  it('records only changes, and no empty first version', () => {
    expect(shouldRecord({ changed: false, hasVersions: true, text: 'x' })).toBe(false);
    expect(shouldRecord({ changed: true, hasVersions: false, text: '  ' })).toBe(false);
    expect(shouldRecord({ changed: true, hasVersions: false, text: 'x' })).toBe(true);
    expect(shouldRecord({ changed: true, hasVersions: true, text: '' })).toBe(true);
  });
});
