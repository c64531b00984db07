import { describe, expect, it } from 'vitest';
import { TopicRegistry } from '../../../server/TopicRegistry.js';

const limits = { maxTopicsPerConnection: 3, maxTotalTopics: 5, maxSubscribersPerTopic: 2 };

describe('TopicRegistry', () => {
  it('tracks subscribers per topic and frees empty topics', () => {
    const r = new TopicRegistry<string>(limits);
    expect(r.subscribe('a', ['t1', 't2'])).toEqual({ ok: true });
    expect(r.subscribe('b', ['t1'])).toEqual({ ok: true });
    expect([...r.subscribers('t1')].sort()).toEqual(['a', 'b']);
    expect(r.isSubscribed('b', 't2')).toBe(false);
    expect(r.stats()).toEqual({ topics: 2, subscriptions: 3, connections: 2 });
    r.unsubscribe('a', ['t1', 't2', 'never-held']);
    expect([...r.subscribers('t1')]).toEqual(['b']);
    expect(r.subscribers('t2').size).toBe(0);
    expect(r.stats()).toEqual({ topics: 1, subscriptions: 1, connections: 1 });
    r.removeConnection('b');
    expect(r.stats()).toEqual({ topics: 0, subscriptions: 0, connections: 0 });
  });

  it('ignores repeated and duplicate topics', () => {
    const r = new TopicRegistry<string>(limits);
    expect(r.subscribe('a', ['t', 't', 't'])).toEqual({ ok: true });
    expect(r.subscribe('a', ['t'])).toEqual({ ok: true });
    expect(r.topicCount('a')).toBe(1);
    expect(r.stats().subscriptions).toBe(1);
  });

  it('refuses, all or nothing, past the per-connection topic limit', () => {
    const r = new TopicRegistry<string>(limits);
    expect(r.subscribe('a', ['t1', 't2'])).toEqual({ ok: true });
    expect(r.subscribe('a', ['t3', 't4'])).toEqual({ ok: false, refusal: 'topics per connection' });
    expect(r.topicCount('a')).toBe(2);
    expect(r.subscribe('a', ['t3'])).toEqual({ ok: true });
  });

  it('refuses past the server-wide topic limit but allows joining existing topics', () => {
    const r = new TopicRegistry<string>(limits);
    r.subscribe('a', ['t1', 't2', 't3']);
    r.subscribe('b', ['t4', 't5']);
    expect(r.subscribe('c', ['t6'])).toEqual({ ok: false, refusal: 'total topics' });
    expect(r.subscribe('c', ['t1'])).toEqual({ ok: true });
    expect(r.stats().topics).toBe(5);
  });

  it('refuses past the subscribers-per-topic limit', () => {
    const r = new TopicRegistry<string>(limits);
    r.subscribe('a', ['t']);
    r.subscribe('b', ['t']);
    expect(r.subscribe('c', ['t'])).toEqual({ ok: false, refusal: 'subscribers per topic' });
    expect(r.subscribers('t').size).toBe(2);
  });

  it('stays bounded under 10,000 topics from many connections', () => {
    const big = { maxTopicsPerConnection: 64, maxTotalTopics: 1000, maxSubscribersPerTopic: 16 };
    const r = new TopicRegistry<number>(big);
    let refused = 0;
    for (let i = 0; i < 10_000; i++) {
      if (!r.subscribe(i % 200, [`topic-${i}`]).ok) refused++;
    }
    expect(r.stats().topics).toBe(1000);
    expect(refused).toBe(9000);
    for (let c = 0; c < 200; c++) r.removeConnection(c);
    expect(r.stats()).toEqual({ topics: 0, subscriptions: 0, connections: 0 });
  });
});
