/**
 * Retention that churn cannot flush (issue 14, item 5): versions holding this device's edits,
 * pinned versions and one version per hour / per day survive any number of versions caused by
 * others, within the count and byte bounds. The property test replays the recorder's loop
 * (save, then prune at the save's time) over 1,000 random sequences with a seeded PRNG.
 */
import { describe, expect, it } from 'vitest';
import {
  DAILY_KEPT_FOR,
  HOURLY_KEPT_FOR,
  MAX_PINNED_PER_NOTE,
  MAX_VERSIONS_PER_NOTE,
  MAX_VERSION_BYTES_PER_NOTE,
  OWN_VERSIONS_KEPT,
  Rank,
  canPin,
  retentionRanks,
  versionsToPrune,
  type RetentionLimits,
} from '../../../src/doc/versionPolicy';
import { compareNewestFirst, type VersionMeta } from '../../../src/storage/VersionStore';
import { mulberry32, seedFor } from '../../prng';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Midnight, so hour and day windows start at round ages. */
const NOW = 20_000 * DAY;

let nextId = 1;
function v(at: number, fields: Partial<VersionMeta> = {}): VersionMeta {
  return {
    id: nextId++,
    noteId: 'n',
    at,
    snapshot: new Uint8Array(),
    preview: '',
    reason: 'periodic',
    size: 1,
    pinned: false,
    fromElsewhere: false,
    authors: [],
    ...fields,
  };
}
const newestFirst = (list: VersionMeta[]) => [...list].sort(compareNewestFirst);
const keptAfterPrune = (list: VersionMeta[], now: number, limits?: RetentionLimits) => {
  const drop = new Set(versionsToPrune(newestFirst(list), now, limits));
  return list.filter((x) => !drop.has(x.id));
};
const idsOf = (list: VersionMeta[]) => list.map((x) => x.id).sort((a, b) => a - b);
/** `count` versions by others, one every `step` ms, the newest at `newest`. */
const churn = (count: number, newest: number, step: number, fields: Partial<VersionMeta> = {}) =>
  Array.from({ length: count }, (_, i) => v(newest - i * step, { fromElsewhere: true, reason: 'before-remote-removal', ...fields }));

describe('retention against churn', () => {
  it('the protected versions always fit in the count bound, so the count bound only drops unprotected ones', () => {
    // Pinned, the newest, the newest own ones, one per hour and one per day.
    expect(MAX_PINNED_PER_NOTE + 1 + OWN_VERSIONS_KEPT + HOURLY_KEPT_FOR + DAILY_KEPT_FOR).toBeLessThanOrEqual(MAX_VERSIONS_PER_NOTE);
  });

  it('1,000 versions caused by a peer in one hour do not push out the user’s own versions', () => {
    const own = Array.from({ length: 12 }, (_, i) => v(NOW - 2 * HOUR - i * 10 * MIN));
    const peer = churn(1000, NOW, 3_000);
    const kept = keptAfterPrune([...own, ...peer], NOW);
    expect(kept).toHaveLength(MAX_VERSIONS_PER_NOTE);
    // The newest OWN_VERSIONS_KEPT own ones stay; the two oldest own ones were not protected by a
    // rule of their own but share hour windows with protected ones, so the count took them.
    expect(idsOf(kept.filter((x) => !x.fromElsewhere))).toEqual(idsOf(own.slice(0, OWN_VERSIONS_KEPT)));
    // Of the churn, the newest versions stay (the newest of all always).
    expect(kept.some((x) => x.id === peer[0]!.id)).toBe(true);
    expect(kept.some((x) => x.id === peer[peer.length - 1]!.id)).toBe(false);
  });

  it('the last version before the churn (the newest own one) stays, even as the oldest and with no room left', () => {
    const beforeChurn = v(NOW - 29 * DAY, { reason: 'open' });
    const peer = churn(500, NOW, 90 * MIN);
    const tight = { maxVersions: 1, maxBytes: 1 };
    const kept = keptAfterPrune([beforeChurn, ...peer], NOW, tight);
    expect(kept.map((x) => x.id)).toContain(beforeChurn.id);
    expect(kept.map((x) => x.id)).toContain(peer[0]!.id);
    expect(kept).toHaveLength(2);
  });

  it('keeps one version per hour of the last day and per day of the last month, an own one where the window has one', () => {
    const own: VersionMeta[] = [];
    const others: VersionMeta[] = [];
    for (let h = 1; h < HOURLY_KEPT_FOR; h++) {
      own.push(v(NOW - h * HOUR + 5 * MIN));
      // Others' versions later in the same hour: newer, but not the hour's pick.
      others.push(...churn(5, NOW - h * HOUR + 55 * MIN, 5 * MIN));
    }
    // Yesterday is covered by the hours above; days 2–20 have own versions.
    for (let d = 2; d <= 20; d++) own.push(v(NOW - d * DAY + HOUR));
    // Days 21–29 only have versions by others: the newest of each is kept as that day's version.
    const othersOnlyDays: VersionMeta[] = [];
    for (let d = 21; d < DAILY_KEPT_FOR; d++) {
      othersOnlyDays.push(v(NOW - d * DAY + 3 * HOUR, { fromElsewhere: true }));
      others.push(v(NOW - d * DAY + 2 * HOUR, { fromElsewhere: true }));
    }
    const flood = churn(400, NOW, 5_000);
    const kept = new Set(keptAfterPrune([...own, ...others, ...othersOnlyDays, ...flood], NOW).map((x) => x.id));
    for (const x of own) expect(kept.has(x.id), `own version ${(NOW - x.at) / HOUR} h old`).toBe(true);
    for (const x of othersOnlyDays) expect(kept.has(x.id), `newest version of a day ${(NOW - x.at) / DAY} d ago`).toBe(true);
    expect(kept.size).toBe(MAX_VERSIONS_PER_NOTE);
    // The others' versions of the same hours and days made room for the flood.
    expect(others.filter((x) => kept.has(x.id)).length).toBeLessThan(others.length);
  });

  it('ranks: pinned, newest and newest own are kept; own ones and window picks are protected; the rest ordinary', () => {
    const old = v(NOW - 200 * DAY, { pinned: true, fromElsewhere: true });
    const ownOld = v(NOW - 100 * DAY);
    const dayPick = v(NOW - 3 * DAY + 2 * HOUR, { fromElsewhere: true });
    const dayOther = v(NOW - 3 * DAY + HOUR, { fromElsewhere: true });
    const ownRecent = v(NOW - 2 * HOUR);
    const newest = v(NOW - MIN, { fromElsewhere: true });
    const ranks = retentionRanks(newestFirst([old, ownOld, dayPick, dayOther, ownRecent, newest]), NOW);
    expect(ranks.get(old.id)).toBe(Rank.Kept);
    expect(ranks.get(newest.id)).toBe(Rank.Kept);
    expect(ranks.get(ownRecent.id)).toBe(Rank.Kept);
    expect(ranks.get(ownOld.id)).toBe(Rank.Own);
    expect(ranks.get(dayPick.id)).toBe(Rank.Window);
    expect(ranks.get(dayOther.id)).toBe(Rank.Ordinary);
  });

  it('window picks cover exactly the last 24 hours and the last 30 days, counted in whole windows', () => {
    const noon = NOW + 12 * HOUR;
    const lateYesterday = v(noon - 13 * HOUR, { fromElsewhere: true }); // 23:00 yesterday: its hour's and its day's newest
    const hourIn = v(noon - (HOURLY_KEPT_FOR - 1) * HOUR + MIN, { fromElsewhere: true }); // 13:01 yesterday
    const hourOut = v(noon - (HOURLY_KEPT_FOR - 1) * HOUR - MIN, { fromElsewhere: true }); // 12:59 yesterday
    const dayIn = v(noon - (DAILY_KEPT_FOR - 1) * DAY, { fromElsewhere: true });
    const dayOut = v(noon - DAILY_KEPT_FOR * DAY, { fromElsewhere: true });
    const future = v(noon + HOUR, { fromElsewhere: true });
    const ranks = retentionRanks(newestFirst([future, lateYesterday, hourIn, hourOut, dayIn, dayOut]), noon);
    expect(ranks.get(lateYesterday.id)).toBe(Rank.Window);
    expect(ranks.get(hourIn.id)).toBe(Rank.Window);
    expect(ranks.get(hourOut.id)).toBe(Rank.Ordinary);
    expect(ranks.get(dayIn.id)).toBe(Rank.Window);
    expect(ranks.get(dayOut.id)).toBe(Rank.Ordinary);
    // A version from the future (a wrong clock) is the newest, kept as such, and picks no window.
    expect(ranks.get(future.id)).toBe(Rank.Kept);
    const onlyFuture = retentionRanks(newestFirst([v(noon + 2 * DAY, { fromElsewhere: true }), v(noon + DAY, { fromElsewhere: true })]), noon);
    expect([...onlyFuture.values()]).toEqual([Rank.Kept, Rank.Ordinary]);
  });

  it('the current hour and day have their picks too (seen when a wrong clock put a newer version in the future)', () => {
    const now = NOW + 12 * HOUR + 30 * MIN;
    const future = v(now + 2 * DAY, { fromElsewhere: true });
    const thisHour = v(NOW + 12 * HOUR + 20 * MIN, { fromElsewhere: true });
    const thisHourOlder = v(NOW + 12 * HOUR + 10 * MIN, { fromElsewhere: true });
    const ranks = retentionRanks(newestFirst([future, thisHour, thisHourOlder]), now);
    expect([ranks.get(future.id), ranks.get(thisHour.id), ranks.get(thisHourOlder.id)]).toEqual([Rank.Kept, Rank.Window, Rank.Ordinary]);
  });

  it('a version exactly an hour old is thinned with the day’s tier, not kept with the hour’s', () => {
    const now = NOW + 10 * MIN;
    const newest = v(now, { fromElsewhere: true });
    const hourOld = v(now - HOUR, { fromElsewhere: true }); // 23:10, the newest of its hour: a window pick
    const sameQuarter = v(now - HOUR - 5 * MIN, { fromElsewhere: true }); // 23:05, same quarter hour
    const drop = versionsToPrune(newestFirst([newest, hourOld, sameQuarter]), now);
    expect(drop).toEqual([sameQuarter.id]);
    // A minute younger, both are in the hour's tier, where every version stays.
    expect(versionsToPrune(newestFirst([newest, hourOld, sameQuarter]), now - MIN)).toEqual([]);
  });

  it('the byte bound drops the least protected first, oldest first, and never pinned, newest or newest own', () => {
    const MiB = 1024 * 1024;
    const pinned = v(NOW - 300 * DAY, { pinned: true, size: 30 * MiB, fromElsewhere: true });
    const ownOld = v(NOW - 10 * DAY, { size: 10 * MiB });
    const ownNewest = v(NOW - 5 * DAY, { size: 10 * MiB });
    const windowOld = v(NOW - 8 * DAY, { size: 10 * MiB, fromElsewhere: true });
    const windowNew = v(NOW - 7 * DAY, { size: 10 * MiB, fromElsewhere: true });
    const ordinary = churn(3, NOW - 10 * MIN, MIN, { size: 5 * MiB });
    const newest = v(NOW, { size: 10 * MiB, fromElsewhere: true });
    const all = [pinned, ownOld, ownNewest, windowOld, windowNew, ...ordinary, newest];
    expect(all.reduce((sum, x) => sum + x.size, 0)).toBe(95 * MiB);
    const keptWithin = (maxBytes: number) => idsOf(keptAfterPrune(all, NOW, { maxVersions: 100, maxBytes }));
    // ordinary[0] (23:50 yesterday) is its hour's newest: a window pick like windowOld and windowNew.
    // Drop order: ordinary[2], ordinary[1] (→ 85), windowOld (→ 75), windowNew (→ 65), ordinary[0] (→ 60), ownOld (→ 50).
    expect(keptWithin(95 * MiB)).toEqual(idsOf(all));
    expect(keptWithin(80 * MiB)).toEqual(idsOf([pinned, ownOld, ownNewest, windowNew, ordinary[0]!, newest]));
    expect(keptWithin(64 * MiB)).toEqual(idsOf([pinned, ownOld, ownNewest, newest]));
    expect(keptWithin(55 * MiB)).toEqual(idsOf([pinned, ownNewest, newest]));
    // Never below what is never pruned (50 MiB here), however small the bound.
    expect(keptWithin(1)).toEqual(idsOf([pinned, ownNewest, newest]));
    // The default byte bound is the documented one.
    expect(MAX_VERSION_BYTES_PER_NOTE).toBe(64 * MiB);
  });

  it('pinned versions are never pruned, however many versions come after them', () => {
    const pinned = Array.from({ length: MAX_PINNED_PER_NOTE }, (_, i) => v(NOW - 400 * DAY - i * HOUR, { pinned: true, fromElsewhere: true }));
    const flood = churn(2000, NOW, 1000);
    const kept = keptAfterPrune([...pinned, ...flood], NOW, { maxVersions: 10, maxBytes: 10 });
    // Over both bounds, yet every pinned version stays, and the newest.
    expect(idsOf(kept)).toEqual(idsOf([...pinned, flood[0]!]));
  });

  it(`canPin allows up to ${MAX_PINNED_PER_NOTE} pinned versions per note`, () => {
    const list = (pinnedCount: number) => Array.from({ length: 30 }, (_, i) => v(NOW - i, { pinned: i < pinnedCount }));
    expect(canPin(list(0))).toBe(true);
    expect(canPin(list(MAX_PINNED_PER_NOTE - 1))).toBe(true);
    expect(canPin(list(MAX_PINNED_PER_NOTE))).toBe(false);
  });
});

/** Versions recorded, pinned and pruned as the recorder and the dialog do, at random. */
function simulate(seed: number, options: { bigStates: boolean }) {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  let stored: VersionMeta[] = [];
  let id = 1;
  let now = NOW;
  const own: VersionMeta[] = [];
  const pinnedIds = new Set<number>();
  const steps = 60 + Math.floor(random() * 180);
  const problems: string[] = [];
  const MiB = 1024 * 1024;
  for (let step = 0; step < steps && problems.length === 0; step++) {
    // Time: mostly seconds to minutes (churn), sometimes hours or days.
    const gap = pick([1_000, 3_000, 30_000, 5 * MIN, 5 * MIN, 40 * MIN, 3 * HOUR, 2 * DAY]);
    now += Math.floor(gap * (0.5 + random()));
    const r = random();
    if (r < 0.06 && stored.length > 0) {
      const target = pick(stored);
      if (!target.pinned && canPin(stored)) {
        stored = stored.map((x) => (x.id === target.id ? { ...x, pinned: true } : x));
        pinnedIds.add(target.id);
      } else if (target.pinned) {
        stored = stored.map((x) => (x.id === target.id ? { ...x, pinned: false } : x));
        pinnedIds.delete(target.id);
      }
      continue;
    }
    const fromElsewhere = r > 0.2; // most versions are caused by the churning peer
    const size = options.bigStates ? Math.floor(random() * 12 * MiB) : 1 + Math.floor(random() * 1000);
    const version = v(now, { id: id++, fromElsewhere, size, reason: fromElsewhere ? pick(['periodic', 'before-remote-removal'] as const) : 'periodic' });
    stored.push(version);
    if (!fromElsewhere) own.push(version);
    const drop = new Set(versionsToPrune(newestFirst(stored), now));
    stored = stored.filter((x) => !drop.has(x.id));

    const kept = new Set(stored.map((x) => x.id));
    const where = `step ${step}`;
    for (const pinnedId of pinnedIds) if (!kept.has(pinnedId)) problems.push(`${where}: pinned version ${pinnedId} pruned`);
    if (!kept.has(version.id)) problems.push(`${where}: the newest version was pruned`);
    const lastOwn = own[own.length - 1];
    if (lastOwn && !kept.has(lastOwn.id)) problems.push(`${where}: the newest own version (the last before the churn) was pruned`);
    if (stored.length > MAX_VERSIONS_PER_NOTE) problems.push(`${where}: ${stored.length} versions kept`);
    const bytes = stored.reduce((sum, x) => sum + x.size, 0);
    if (options.bigStates) {
      // Over the byte bound only when what is never pruned is alone over it.
      const neverPruned = stored.filter((x) => x.pinned || x.id === version.id || x.id === lastOwn?.id);
      if (bytes > MAX_VERSION_BYTES_PER_NOTE && neverPruned.length !== stored.length) problems.push(`${where}: ${bytes} bytes kept`);
      continue;
    }
    for (const x of own.slice(-OWN_VERSIONS_KEPT)) if (!kept.has(x.id)) problems.push(`${where}: own version ${x.id} among the newest ${OWN_VERSIONS_KEPT} pruned`);
    // Every hour of the last day and every day of the last month that had an own version still has one.
    for (const [span, count] of [[HOUR, HOURLY_KEPT_FOR], [DAY, DAILY_KEPT_FOR]] as const) {
      const windows = new Set(own.map((x) => Math.floor(x.at / span)).filter((w) => w > Math.floor(now / span) - count));
      const keptWindows = new Set(stored.filter((x) => !x.fromElsewhere).map((x) => Math.floor(x.at / span)));
      for (const w of windows) if (!keptWindows.has(w)) problems.push(`${where}: no own version left in the ${span === HOUR ? 'hour' : 'day'} ${w}`);
    }
    // Pruning what was kept again drops nothing (checked every few steps: it doubles the work).
    if (step % 8 === 0) {
      const again = versionsToPrune(newestFirst(stored), now);
      if (again.length > 0) problems.push(`${where}: pruning again drops ${again.join(', ')}`);
    }
  }
  return { problems, steps };
}

/**
 * 1,000 sequences; the mutation run (vitest.mutate.config.ts) sets fewer, since every mutant
 * reruns this test.
 */
const SEQUENCES = Number(process.env.WEFT_CHURN_SEQUENCES ?? 1000);

describe('retention under 1,000 random churn sequences', () => {
  it.each([
    { bigStates: false, what: 'the count bound' },
    { bigStates: true, what: 'the byte bound' },
  ])('pinned, newest own, newest own ones and hourly/daily own versions survive; $what holds', ({ bigStates, what }) => {
    const master = seedFor(`versionRetention churn (${what})`);
    const next = mulberry32(master);
    for (let i = 0; i < SEQUENCES; i++) {
      const seed = Math.floor(next() * 2 ** 32);
      const { problems } = simulate(seed, { bigStates });
      expect(problems, `WEFT_SEED=${master}, sequence ${i} (seed ${seed})`).toEqual([]);
    }
  }, 120_000); // a few seconds on an idle machine; the shared one runs many suites at once
});
