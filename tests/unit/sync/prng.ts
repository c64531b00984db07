/** Seeded PRNG (mulberry32) for reproducible test data; print the seed on failure. */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** `length` pseudo-random bytes from `seed`. */
export const randomBytes = (length: number, seed: number): Uint8Array => {
  const next = mulberry32(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
};

/** Test seed: from WEFT_SEED when set (to reproduce a failure), else fixed. */
export const testSeed = (fallback: number): number => {
  const fromEnv = Number(process.env.WEFT_SEED);
  return Number.isFinite(fromEnv) && process.env.WEFT_SEED !== undefined ? fromEnv : fallback;
};
