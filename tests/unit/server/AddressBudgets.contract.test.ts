/**
 * What every AddressBudgets adapter must do (server/AddressBudgets.ts): in memory, and in
 * Redis (a real redis-server on a free loopback port; see redisServer.ts). `open()` gives
 * another handle on the same budgets: for memory the one object a process has, for Redis a
 * new connection, as a second server instance makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAddressBudgets, type AddressBudgets, type BudgetRates } from '../../../server/AddressBudgets.js';
import { RedisAddressBudgets } from '../../../server/RedisAddressBudgets.js';
import { startRedis, type RedisProcess } from '../../redisServer.js';

const RATES: BudgetRates = {
  reads: { capacity: 3, perSecond: 1 },
  writes: { capacity: 2, perSecond: 0.5 },
  bytes: { capacity: 1000, perSecond: 100 },
};

interface BudgetsHarness {
  name: string;
  /** A handle on the shared budgets (each call: another instance's view of the same ones), connected. */
  open(): Promise<AddressBudgets>;
  dispose(): Promise<void>;
}

let address = 0;
/** A fresh address per test: the budgets outlive a test (Redis keeps them until they refill). */
const fresh = () => `192.0.2.${++address}`;

const runContract = (harness: () => BudgetsHarness) => {
  describe(`AddressBudgets contract: ${harness().name}`, () => {
    let h: BudgetsHarness;
    let budgets: AddressBudgets;
    beforeAll(async () => {
      h = harness();
      budgets = await h.open();
    });
    afterAll(() => h.dispose());

    it('gives a burst of its capacity, then refuses until time refills it at its rate', async () => {
      const a = fresh();
      const t = 1_000_000;
      expect([await budgets.take(a, 'reads', 1, t), await budgets.take(a, 'reads', 1, t), await budgets.take(a, 'reads', 1, t)]).toEqual([true, true, true]);
      expect(await budgets.take(a, 'reads', 1, t)).toBe(false);
      expect(await budgets.take(a, 'reads', 1, t + 500)).toBe(false); // half a token
      expect(await budgets.take(a, 'reads', 1, t + 1000)).toBe(true);
      expect(await budgets.take(a, 'reads', 1, t + 1000)).toBe(false);
      // Never more than the capacity, however long it waited.
      const later = t + 3_600_000;
      for (let i = 0; i < 3; i++) expect(await budgets.take(a, 'reads', 1, later)).toBe(true);
      expect(await budgets.take(a, 'reads', 1, later)).toBe(false);
    });

    it('keeps each kind and each address apart', async () => {
      const [a, b] = [fresh(), fresh()];
      const t = 2_000_000;
      expect(await budgets.take(a, 'writes', 2, t)).toBe(true);
      expect(await budgets.take(a, 'writes', 1, t)).toBe(false);
      expect(await budgets.take(a, 'reads', 1, t)).toBe(true);
      expect(await budgets.take(b, 'writes', 2, t)).toBe(true);
    });

    it('takes an amount whole or not at all', async () => {
      const a = fresh();
      const t = 3_000_000;
      expect(await budgets.take(a, 'bytes', 700, t)).toBe(true);
      expect(await budgets.take(a, 'bytes', 400, t)).toBe(false); // 300 left: nothing taken
      expect(await budgets.take(a, 'bytes', 300, t)).toBe(true);
      expect(await budgets.take(a, 'bytes', 1, t)).toBe(false);
    });

    it('a clock that goes backwards refills nothing', async () => {
      const a = fresh();
      const t = 4_000_000;
      await budgets.take(a, 'writes', 2, t);
      expect(await budgets.take(a, 'writes', 1, t - 60_000)).toBe(false);
      expect(await budgets.take(a, 'writes', 1, t)).toBe(false);
      expect(await budgets.take(a, 'writes', 1, t + 2000)).toBe(true);
    });

    it('is one budget for every handle (instance): what one spends, the other cannot', async () => {
      const other = await h.open();
      const a = fresh();
      const t = 5_000_000;
      expect(await budgets.take(a, 'writes', 1, t)).toBe(true);
      expect(await other.take(a, 'writes', 1, t)).toBe(true);
      expect(await budgets.take(a, 'writes', 1, t)).toBe(false);
      expect(await other.take(a, 'writes', 1, t)).toBe(false);
      if (other !== budgets) await other.close();
    });

    it('concurrent takes never spend more than the budget holds', async () => {
      const other = await h.open();
      const a = fresh();
      const t = 6_000_000;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? budgets : other).take(a, 'bytes', 100, t)));
      expect(results.filter(Boolean)).toHaveLength(10);
      if (other !== budgets) await other.close();
    });
  });
};

runContract(() => {
  const shared = new MemoryAddressBudgets(RATES);
  return { name: 'memory', open: () => Promise.resolve(shared), dispose: () => shared.close() };
});

describe('AddressBudgets contract: Redis', () => {
  let redis: RedisProcess;
  const handles: AddressBudgets[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(handles.map((b) => b.close()));
    await redis.stop();
  });
  runContract(() => ({
    name: 'Redis (a real redis-server)',
    open: async () => {
      const budgets = new RedisAddressBudgets(redis.url, RATES);
      handles.push(budgets);
      await budgets.ready();
      return budgets;
    },
    dispose: () => Promise.resolve(),
  }));
});
