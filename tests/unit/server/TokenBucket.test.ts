import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../server/TokenBucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the configured rate', () => {
    const b = new TokenBucket(3, 2, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(499)).toBe(false); // 0.998 tokens
    expect(b.take(500)).toBe(true); // 1 token after 500 ms at 2/s
    expect(b.take(500)).toBe(false);
  });

  it('never holds more than its capacity', () => {
    const b = new TokenBucket(2, 100, 0);
    b.take(0);
    const results = [b.take(1_000_000), b.take(1_000_000), b.take(1_000_000)];
    expect(results).toEqual([true, true, false]);
  });

  it('tolerates a clock going backwards', () => {
    const b = new TokenBucket(1, 1, 10_000);
    expect(b.take(10_000)).toBe(true);
    expect(b.take(0)).toBe(false);
    expect(b.take(10_999)).toBe(false);
    expect(b.take(11_000)).toBe(true);
  });
});
