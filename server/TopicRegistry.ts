/**
 * Which connections listen to which topics — pure data structure, no I/O, generic over
 * the connection type so tests can use plain objects. Every bound is enforced here so the
 * registry's memory is bounded by `maxTotalTopics × maxSubscribersPerTopic` entries no
 * matter what clients send.
 */
import type { SignalingLimits } from './signalingLimits.js';

/** The limits the registry enforces. */
export type RegistryLimits = Pick<
  SignalingLimits,
  'maxTopicsPerConnection' | 'maxTotalTopics' | 'maxSubscribersPerTopic'
>;

/**
 * The outcome of a subscribe. On a refusal nothing was added: the caller closes the
 * connection (its existing subscriptions are dropped when it closes).
 */
export type SubscribeResult =
  | { ok: true }
  | { ok: false; refusal: 'topics per connection' | 'total topics' | 'subscribers per topic' };

/** A bounded topic → subscribers map. */
export class TopicRegistry<C> {
  private readonly subscribersByTopic = new Map<string, Set<C>>();
  private readonly topicsByConn = new Map<C, Set<string>>();
  private subscriptionCount = 0;

  constructor(private readonly limits: RegistryLimits) {}

  /**
   * Subscribes `conn` to every topic in `topics`, or to none of them if any bound would be
   * exceeded (all-or-nothing keeps the bookkeeping simple and the refusal unambiguous).
   * Topics already held are ignored, so repeating a subscribe is harmless.
   */
  subscribe(conn: C, topics: readonly string[]): SubscribeResult {
    const held = this.topicsByConn.get(conn);
    const fresh = new Set<string>();
    let newTopics = 0;
    for (const topic of topics) {
      if (held?.has(topic) || fresh.has(topic)) continue;
      fresh.add(topic);
      const subs = this.subscribersByTopic.get(topic);
      if (subs === undefined) newTopics++;
      else if (subs.size >= this.limits.maxSubscribersPerTopic) return { ok: false, refusal: 'subscribers per topic' };
    }
    if ((held?.size ?? 0) + fresh.size > this.limits.maxTopicsPerConnection) {
      return { ok: false, refusal: 'topics per connection' };
    }
    if (this.subscribersByTopic.size + newTopics > this.limits.maxTotalTopics) {
      return { ok: false, refusal: 'total topics' };
    }
    if (fresh.size === 0) return { ok: true };
    const mine = held ?? new Set<string>();
    if (held === undefined) this.topicsByConn.set(conn, mine);
    for (const topic of fresh) {
      let subs = this.subscribersByTopic.get(topic);
      if (subs === undefined) {
        subs = new Set();
        this.subscribersByTopic.set(topic, subs);
      }
      subs.add(conn);
      mine.add(topic);
    }
    this.subscriptionCount += fresh.size;
    return { ok: true };
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

  /** Sizes, for stats and tests. */
  stats(): { topics: number; subscriptions: number; connections: number } {
    return {
      topics: this.subscribersByTopic.size,
      subscriptions: this.subscriptionCount,
      connections: this.topicsByConn.size,
    };
  }

  private removeSubscriber(topic: string, conn: C): void {
    const subs = this.subscribersByTopic.get(topic);
    if (subs === undefined || !subs.delete(conn)) return;
    this.subscriptionCount--;
    if (subs.size === 0) this.subscribersByTopic.delete(topic);
  }
}

const EMPTY: ReadonlySet<never> = new Set<never>();
