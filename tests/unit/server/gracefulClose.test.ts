/** `WeftServer.close()`: in-flight HTTP finishes, new connections are refused, WebSockets get 1001. */
import { writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, cleanup, makeTempDir, rawRequest, startServer } from './serverTestKit.js';
import { eventually } from '../waitFor';

afterEach(cleanup);

/** Larger than loopback socket buffers, so the response is still streaming when close() starts. */
const BIG = 32 * 1024 * 1024;

describe('graceful close', () => {
  it('finishes an in-flight download, refuses new connections, and resolves afterwards', async () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, 'index.html'), 'x');
    writeFileSync(join(dir, 'big.txt'), Buffer.alloc(BIG, 'a'));
    const { server, port, wsUrl } = await startServer({ staticDir: dir });
    const ws = await TestClient.open(wsUrl);

    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/big.txt', agent: false }, resolve).on('error', reject).end();
    });
    res.pause(); // hold the download open
    expect(server.stats().httpInFlight).toBe(1);

    let closed = false;
    const closing = server.close().then(() => (closed = true));
    expect((await ws.closed).code).toBe(1001);
    await expect(rawRequest(port, '/')).rejects.toThrow(/ECONNREFUSED/);
    expect(closed).toBe(false);

    let received = 0;
    res.on('data', (c: Buffer) => (received += c.length));
    const ended = new Promise((r) => res.on('end', r));
    res.resume();
    await ended;
    await closing;
    expect(received).toBe(BIG);
    // The response's 'close' (which counts it out) can come after the server's
    // own close callback under load: wait on the counter, not on the order.
    await eventually(() => expect(server.stats()).toMatchObject({ httpInFlight: 0, connections: 0 }));
  });

  it('cuts a download that outlasts the shutdown bound', async () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, 'index.html'), 'x');
    writeFileSync(join(dir, 'big.txt'), Buffer.alloc(BIG, 'a'));
    const { server, port } = await startServer({ staticDir: dir, shutdownTimeoutMs: 50 });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/big.txt', agent: false }, resolve).on('error', reject).end();
    });
    res.pause(); // stalls the download
    await server.close(); // resolves although the download never finished
    // Reading again, the client finds the connection cut short.
    let received = 0;
    res.on('data', (c: Buffer) => (received += c.length));
    res.on('error', () => {});
    const done = new Promise((r) => res.on('close', r));
    res.resume();
    await done;
    expect(res.complete).toBe(false);
    expect(received).toBeLessThan(BIG);
  });
});
