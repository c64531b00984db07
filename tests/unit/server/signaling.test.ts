/** The signaling endpoint speaking y-webrtc's protocol to well-behaved clients. */
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, cleanup, expectRelay, openPair, startServer, SERVER_STATE_TIMEOUT_MS } from './serverTestKit.js';
import { waitFor } from '../waitFor.js';

afterEach(cleanup);

describe('signaling', () => {
  it('relays a publish to every subscriber, the sender included, with the subscriber count', async () => {
    const { wsUrl } = await startServer();
    const [a, b] = await openPair(wsUrl, 'room');
    const frame = { type: 'publish', topic: 'room', data: { type: 'announce', from: 'peer-a' } };
    a.send(frame);
    expect(await b.next()).toEqual({ ...frame, clients: 2 });
    expect(await a.next()).toEqual({ ...frame, clients: 2 });
  });

  it('answers ping with pong', async () => {
    const { wsUrl } = await startServer();
    const a = await TestClient.open(wsUrl);
    a.send({ type: 'ping' });
    expect(await a.next()).toEqual({ type: 'pong' });
  });

  it('stops relaying to a connection after it unsubscribes', async () => {
    const { wsUrl, server } = await startServer();
    const [a, b] = await openPair(wsUrl, 'room');
    await b.subscribe('other');
    b.send({ type: 'unsubscribe', topics: ['room'] });
    await b.sync();
    a.send({ type: 'publish', topic: 'room', data: 'not for b' });
    expect(await a.next()).toMatchObject({ data: 'not for b', clients: 1 });
    // Messages from one sender arrive in order: if the first had reached b it would come first.
    await a.subscribe('other');
    a.send({ type: 'publish', topic: 'other', data: 'for b' });
    expect(await b.next()).toMatchObject({ topic: 'other', data: 'for b' });
    expect(server.stats().topics).toBe(2);
  });

  it('ignores a publish to a topic the sender has not subscribed to', async () => {
    const { wsUrl, server } = await startServer();
    const [a, b] = await openPair(wsUrl, 'room');
    const outsider = await TestClient.open(wsUrl);
    outsider.send({ type: 'publish', topic: 'room', data: 'intrusion' });
    await outsider.sync(); // the outsider is still connected: ignored, not closed
    a.send({ type: 'publish', topic: 'room', data: 'legit' });
    expect(await b.next()).toMatchObject({ data: 'legit' });
    expect(server.stats().ignoredPublishes).toBe(1);
  });

  it('keeps topics separate and frees them when clients leave', async () => {
    const { wsUrl, server } = await startServer();
    const [a, b] = await openPair(wsUrl, 'one');
    const [c, d] = await openPair(wsUrl, 'two');
    await expectRelay(a, b, 'one');
    await expectRelay(c, d, 'two');
    expect(server.stats()).toMatchObject({ connections: 4, topics: 2, subscriptions: 4 });
    for (const x of [a, b, c, d]) x.ws.close();
    await Promise.all([a, b, c, d].map((x) => x.closed));
    // The server may see the close just after the clients do.
    await waitFor('the server has seen every close', () => server.stats().connections === 0, SERVER_STATE_TIMEOUT_MS);
    expect(server.stats()).toMatchObject({ connections: 0, topics: 0, subscriptions: 0 });
  });

  it('refuses upgrades on any other path with 404', async () => {
    const { port } = await startServer();
    await expect(TestClient.open(`ws://127.0.0.1:${port}/other`)).rejects.toThrow('HTTP 404');
    await expect(TestClient.open(`ws://127.0.0.1:${port}/signal/../x`)).rejects.toThrow('HTTP 404');
  });

  it('answers a malformed WebSocket handshake with 400 and closes the socket', async () => {
    const { port, server } = await startServer();
    const socket = createConnection({ host: '127.0.0.1', port });
    let response = '';
    socket.on('data', (d: Buffer) => (response += d.toString()));
    const ended = new Promise((r) => socket.on('close', r));
    // No Sec-WebSocket-Key / Version: not a valid upgrade.
    socket.write('GET /signal HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    await ended;
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toContain('X-Content-Type-Options: nosniff');
    expect(server.stats().refused['bad handshake']).toBe(1);
  });

  it('accepts a query string on /signal', async () => {
    const { port } = await startServer();
    const a = await TestClient.open(`ws://127.0.0.1:${port}/signal?v=1`);
    await a.sync();
  });

  describe('Origin', () => {
    it("accepts by default only the server's own origin, as the app served here sends it", async () => {
      const { wsUrl, port, server } = await startServer();
      const own = await TestClient.open(wsUrl, { origin: `http://127.0.0.1:${port}` });
      await own.sync();
      // The same name over TLS (a TLS-terminating proxy in front of us) is ours too.
      await (await TestClient.open(wsUrl, { origin: `https://127.0.0.1:${port}` })).sync();
      for (const origin of ['https://evil.example', `http://127.0.0.1:${port + 1}`, `http://localhost:${port}`, 'null']) {
        await expect(TestClient.open(wsUrl, { origin }), origin).rejects.toThrow('HTTP 403');
      }
      // Not a browser: refused too (a Node client can set the Origin it needs).
      await expect(TestClient.open(wsUrl, { origin: undefined })).rejects.toThrow('HTTP 403');
      // The Host decides what "own" means: a page on another name is not ours.
      await expect(
        TestClient.open(wsUrl, { origin: 'http://notes.example.org', headers: { Host: 'other.example.org' } }),
      ).rejects.toThrow('HTTP 403');
      await (await TestClient.open(wsUrl, { origin: 'https://notes.example.org', headers: { Host: 'notes.example.org' } })).sync();
      expect(server.stats().refused['origin not allowed']).toBe(6);
    });

    it('accepts the origins ALLOWED_ORIGINS adds, and still its own', async () => {
      const { wsUrl, port, server } = await startServer({ allowedOrigins: ['https://notes.example.org'] });
      await (await TestClient.open(wsUrl, { origin: 'https://notes.example.org' })).sync();
      await (await TestClient.open(wsUrl, { origin: `http://127.0.0.1:${port}` })).sync();
      await expect(TestClient.open(wsUrl, { origin: 'https://evil.example.org' })).rejects.toThrow('HTTP 403');
      await expect(TestClient.open(wsUrl, { origin: 'https://notes.example.org.evil.example' })).rejects.toThrow(
        'HTTP 403',
      );
      await expect(TestClient.open(wsUrl, { origin: undefined })).rejects.toThrow('HTTP 403');
      expect(server.stats().refused['origin not allowed']).toBe(3);
    });

    it("accepts any origin, and none, with ALLOWED_ORIGINS='*' (a public signaling server)", async () => {
      const { wsUrl } = await startServer({ allowedOrigins: ['*'] });
      await (await TestClient.open(wsUrl, { origin: 'https://anywhere.example' })).sync();
      await (await TestClient.open(wsUrl, { origin: undefined })).sync();
    });
  });

  it('closes connections with 1001 on shutdown and then refuses new ones', async () => {
    const { wsUrl, server } = await startServer();
    const [a, b] = await openPair(wsUrl, 'room');
    const closing = server.close();
    expect(await a.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect((await b.closed).code).toBe(1001);
    await closing;
    await expect(TestClient.open(wsUrl)).rejects.toThrow();
  });
});
