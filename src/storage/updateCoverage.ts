/**
 * What a stored update holds, by id, so that opening a note can tell whether
 * the doc's state from before loading (the seed, or edits made before the
 * open) is already in the stored log — then nothing needs to be written — or
 * must be stored as a row of its own. In doubt the answer is "not covered":
 * a redundant row costs a few bytes, a missing one loses data.
 */
import * as Y from 'yjs';

/**
 * Per client, the sorted, disjoint `[start, end)` clock ranges of an update's
 * structs (items and GC'd ranges, not the `Skip` gaps a merged update can
 * carry) and of its delete set, as flat pairs.
 */
export interface UpdateCoverage {
  structs: Map<number, number[]>;
  deletes: Map<number, number[]>;
}

/** Appends `[start, end)` to the client's pairs, extending the last pair when contiguous (the usual order). */
function addRange(ranges: Map<number, number[]>, client: number, start: number, end: number): void {
  if (end <= start) return;
  const pairs = ranges.get(client);
  if (!pairs) {
    ranges.set(client, [start, end]);
    return;
  }
  const last = pairs.length - 1;
  if (pairs[last - 1]! <= start && start <= pairs[last]!) pairs[last] = Math.max(pairs[last]!, end);
  else pairs.push(start, end);
}

/** Sorts and merges every client's pairs in place. */
function normalizeRanges(ranges: Map<number, number[]>): Map<number, number[]> {
  for (const [client, pairs] of ranges) {
    const sorted: Array<[number, number]> = [];
    for (let i = 0; i < pairs.length; i += 2) sorted.push([pairs[i]!, pairs[i + 1]!]);
    sorted.sort((a, b) => a[0] - b[0]);
    const merged: number[] = [];
    for (const [start, end] of sorted) {
      const last = merged.length - 1;
      if (last > 0 && start <= merged[last]!) merged[last] = Math.max(merged[last]!, end);
      else merged.push(start, end);
    }
    ranges.set(client, merged);
  }
  return ranges;
}

/**
 * The coverage of `value` if it is a Yjs update that decodes, else null —
 * exactly what `isDecodableUpdate` accepts, in the same single decode, so
 * that loading decodes every stored row once.
 */
export function coverageOf(value: unknown): UpdateCoverage | null {
  if (!(value instanceof Uint8Array)) return null;
  try {
    const { structs, ds } = Y.decodeUpdate(value);
    const coverage: UpdateCoverage = { structs: new Map(), deletes: new Map() };
    for (const struct of structs) {
      if (!(struct instanceof Y.Skip)) addRange(coverage.structs, struct.id.client, struct.id.clock, struct.id.clock + struct.length);
    }
    for (const [client, items] of ds.clients) {
      for (const item of items) addRange(coverage.deletes, client, item.clock, item.clock + item.len);
    }
    normalizeRanges(coverage.structs);
    normalizeRanges(coverage.deletes);
    return coverage;
  } catch {
    return null;
  }
}

/** Every range of `need` lies inside one range of `have` (both normalized). */
function rangesCover(have: Map<number, number[]>, need: Map<number, number[]>): boolean {
  for (const [client, pairs] of need) {
    const haves = have.get(client);
    if (!haves) return false;
    let j = 0;
    for (let i = 0; i < pairs.length; i += 2) {
      // Both sorted: skip the ranges of `have` that end before this one starts.
      while (j < haves.length && haves[j + 1]! <= pairs[i]!) j += 2;
      if (j >= haves.length || haves[j]! > pairs[i]! || haves[j + 1]! < pairs[i + 1]!) return false;
    }
  }
  return true;
}

/** True when everything `need` holds (structs and deletions) is in the union of `rows`. */
export function isCoveredBy(need: UpdateCoverage, rows: readonly UpdateCoverage[]): boolean {
  const union: UpdateCoverage = { structs: new Map(), deletes: new Map() };
  for (const row of rows) {
    for (const [key, ranges] of [['structs', row.structs], ['deletes', row.deletes]] as const) {
      for (const [client, pairs] of ranges) {
        const all = union[key].get(client);
        if (all) for (const clock of pairs) all.push(clock);
        else union[key].set(client, [...pairs]);
      }
    }
  }
  return rangesCover(normalizeRanges(union.structs), need.structs) && rangesCover(normalizeRanges(union.deletes), need.deletes);
}
