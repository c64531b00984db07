/**
 * Several Weft server instances on one real redis-server act as one: signaling clients on
 * different instances reach each other (Redis pub/sub), any instance serves the relay
 * (Redis store), and a Redis restart (kill -9) loses nothing acknowledged while the
 * instances reconnect by themselves.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { RedisAddressBudgets } from '../../../server/RedisAddressBudgets.js';
import { budgetRates } from '../../../server/createRelayHandler.js';
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from '../../../server/relayProtocol.js';
import { RedisFanout } from '../../../server/RedisFanout.js';
import { RedisRelayStore } from '../../../server/RedisRelayStore.js';
import { applySeed } from '../../../src/doc/seed';
import { noteText } from '../../../src/doc/noteText';
import { httpRelayClient } from '../../../src/sync/relayClient';
import { deriveRelayKeys } from '../../../src/sync/relayCrypto';
import { memoryRelayCursors } from '../../../src/sync/relayCursors';
import { RelayTransport } from '../../../src/sync/RelayTransport';
import { TestClient, cleanup, startServer, type StartedServer } from './serverTestKit.js';
import { startRedis, type RedisProcess } from '../../redisServer.js';
import { waitFor } from '../waitFor';

const SECRET = '__79_Pv6-fj39vX08_Lx8A';
const TOPIC = 't'.repeat(43);

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const transports: RelayTransport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) t.destroy();
  await cleanup();
});

/** An instance as main.ts makes it with REDIS_URL. */
async function instance(relayLimits: Partial<RelayLimits> = {}): Promise<StartedServer> {
  const relayStore = new RedisRelayStore(redis.url);
  const fanout = new RedisFanout(redis.url, { info: () => undefined, error: () => undefined });
  const budgets = new RedisAddressBudgets(redis.url, budgetRates({ ...DEFAULT_RELAY_LIMITS, ...relayLimits }));
  await Promise.all([relayStore.ready(), fanout.ready(), budgets.ready()]);
  return startServer({ relayStore, fanout, relayLimits, relayBudgets: () => budgets });
}

const device = (url: string, doc = new Y.Doc()) => {
  if (doc.store.clients.size === 0) applySeed(doc);
  const t = new RelayTransport({
    doc,
    awareness: new Awareness(doc),
    room: { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: SECRET },
    client: httpRelayClient(url),
    cursors: memoryRelayCursors(),
    shared: () => true,
    setShared: () => undefined,
    batchMs: 0,
    retryMs: 20,
  });
  transports.push(t);
  return { doc, t };
};

const type = (doc: Y.Doc, text: string) =>
  doc.transact(() => {
    const p = new Y.XmlElement('paragraph');
    doc.get('root-v2', Y.XmlElement).push([p]);
    const run = new Y.XmlText();
    p.insert(0, [run]);
    run.insert(0, text);
  });

/** Publishes from `from` until `to` receives it (the subscription on the other instance may still be settling). */
async function relayed(from: TestClient, to: TestClient, data: string): Promise<void> {
  from.send({ type: 'publish', topic: TOPIC, data });
  for (let i = 0; i < 20; i++) {
    const got = (await to.next()) as { type: string; topic?: string; data?: unknown };
    if (got.type === 'publish' && got.data === data) return;
  }
  throw new Error(`${data} never arrived`);
}

describe('scale-out on one Redis', () => {
  it('signaling clients on two instances reach each other, both ways', async () => {
    const [one, two] = await Promise.all([instance(), instance()]);
    const a = await TestClient.open(one.wsUrl);
    const b = await TestClient.open(two.wsUrl);
    await a.subscribe(TOPIC);
    await b.subscribe(TOPIC);
    await relayed(a, b, 'offer from a');
    await relayed(b, a, 'answer from b');
    expect(one.server.stats().relayed).toBeGreaterThanOrEqual(1);
  });

  it('three instances serve one relay: a note written through one is read through the others, both ways', async () => {
    const [one, two, three] = await Promise.all([instance(), instance(), instance()]);
    const a = device(one.url);
    type(a.doc, 'through instance one');
    await waitFor('a saved', () => a.t.relayStatus.state === 'saved');
    const b = device(two.url);
    await waitFor('b read it', () => noteText(b.doc).includes('through instance one'));
    type(b.doc, 'through instance two');
    await waitFor('b saved', () => b.t.relayStatus.state === 'saved');
    const c = device(three.url);
    await waitFor('c read both', () => noteText(c.doc) === noteText(b.doc));
    a.t.pullNow();
    await waitFor('a read b', () => noteText(a.doc).includes('through instance two'));
  });

  it('an address has one relay budget across instances, not one per instance', async () => {
    // Three reads, refilled one a day: with budgets in each instance's memory it would get six.
    const limits = { readsPerAddressBurst: 3, readsPerAddressPerSecond: 1 / 86_400 };
    const [one, two] = await Promise.all([instance(limits), instance(limits)]);
    const read = async (server: StartedServer) => {
      const res = await fetch(`${server.url}/relay/v2/${'q'.repeat(43)}?after=0`);
      return { status: res.status, error: ((await res.json()) as { error?: string }).error };
    };
    expect([await read(one), await read(two), await read(one)].map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await read(two)).toEqual({ status: 429, error: 'address-quota' });
    expect(await read(one)).toEqual({ status: 429, error: 'address-quota' });
  });

  it('Redis killed and restarted: nothing acknowledged is lost, and instances reconnect on their own', async () => {
    const [one, two] = await Promise.all([instance(), instance()]);
    const a = device(one.url);
    type(a.doc, 'acknowledged before the crash');
    await waitFor('a saved', () => a.t.relayStatus.state === 'saved');
    await redis.kill();
    type(a.doc, 'written while redis is down');
    await waitFor('a says its change waits', () => a.t.relayStatus.state === 'waiting' && a.t.relayStatus.pending > 0);
    await redis.restart();
    a.t.pullNow();
    await waitFor('a saved again', () => a.t.relayStatus.state === 'saved', 20_000);
    const b = device(two.url);
    await waitFor('b has both', () => noteText(b.doc) === noteText(a.doc), 20_000);
    // Signaling across instances works again too.
    const x = await TestClient.open(one.wsUrl);
    const y = await TestClient.open(two.wsUrl);
    await x.subscribe(TOPIC);
    await y.subscribe(TOPIC);
    await waitFor('fan-out back', async () => {
      try {
        await relayed(x, y, `after restart ${Date.now()}`);
        return true;
      } catch {
        return false;
      }
    }, 20_000);
    const keys = await deriveRelayKeys(SECRET);
    expect((await httpRelayClient(two.url).read(keys.roomId, 0)).count).toBeGreaterThanOrEqual(2);
    // Its waits add up to more than the suite's 30 s (each is only an upper bound): Redis
    // restarting and ioredis's reconnect backoff take seconds on a loaded machine.
  }, 120_000);
});
