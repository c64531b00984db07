/** The shared test helpers themselves: seeds (tests/prng.ts), oracle counters (tests/oracle.ts), the poller. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mulberry32, seedFor, seedsFor } from '../prng';
import { oracleCounter } from '../oracle';
import { waitFor } from './waitFor';

describe('seedsFor', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('runs the pinned seeds, then fresh ones it prints', () => {
    vi.stubEnv('WEFT_SEED', '');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const seeds = seedsFor('t', { pinned: [7, 8], fresh: 2 });
    expect(seeds).toHaveLength(4);
    expect(seeds.slice(0, 2)).toEqual([7, 8]);
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff).toBe(true);
    expect(log).toHaveBeenCalledWith(expect.stringContaining(`fresh seeds ${seeds[2]}, ${seeds[3]}`));
  });

  it('replays WEFT_SEED alone, for every randomized test in the run', () => {
    vi.stubEnv('WEFT_SEED', '123456');
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(seedsFor('t', { pinned: [7], fresh: 3 })).toEqual([123456]);
    expect(seedFor('u')).toBe(123456);
  });

  it('refuses a WEFT_SEED that is not a uint32', () => {
    vi.stubEnv('WEFT_SEED', 'abc');
    expect(() => seedsFor('t', { pinned: [], fresh: 1 })).toThrow(/uint32/);
  });

  it('mulberry32 replays the same sequence from the same seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});

describe('oracleCounter', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints the counts and fails for a check below its floor (default 1)', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const hits = oracleCounter('demo', ['often', 'never', 'rare']);
    for (let i = 0; i < 5; i++) hits.hit('often');
    hits.hit('rare');
    expect(() => hits.assertAtLeast({ rare: 2 })).toThrow('oracle demo: never ran 0 times (floor 1); rare ran 1 times (floor 2)');
    expect(log).toHaveBeenCalledWith('oracle demo: often=5 never=0 rare=1');
    hits.hit('never');
    hits.hit('rare');
    expect(() => hits.assertAtLeast({ rare: 2 })).not.toThrow();
  });

  it('adds counts kept elsewhere, and refuses a check it was not told of', () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const hits = oracleCounter('demo', ['a', 'b']);
    hits.hit('a', 40);
    hits.hit('a');
    hits.hit('b', 0);
    expect(hits.counts).toEqual({ a: 41, b: 0 });
    expect(() => hits.assertAtLeast({ a: 41, b: 0 })).not.toThrow();
    expect(() => hits.hit('c' as 'a')).toThrow('oracle demo: unknown check c');
  });
});

describe('waitFor', () => {
  it('resolves once the condition holds, and times out naming what it waited for', async () => {
    let ready = false;
    setTimeout(() => (ready = true), 20);
    await waitFor('ready', () => ready);
    await expect(waitFor('never', () => false, 50)).rejects.toThrow(/waiting for never/);
  });
});
