/**
 * What strangers can throw at the signaling endpoint: each abuse closes the abuser (or is
 * ignored), memory stays bounded (checked through `stats()`), well-behaved clients keep
 * relaying, and nothing from the payloads reaches the logs.
 */
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions } from 'ws';
import {
  MAX_CONNECTIONS_PER_ADDRESS,
  MAX_FRAME_BYTES,
  MAX_TOPICS_PER_ADDRESS,
  MAX_TOPICS_PER_CONNECTION,
  RATE_LIMIT_BURST,
} from '../../../server/signalingLimits.js';
import { TestClient, cleanup, expectRelay, openPair, startServer, SERVER_STATE_TIMEOUT_MS, type CloseInfo } from './serverTestKit.js';
import { waitFor } from '../waitFor.js';

afterEach(cleanup);

const SECRET = 'SECRET-7f3a';
/** A second client address on loopback, for "someone else". */
const OTHER_ADDRESS = '127.0.0.2';

/** Garbage a stranger might send, and how the server must close the connection. */
const GARBAGE: Array<{ name: string; send: (c: TestClient) => void; close: CloseInfo }> = [
  { name: 'not JSON', send: (c) => c.ws.send(`${SECRET} hello`), close: { code: 1003, reason: 'invalid JSON' } },
  { name: 'a JSON array', send: (c) => c.ws.send('[]'), close: { code: 1008, reason: 'frame must be an object' } },
  { name: 'JSON null', send: (c) => c.ws.send('null'), close: { code: 1008, reason: 'frame must be an object' } },
  {
    name: 'an unknown type',
    send: (c) => c.send({ type: SECRET }),
    close: { code: 1008, reason: 'unknown message type' },
  },
  {
    name: 'topics of the wrong shape',
    send: (c) => c.send({ type: 'subscribe', topics: SECRET }),
    close: { code: 1008, reason: 'topics must be an array' },
  },
  {
    name: 'a publish without topic',
    send: (c) => c.send({ type: 'publish', data: SECRET }),
    close: { code: 1008, reason: 'invalid topic' },
  },
  {
    name: 'an over-long topic',
    send: (c) => c.send({ type: 'subscribe', topics: ['x'.repeat(1000)] }),
    close: { code: 1008, reason: 'invalid topic' },
  },
  {
    name: 'deep nesting',
    send: (c) => c.ws.send(`{"type":"publish","topic":"t","data":${'['.repeat(30_000)}${']'.repeat(30_000)}}`),
    close: { code: 1008, reason: 'frame nested too deeply' },
  },
  {
    name: 'a binary frame',
    send: (c) => c.ws.send(Buffer.from(JSON.stringify({ type: 'ping' })), { binary: true }),
    close: { code: 1003, reason: 'binary frames not accepted' },
  },
  {
    name: 'invalid UTF-8 in a text frame',
    send: (c) => c.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }),
    close: { code: 1007, reason: '' },
  },
  {
    name: 'an oversized frame',
    send: (c) => c.ws.send(`{"type":"publish","topic":"t","data":"${'x'.repeat(MAX_FRAME_BYTES)}"}`),
    close: { code: 1009, reason: '' },
  },
  {
    name: 'a message in 1,000 fragments',
    send: (c) => {
      for (let i = 0; i < 1000; i++) c.ws.send(' ', { fin: false, binary: false });
      c.ws.send('{}', { fin: true });
    },
    close: { code: 1008, reason: '' },
  },
];

/** Sends each kind of garbage on its own connection and checks how it was closed. */
async function throwGarbage(wsUrl: string): Promise<void> {
  for (const g of GARBAGE) {
    const c = await TestClient.open(wsUrl);
    g.send(c);
    const closed = await c.closed;
    expect(closed.code, g.name).toBe(g.close.code);
    if (g.close.reason) expect(closed.reason, g.name).toBe(g.close.reason);
  }
}

/** Opens a client whose TCP socket the test holds, so it can stop reading (a slow receiver). */
async function openWithSocket(wsUrl: string): Promise<{ client: TestClient; socket: () => Socket }> {
  let socket: Socket | null = null;
  const options: ClientOptions = {
    createConnection: ((opts: { host: string; port: number }) => {
      socket = createConnection({ host: opts.host, port: opts.port });
      return socket;
    }) as unknown as ClientOptions['createConnection'],
  };
  const client = await TestClient.open(wsUrl, options);
  return {
    client,
    socket: () => {
      if (socket === null) throw new Error('no socket');
      return socket;
    },
  };
}

describe('signaling abuse', () => {
  it('closes only the connection that sends garbage; everyone else keeps relaying', async () => {
    const { wsUrl, server, logs } = await startServer();
    const [a, b] = await openPair(wsUrl, 'room');
    await throwGarbage(wsUrl);
    await expectRelay(a, b, 'room');
    await waitFor('the garbage connections are gone', () => server.stats().connections === 2, SERVER_STATE_TIMEOUT_MS);
    expect(server.stats().closed).toMatchObject({ 'frame too large': 1, 'invalid utf-8': 1, 'too many fragments': 1 });
    expect(logs.join('\n')).not.toContain(SECRET);
  });

  it('refuses topics past the per-connection limit one by one; the connection keeps its rooms', async () => {
    const { wsUrl, server } = await startServer();
    const [a, b] = await openPair(wsUrl, 'room');
    const more = Array.from({ length: MAX_TOPICS_PER_CONNECTION }, (_, i) => `${SECRET}-${i}`);
    // `room` plus 63 of these fill the connection: the last one is refused, alone.
    expect(await a.trySubscribe(more)).toEqual([{ type: 'refused', topic: more.at(-1), reason: 'too many topics' }]);
    expect(server.stats()).toMatchObject({ connections: 2, refusedTopics: { 'too many topics': 1 } });
    await expectRelay(a, b, 'room');
    a.send({ type: 'unsubscribe', topics: [more[0]] });
    expect(await a.trySubscribe([more.at(-1)!])).toEqual([]);

    // More topics in one frame than a connection may hold can only be abuse: closed.
    const big = await TestClient.open(wsUrl);
    big.send({ type: 'subscribe', topics: Array.from({ length: 1000 }, (_, i) => `t${i}`) });
    expect(await big.closed).toEqual({ code: 1008, reason: 'too many topics' });
  });

  it('closes a connection that floods subscribes (10,000) on the rate limit, and frees its topics', async () => {
    const { wsUrl, server } = await startServer();
    const c = await TestClient.open(wsUrl);
    for (let i = 0; i < 10_000; i++) c.send({ type: 'subscribe', topics: [`${SECRET}-${i}`] });
    expect(await c.closed).toEqual({ code: 1008, reason: 'rate limit exceeded' });
    expect(server.stats().refusedTopics['too many topics']).toBeLessThanOrEqual(RATE_LIMIT_BURST - MAX_TOPICS_PER_CONNECTION);
    await waitFor('the flooder is gone', () => server.stats().connections === 0, SERVER_STATE_TIMEOUT_MS);
    expect(server.stats()).toMatchObject({ topics: 0, subscriptions: 0 });
  });

  it('bounds topics server-wide: 10,000 topics across connections are refused past the cap, nobody is closed', async () => {
    const maxTotalTopics = 1000;
    const perConn = MAX_TOPICS_PER_CONNECTION;
    const conns = Math.ceil(10_000 / perConn);
    // Per-address quotas out of the way: this is about the server-wide table.
    const { wsUrl, server } = await startServer({
      limits: { maxTotalTopics, maxConnectionsPerAddress: conns + 3, maxTopicsPerAddress: 20_000 },
    });
    const [a, b] = await openPair(wsUrl, 'room');
    const clients = await Promise.all(Array.from({ length: conns }, () => TestClient.open(wsUrl)));
    let refused = 0;
    for (let c = 0; c < conns; c++) {
      const topics = Array.from({ length: perConn }, (_, i) => `${SECRET}-${c * perConn + i}`).slice(0, 10_000 - c * perConn);
      const answer = await clients[c]!.trySubscribe(topics);
      expect(answer).not.toBeNull();
      expect(new Set(answer!.map((r) => r.reason))).toEqual(new Set(answer!.length ? ['server topic limit'] : []));
      refused += answer!.length;
      expect(server.stats().topics).toBeLessThanOrEqual(maxTotalTopics);
    }
    expect(server.stats()).toMatchObject({ topics: maxTotalTopics, connections: conns + 2 });
    expect(refused).toBe(10_000 - (maxTotalTopics - 1));
    // With the table full, existing rooms keep working and can still be joined.
    await expectRelay(a, b, 'room');
    const late = await TestClient.open(wsUrl);
    expect(await late.trySubscribe(['room', 'new-room'])).toEqual([
      { type: 'refused', topic: 'new-room', reason: 'server topic limit' },
    ]);

    // Memory comes back when the hogs leave.
    for (const c of [...clients, a, b, late]) c.ws.close();
    await waitFor('all hogs are gone', () => server.stats().connections === 0, SERVER_STATE_TIMEOUT_MS);
    expect(server.stats()).toMatchObject({ topics: 0, subscriptions: 0 });
  });

  it('refuses a newcomer to a full room that room only: its socket and other rooms stay', async () => {
    const { wsUrl, server } = await startServer({ limits: { maxSubscribersPerTopic: 2 } });
    const [a, b] = await openPair(wsUrl, 'room');
    // The victim already has a room of its own, with a friend.
    const [victim, friend] = await openPair(wsUrl, 'home');
    expect(await victim.trySubscribe(['room', 'elsewhere'])).toEqual([
      { type: 'refused', topic: 'room', reason: 'topic full' },
    ]);
    expect(server.stats()).toMatchObject({ connections: 4, closed: {}, refusedTopics: { 'topic full': 1 } });
    await expectRelay(victim, friend, 'home');
    await expectRelay(a, b, 'room');
    // A place frees up: the victim may ask again.
    b.ws.close();
    await waitFor('b is gone', () => server.stats().connections === 3, SERVER_STATE_TIMEOUT_MS);
    expect(await victim.trySubscribe(['room'])).toEqual([]);
    await expectRelay(a, victim, 'room');
  });

  it('bounds connections per address by default (429), and other addresses still get in', async () => {
    const { wsUrl, server } = await startServer();
    await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_ADDRESS }, () => TestClient.open(wsUrl)));
    await expect(TestClient.open(wsUrl)).rejects.toThrow('HTTP 429');
    expect(server.stats().refused['too many connections from one address']).toBe(1);
    // Another loopback address (Linux routes all of 127/8 to lo) is another client.
    const [c, d] = await Promise.all([0, 1].map(() => TestClient.open(wsUrl, { localAddress: OTHER_ADDRESS })));
    await c!.subscribe('room');
    await d!.subscribe('room');
    await expectRelay(c!, d!, 'room');
  });

  it('bounds topics per address by default: one address cannot fill the server-wide table', async () => {
    const { wsUrl, server } = await startServer();
    const hogs = await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_ADDRESS }, () => TestClient.open(wsUrl)));
    let accepted = 0;
    for (const [n, hog] of hogs.entries()) {
      const topics = Array.from({ length: MAX_TOPICS_PER_CONNECTION }, (_, i) => `${SECRET}-${n}-${i}`);
      const refusals = await hog.trySubscribe(topics);
      expect(refusals).not.toBeNull();
      for (const r of refusals!) expect(r.reason).toBe('too many topics from this address');
      accepted += topics.length - refusals!.length;
    }
    expect(accepted).toBe(MAX_TOPICS_PER_ADDRESS);
    expect(server.stats()).toMatchObject({ topics: MAX_TOPICS_PER_ADDRESS, connections: MAX_CONNECTIONS_PER_ADDRESS });
    // Someone else opens a new room as usual.
    const [c, d] = await Promise.all([0, 1].map(() => TestClient.open(wsUrl, { localAddress: OTHER_ADDRESS })));
    await c!.subscribe('fresh');
    await d!.subscribe('fresh');
    await expectRelay(c!, d!, 'fresh');
  });

  describe('the client address behind a reverse proxy (TRUST_PROXY)', () => {
    const from = (address: string): ClientOptions => ({ headers: { 'X-Forwarded-For': address } });

    it('is off by default: X-Forwarded-For is ignored, so it cannot dodge the quotas', async () => {
      const { wsUrl, server } = await startServer({ limits: { maxConnectionsPerAddress: 2 } });
      await TestClient.open(wsUrl, from('203.0.113.1'));
      await TestClient.open(wsUrl, from('203.0.113.2'));
      await expect(TestClient.open(wsUrl, from('203.0.113.3'))).rejects.toThrow('HTTP 429');
      expect(server.stats().refused['too many connections from one address']).toBe(1);
    });

    it('when on, counts each forwarded client on its own, and a client cannot pose as another', async () => {
      const { wsUrl, server } = await startServer({
        trustedProxyHops: 1,
        limits: { maxConnectionsPerAddress: 2, maxTopicsPerAddress: 2 },
      });
      // Three clients behind the proxy (the proxy is our loopback peer).
      await TestClient.open(wsUrl, from('203.0.113.1'));
      await TestClient.open(wsUrl, from('203.0.113.1'));
      await expect(TestClient.open(wsUrl, from('203.0.113.1'))).rejects.toThrow('HTTP 429');
      // What the client wrote itself is left of what the proxy appended: not believed.
      await expect(TestClient.open(wsUrl, from('198.51.100.7, 203.0.113.1'))).rejects.toThrow('HTTP 429');
      const other = await TestClient.open(wsUrl, from('203.0.113.2'));
      expect(await other.trySubscribe(['a', 'b', 'c'])).toEqual([
        { type: 'refused', topic: 'c', reason: 'too many topics from this address' },
      ]);
      const third = await TestClient.open(wsUrl, from('203.0.113.3'));
      expect(await third.trySubscribe(['c'])).toEqual([]);
      expect(server.stats().refused['too many connections from one address']).toBe(2);
    });
  });

  it('refuses upgrades past the global connection cap with 503', async () => {
    const { wsUrl, server } = await startServer({ limits: { maxConnections: 3 } });
    await Promise.all([0, 1, 2].map(() => TestClient.open(wsUrl)));
    await expect(TestClient.open(wsUrl)).rejects.toThrow('HTTP 503');
    expect(server.stats()).toMatchObject({ connections: 3, refused: { 'server full': 1 } });
  });

  it('closes a publish flooder on the rate limit while a well-behaved pair keeps relaying', async () => {
    const { wsUrl, server } = await startServer();
    const [a, b] = await openPair(wsUrl, 'room');
    const flooder = await TestClient.open(wsUrl);
    await flooder.subscribe(`${SECRET}-flood`);
    for (let i = 0; i < RATE_LIMIT_BURST * 5; i++) {
      flooder.send({ type: 'publish', topic: `${SECRET}-flood`, data: `${SECRET}-${i}` });
    }
    // The pair talks while the flood is being processed.
    await expectRelay(a, b, 'room');
    expect(await flooder.closed).toEqual({ code: 1008, reason: 'rate limit exceeded' });
    expect(server.stats().relayed).toBeLessThanOrEqual(RATE_LIMIT_BURST + 2 + 2);
    // A burst within the limit is fine.
    for (let i = 0; i < RATE_LIMIT_BURST / 4; i++) a.send({ type: 'publish', topic: 'room', data: i });
    for (let i = 0; i < RATE_LIMIT_BURST / 4; i++) {
      expect(await b.next()).toMatchObject({ data: i });
      expect(await a.next()).toMatchObject({ data: i });
    }
    await expectRelay(a, b, 'room');
  });

  it('terminates clients that stop answering pings, and only those', async () => {
    // Short, but long enough that a busy CI event loop does not miss a healthy client's pong.
    const { wsUrl, server } = await startServer({ limits: { pingIntervalMs: 200 } });
    const silent = await TestClient.open(wsUrl, { autoPong: false });
    const [a, b] = await openPair(wsUrl, 'room');
    expect((await silent.closed).code).toBe(1006); // cut, no close handshake
    expect(server.stats().closed['ping timeout']).toBe(1);
    await expectRelay(a, b, 'room');
  });

  it('drops a receiver that stops reading instead of buffering for it without bound', async () => {
    const maxBufferedBytes = 256 * 1024;
    const { wsUrl, server } = await startServer({
      limits: { maxBufferedBytes, rateLimitBurst: 100_000, rateLimitPerSecond: 100_000 },
    });
    const [a, b] = await openPair(wsUrl, 'room');
    const slow = await openWithSocket(wsUrl);
    await slow.client.subscribe('room');
    slow.socket().pause();
    const data = 'x'.repeat(48 * 1024);
    // Loopback socket buffers hold several MiB before the server's queue grows: push until
    // the server gives up on the slow receiver (bounded).
    for (let batch = 0; batch < 200 && !server.stats().closed['slow receiver']; batch++) {
      for (let i = 0; i < 10; i++) a.send({ type: 'publish', topic: 'room', data });
      for (let i = 0; i < 10; i++) {
        await a.next();
        await b.next();
      }
    }
    expect(server.stats().closed['slow receiver']).toBe(1);
    await expectRelay(a, b, 'room');
    expect(server.stats().subscriptions).toBe(2);
  });

  it('survives the whole barrage on one server, and a fresh pair still relays afterwards', async () => {
    const { wsUrl, server, logs } = await startServer({ limits: { pingIntervalMs: 250, maxTotalTopics: 500 } });
    const [a, b] = await openPair(wsUrl, `${SECRET}-room`);
    await throwGarbage(wsUrl);
    const hogs = await Promise.all(Array.from({ length: 20 }, () => TestClient.open(wsUrl)));
    for (const [n, hog] of hogs.entries()) {
      await hog.trySubscribe(Array.from({ length: MAX_TOPICS_PER_CONNECTION }, (_, i) => `${SECRET}-${n}-${i}`));
      expect(server.stats().topics).toBeLessThanOrEqual(500);
    }
    const flooder = await TestClient.open(wsUrl);
    for (let i = 0; i < RATE_LIMIT_BURST * 3; i++) flooder.send({ type: 'ping' });
    expect((await flooder.closed).code).toBe(1008);
    const silent = await TestClient.open(wsUrl, { autoPong: false });
    expect((await silent.closed).code).toBe(1006);
    for (const hog of hogs) hog.ws.close();
    await waitFor('only the original pair is left', () => server.stats().connections === 2, SERVER_STATE_TIMEOUT_MS);

    await expectRelay(a, b, `${SECRET}-room`);
    const [c, d] = await openPair(wsUrl, 'fresh');
    await expectRelay(c, d, 'fresh');
    expect(server.stats()).toMatchObject({ connections: 4, topics: 2, subscriptions: 4 });
    const logText = logs.join('\n');
    expect(logText).toContain('connection closed: rate limit exceeded');
    expect(logText).not.toContain(SECRET);
  });
});
