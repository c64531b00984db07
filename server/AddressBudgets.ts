/**
 * Per-client-address budgets of the relay (reads, writes, bytes), as token buckets.
 * Behind one interface so that several server instances on one Redis share them: with
 * the budgets in each instance's memory, an address behind a load balancer that spreads
 * its requests gets as many budgets as there are instances.
 */
import { TokenBucket } from './TokenBucket.js';

export type BudgetKind = 'reads' | 'writes' | 'bytes';

/** One budget: the largest burst and how fast it refills. */
export interface BudgetRate {
  readonly capacity: number;
  readonly perSecond: number;
}

export type BudgetRates = Readonly<Record<BudgetKind, BudgetRate>>;

export interface AddressBudgets {
  /**
   * Takes `amount` from `address`'s budget of `kind` at time `now` (ms); false, taking
   * nothing, when the budget holds less. Rejects when the shared store is unreachable.
   */
  take(address: string, kind: BudgetKind, amount: number, now: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Most client addresses whose budgets are remembered; past it the oldest are forgotten. */
export const MAX_TRACKED_ADDRESSES = 50_000;

/** Budgets in this process's memory (one instance, or instances behind sticky routing). */
export class MemoryAddressBudgets implements AddressBudgets {
  private readonly buckets = new Map<string, Record<BudgetKind, TokenBucket>>();

  constructor(
    private readonly rates: BudgetRates,
    private readonly maxAddresses = MAX_TRACKED_ADDRESSES,
  ) {}

  take(address: string, kind: BudgetKind, amount: number, now: number): Promise<boolean> {
    let buckets = this.buckets.get(address);
    if (buckets === undefined) {
      if (this.buckets.size >= this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value as string);
      const bucket = (rate: BudgetRate) => new TokenBucket(rate.capacity, rate.perSecond, now);
      buckets = { reads: bucket(this.rates.reads), writes: bucket(this.rates.writes), bytes: bucket(this.rates.bytes) };
      this.buckets.set(address, buckets);
    }
    return Promise.resolve(buckets[kind].take(now, amount));
  }

  close(): Promise<void> {
    this.buckets.clear();
    return Promise.resolve();
  }
}
