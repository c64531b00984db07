/**
 * Randomness for tests, in one place: a seeded PRNG, and the seeds each randomized test runs.
 *
 * Every randomized test (unit and end-to-end) draws from {@link mulberry32} with seeds from
 * {@link seedsFor}: its pinned regression seeds (fixed vectors that once found a bug, or that
 * cover a case worth keeping) plus `fresh` new seeds per run, so CI keeps exploring instead of
 * replaying the same vectors. Fresh seeds are printed; a failure message names its seed.
 *
 * Replay one seed: `WEFT_SEED=123456 npx vitest run tests/unit/sync/peerMessage.test.ts`
 * (or `npx playwright test …` for an end-to-end test). With WEFT_SEED set, every randomized
 * test in the run uses that seed alone, instead of its pinned and fresh ones.
 *
 * When a fresh seed finds a bug: fix it, and add the seed to the test's `pinned` list in the
 * same commit, so it is replayed on every run from then on.
 */

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` pseudo-random bytes from `seed`. */
export function randomBytes(length: number, seed: number): Uint8Array {
  const next = mulberry32(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

/** A new seed from the platform's CSPRNG (a uint32). */
export function freshSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** The seed WEFT_SEED asks to replay, or undefined. Throws on a value that is not a uint32. */
export function replaySeed(): number | undefined {
  const raw = process.env.WEFT_SEED;
  if (raw === undefined || raw.trim() === '') return undefined;
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`WEFT_SEED must be a uint32, got ${JSON.stringify(raw)}`);
  return seed;
}

export interface SeedPlan {
  /** Regression seeds run every time (ascending order is kept as given). */
  readonly pinned: readonly number[];
  /** How many new seeds to draw per run (printed). */
  readonly fresh: number;
}

/**
 * The seeds `name` runs this time: `[WEFT_SEED]` when replaying, else `pinned` followed by
 * `fresh` new seeds. Prints one line naming the fresh seeds and how to replay one.
 */
export function seedsFor(name: string, { pinned, fresh }: SeedPlan): number[] {
  const replay = replaySeed();
  if (replay !== undefined) {
    console.log(`${name}: replaying WEFT_SEED=${replay}`);
    return [replay];
  }
  const drawn = Array.from({ length: fresh }, freshSeed);
  if (drawn.length > 0) console.log(`${name}: fresh seeds ${drawn.join(', ')} (pinned ${pinned.join(', ') || 'none'}; WEFT_SEED=<seed> replays one)`);
  return [...pinned, ...drawn];
}

/** One seed for `name`: WEFT_SEED when replaying, else a fresh one (printed). For tests that draw bulk data once. */
export function seedFor(name: string): number {
  return seedsFor(name, { pinned: [], fresh: 1 })[0]!;
}
