/**
 * A token bucket for per-connection rate limiting. Pure: the caller passes the clock, so
 * tests need no timers.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param capacity largest burst (and the starting fill)
   * @param refillPerSecond tokens added per second, up to `capacity`
   * @param now current time in milliseconds
   */
  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Takes `count` tokens (default one); `false`, taking none, when fewer are left (the caller is over its rate). */
  take(now: number, count = 1): boolean {
    // A clock that goes backwards refills nothing rather than draining or overflowing.
    const elapsed = Math.max(0, now - this.last);
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.refillPerSecond) / 1000);
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }
}
