/**
 * Which connections listen to which topics — pure data structure, no I/O, generic over
 * the connection type so tests can use plain objects. Every bound is enforced here so the
 * registry's memory is bounded by `maxTotalTopics × maxSubscribersPerTopic` entries no
 * matter what clients send, and no single address can hold more than
 * `maxTopicsPerAddress` of them however many connections it opens.
 */
import type { SignalingLimits } from './signalingLimits.js';

/** The limits the registry enforces. */
export type RegistryLimits = Pick<
  SignalingLimits,
  'maxTopicsPerConnection' | 'maxTopicsPerAddress' | 'maxTotalTopics' | 'maxSubscribersPerTopic'
>;

/** Which bound a refused topic would have crossed. */
export type SubscribeRefusal = 'topics per connection' | 'topics per address' | 'total topics' | 'subscribers per topic';

/** One topic a subscribe did not add, and why. */
export interface TopicRefusal {
  topic: string;
  refusal: SubscribeRefusal;
}

/** A bounded topic → subscribers map. */
export class TopicRegistry<C> {
  private readonly subscribersByTopic = new Map<string, Set<C>>();
  private readonly topicsByConn = new Map<C, Set<string>>();
  /** Subscriptions held by all the connections of one address. */
  private readonly subscriptionsByAddress = new Map<string, number>();
  private subscriptionCount = 0;

  /**
   * @param addressOf the quota key of a connection (its client address): connections
   *   with the same key share `maxTopicsPerAddress`.
   */
  constructor(
    private readonly limits: RegistryLimits,
    private readonly addressOf: (conn: C) => string,
  ) {}

  /**
   * Subscribes `conn` to each topic in `topics`, one by one, in order; a topic that would
   * cross a bound is refused and the rest still get their chance (a full room must not
   * cost a client its other rooms). Topics already held are ignored, so repeating a
   * subscribe is harmless. Returns the refused topics: empty when all were added.
   */
  subscribe(conn: C, topics: readonly string[]): TopicRefusal[] {
    const refused: TopicRefusal[] = [];
    const address = this.addressOf(conn);
    for (const topic of topics) {
      const held = this.topicsByConn.get(conn);
      if (held?.has(topic)) continue;
      const refusal = this.refusalFor(topic, held?.size ?? 0, address);
      if (refusal !== null) {
        refused.push({ topic, refusal });
        continue;
      }
      const mine = held ?? new Set<string>();
      if (held === undefined) this.topicsByConn.set(conn, mine);
      let subs = this.subscribersByTopic.get(topic);
      if (subs === undefined) {
        subs = new Set();
        this.subscribersByTopic.set(topic, subs);
      }
      subs.add(conn);
      mine.add(topic);
      this.subscriptionCount++;
      this.subscriptionsByAddress.set(address, (this.subscriptionsByAddress.get(address) ?? 0) + 1);
    }
    return refused;
  }

  /** Unsubscribes `conn` from `topics`; topics it does not hold are ignored. Empty topics are freed. */
  unsubscribe(conn: C, topics: readonly string[]): void {
    const held = this.topicsByConn.get(conn);
    if (held === undefined) return;
    for (const topic of topics) {
      if (!held.delete(topic)) continue;
      this.removeSubscriber(topic, conn);
    }
    if (held.size === 0) this.topicsByConn.delete(conn);
  }

  /** Forgets `conn` entirely (on close). */
  removeConnection(conn: C): void {
    const held = this.topicsByConn.get(conn);
    if (held === undefined) return;
    for (const topic of held) this.removeSubscriber(topic, conn);
    this.topicsByConn.delete(conn);
  }

  /** Whether `conn` is subscribed to `topic`. */
  isSubscribed(conn: C, topic: string): boolean {
    return this.topicsByConn.get(conn)?.has(topic) ?? false;
  }

  /** The subscribers of `topic` (a live view: copy it before mutating the registry while iterating). */
  subscribers(topic: string): ReadonlySet<C> {
    return this.subscribersByTopic.get(topic) ?? EMPTY;
  }

  /** Number of topics `conn` holds. */
  topicCount(conn: C): number {
    return this.topicsByConn.get(conn)?.size ?? 0;
  }

  /** Subscriptions held by all connections of `address`. */
  addressSubscriptions(address: string): number {
    return this.subscriptionsByAddress.get(address) ?? 0;
  }

  /** Sizes, for stats and tests. */
  stats(): { topics: number; subscriptions: number; connections: number; addresses: number } {
    return {
      topics: this.subscribersByTopic.size,
      subscriptions: this.subscriptionCount,
      connections: this.topicsByConn.size,
      addresses: this.subscriptionsByAddress.size,
    };
  }

  /** The bound adding one subscription to `topic` would cross, or null. */
  private refusalFor(topic: string, heldByConn: number, address: string): SubscribeRefusal | null {
    if (heldByConn >= this.limits.maxTopicsPerConnection) return 'topics per connection';
    if (this.addressSubscriptions(address) >= this.limits.maxTopicsPerAddress) return 'topics per address';
    const subs = this.subscribersByTopic.get(topic);
    if (subs === undefined) {
      return this.subscribersByTopic.size >= this.limits.maxTotalTopics ? 'total topics' : null;
    }
    return subs.size >= this.limits.maxSubscribersPerTopic ? 'subscribers per topic' : null;
  }

  private removeSubscriber(topic: string, conn: C): void {
    const subs = this.subscribersByTopic.get(topic);
    if (subs === undefined || !subs.delete(conn)) return;
    this.subscriptionCount--;
    if (subs.size === 0) this.subscribersByTopic.delete(topic);
    const address = this.addressOf(conn);
    const n = (this.subscriptionsByAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.subscriptionsByAddress.delete(address);
    else this.subscriptionsByAddress.set(address, n);
  }
}

const EMPTY: ReadonlySet<never> = new Set<never>();
