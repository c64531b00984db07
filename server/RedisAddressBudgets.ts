/**
 * The relay's per-address budgets in Redis (REDIS_URL), shared by every instance: one
 * token bucket per address and kind, refilled and taken by one Lua script, so two
 * instances taking at once cannot both spend the last token.
 *
 *   weft:budget:{address}:<kind>   hash  t (tokens left), at (ms of the last take)
 *
 * A bucket expires once it would have refilled to full, so idle addresses cost nothing.
 * The time is the instance's own clock (a clock that goes backwards refills nothing).
 */
import { Redis } from 'ioredis';
import type { AddressBudgets, BudgetKind, BudgetRates } from './AddressBudgets.js';

const TAKE_SCRIPT = `
local capacity, perMs, amount, now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local ok = 0
if tokens >= amount then
  tokens = tokens - amount
  ok = 1
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'at', string.format('%d', math.max(at, now)))
redis.call('PEXPIRE', KEYS[1], ttl)
return ok
`;

export class RedisAddressBudgets implements AddressBudgets {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly rates: BudgetRates,
  ) {
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // Connection errors surface as failed takes (503 to clients); ioredis reconnects.
    this.redis.on('error', () => undefined);
  }

  /** Resolves once connected (takes fail fast until then, as the relay store's commands do). */
  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      this.redis.once('ready', resolve);
      this.redis.once('end', () => reject(new Error('Redis connection ended')));
    });
  }

  async take(address: string, kind: BudgetKind, amount: number, now: number): Promise<boolean> {
    const { capacity, perSecond } = this.rates[kind];
    // Until the bucket would be full again, plus a second; at least a minute.
    const ttl = Math.max(60_000, Math.ceil((capacity / Math.max(perSecond, 1e-9)) * 1000) + 1000);
    const ok = await this.redis.eval(TAKE_SCRIPT, 1, `weft:budget:{${address}}:${kind}`, capacity, perSecond / 1000, amount, Math.floor(now), ttl);
    return ok === 1;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
