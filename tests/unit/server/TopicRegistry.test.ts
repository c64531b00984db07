import { describe, expect, it } from 'vitest';
import { TopicRegistry } from '../../../server/TopicRegistry.js';

const limits = { maxTopicsPerConnection: 3, maxTopicsPerAddress: 100, maxTotalTopics: 5, maxSubscribersPerTopic: 2 };
/** Connections named `address#n`: those before the `#` share an address. */
const addressOf = (conn: string): string => conn.split('#')[0]!;
const registry = (overrides: Partial<typeof limits> = {}): TopicRegistry<string> =>
  new TopicRegistry<string>({ ...limits, ...overrides }, addressOf);

describe('TopicRegistry', () => {
  it('tracks subscribers per topic and frees empty topics', () => {
    const r = registry();
    expect(r.subscribe('a', ['t1', 't2'])).toEqual([]);
    expect(r.subscribe('b', ['t1'])).toEqual([]);
    expect([...r.subscribers('t1')].sort()).toEqual(['a', 'b']);
    expect(r.isSubscribed('b', 't2')).toBe(false);
    expect(r.stats()).toEqual({ topics: 2, subscriptions: 3, connections: 2, addresses: 2 });
    r.unsubscribe('a', ['t1', 't2', 'never-held']);
    expect([...r.subscribers('t1')]).toEqual(['b']);
    expect(r.subscribers('t2').size).toBe(0);
    expect(r.stats()).toEqual({ topics: 1, subscriptions: 1, connections: 1, addresses: 1 });
    r.removeConnection('b');
    expect(r.stats()).toEqual({ topics: 0, subscriptions: 0, connections: 0, addresses: 0 });
  });

  it('ignores repeated and duplicate topics', () => {
    const r = registry();
    expect(r.subscribe('a', ['t', 't', 't'])).toEqual([]);
    expect(r.subscribe('a', ['t'])).toEqual([]);
    expect(r.topicCount('a')).toBe(1);
    expect(r.stats().subscriptions).toBe(1);
  });

  it('refuses, topic by topic, past the per-connection topic limit and keeps the rest', () => {
    const r = registry();
    expect(r.subscribe('a', ['t1', 't2'])).toEqual([]);
    expect(r.subscribe('a', ['t3', 't4', 't1'])).toEqual([{ topic: 't4', refusal: 'topics per connection' }]);
    expect(r.topicCount('a')).toBe(3);
    expect(r.isSubscribed('a', 't3')).toBe(true);
    r.unsubscribe('a', ['t1']);
    expect(r.subscribe('a', ['t4'])).toEqual([]);
  });

  it('refuses past the per-address limit, whichever connection of the address asks', () => {
    const r = registry({ maxTopicsPerAddress: 4, maxTotalTopics: 100 });
    expect(r.subscribe('10.0.0.1#1', ['t1', 't2', 't3'])).toEqual([]);
    expect(r.subscribe('10.0.0.1#2', ['t1', 'u1', 'u2'])).toEqual([
      { topic: 'u1', refusal: 'topics per address' },
      { topic: 'u2', refusal: 'topics per address' },
    ]);
    expect(r.addressSubscriptions('10.0.0.1')).toBe(4);
    // Another address is not affected; the quota comes back as subscriptions go.
    expect(r.subscribe('10.0.0.2#1', ['u1', 'u2'])).toEqual([]);
    r.removeConnection('10.0.0.1#1');
    expect(r.addressSubscriptions('10.0.0.1')).toBe(1);
    expect(r.subscribe('10.0.0.1#2', ['u1', 'u2'])).toEqual([]);
  });

  it('refuses new topics past the server-wide limit but allows joining existing ones', () => {
    const r = registry();
    r.subscribe('a', ['t1', 't2', 't3']);
    r.subscribe('b', ['t4', 't5']);
    expect(r.subscribe('c', ['t6', 't1'])).toEqual([{ topic: 't6', refusal: 'total topics' }]);
    expect(r.isSubscribed('c', 't1')).toBe(true);
    expect(r.stats().topics).toBe(5);
  });

  it('refuses a newcomer past the subscribers-per-topic limit and leaves everyone else be', () => {
    const r = registry();
    r.subscribe('a', ['t']);
    r.subscribe('b', ['t']);
    expect(r.subscribe('c', ['t', 'other'])).toEqual([{ topic: 't', refusal: 'subscribers per topic' }]);
    expect(r.subscribers('t').size).toBe(2);
    expect(r.isSubscribed('c', 'other')).toBe(true);
  });

  it('stays bounded under 10,000 topics from many connections and addresses', () => {
    const big = { maxTopicsPerConnection: 64, maxTopicsPerAddress: 300, maxTotalTopics: 1000, maxSubscribersPerTopic: 16 };
    // 200 connections over 10 addresses.
    const r = new TopicRegistry<number>(big, (conn) => String(conn % 10));
    let refused = 0;
    for (let i = 0; i < 10_000; i++) refused += r.subscribe(i % 200, [`topic-${i}`]).length;
    expect(r.stats().topics).toBe(1000);
    expect(refused).toBe(9000);
    for (let a = 0; a < 10; a++) expect(r.addressSubscriptions(String(a))).toBeLessThanOrEqual(300);
    for (let c = 0; c < 200; c++) r.removeConnection(c);
    expect(r.stats()).toEqual({ topics: 0, subscriptions: 0, connections: 0, addresses: 0 });
  });
});
