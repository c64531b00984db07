import { mulberry32 } from '../../prng';

/** Seeded PRNG for reproducible test data; print the seed on failure. */
export { mulberry32 };

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
