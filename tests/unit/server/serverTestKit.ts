/**
 * Shared helpers for the server tests: a real Weft server on 127.0.0.1:0, real `ws`
 * clients with an awaitable message queue, raw HTTP requests, and a registry of everything
 * opened so `cleanup()` (called in afterEach) closes it all. Everything waits on events,
 * never on sleeps.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { createWeftServer, type WeftServer, type WeftServerOptions } from '../../../server/createServer.js';
import { createLogger, type Logger } from '../../../server/logger.js';

/** A started server and its URLs. */
export interface StartedServer {
  server: WeftServer;
  url: string;
  port: number;
  wsUrl: string;
  /** Every line the server logged. */
  logs: string[];
}

const servers: WeftServer[] = [];
const clients: TestClient[] = [];
const tempDirs: string[] = [];

/** Starts a server on 127.0.0.1:0 with a capturing logger; closed by `cleanup()`. */
export async function startServer(options: Partial<WeftServerOptions> = {}): Promise<StartedServer> {
  const logs: string[] = [];
  const logger: Logger = createLogger((line) => logs.push(line));
  const server = createWeftServer({
    staticDir: options.staticDir ?? makeTempDir(),
    logger,
    ...options,
    host: '127.0.0.1',
    port: 0,
  });
  servers.push(server);
  const { url, port } = await server.listen();
  return { server, url, port, wsUrl: `ws://127.0.0.1:${port}/signal`, logs };
}

/** A fresh temporary directory, removed by `cleanup()`. */
export function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-server-test-'));
  tempDirs.push(dir);
  return dir;
}

/** How a WebSocket ended. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** A `ws` client whose incoming messages can be awaited one by one. */
export class TestClient {
  private readonly queue: unknown[] = [];
  private readonly waiters: Array<(m: unknown) => void> = [];
  /** Resolves when the socket closes. */
  readonly closed: Promise<CloseInfo>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('message', (data: RawData) => {
      const m: unknown = JSON.parse(data.toString());
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
    // Errors (e.g. the server cutting us) surface through `closed`.
    ws.on('error', () => {});
  }

  /**
   * Opens a client; resolves once open, rejects with the HTTP status if the upgrade is refused.
   * It sends the server's own Origin, as the app served there does, unless `options` says
   * otherwise (`{ origin: undefined }`: no Origin header at all).
   */
  static open(url: string, options: ClientOptions = {}): Promise<TestClient> {
    const own = `http://${new URL(url).host}`;
    const ws = new WebSocket(url, 'origin' in options ? options : { ...options, origin: own });
    const client = new TestClient(ws);
    clients.push(client);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.once('error', (err) => reject(err));
    });
  }

  /** Sends a JSON message. */
  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The next message received (already queued or yet to come). */
  next(): Promise<unknown> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Round-trips a ping: once the pong is back, every earlier message from us has been processed. */
  async sync(): Promise<void> {
    this.send({ type: 'ping' });
    const m = await this.next();
    if ((m as { type?: unknown }).type !== 'pong') throw new Error(`expected pong, got ${JSON.stringify(m)}`);
  }

  /** Subscribes and waits until the server has applied it (throws if any topic was refused). */
  async subscribe(...topics: string[]): Promise<void> {
    this.send({ type: 'subscribe', topics });
    await this.sync();
  }

  /**
   * Subscribes and resolves with the server's refusals (empty: every topic was added), or
   * null if the server closed the connection instead.
   */
  async trySubscribe(topics: readonly string[]): Promise<Refusal[] | null> {
    this.send({ type: 'subscribe', topics });
    this.send({ type: 'ping' });
    const refusals: Refusal[] = [];
    // Bounded: at most one refusal per topic, then the pong.
    for (let i = 0; i <= topics.length; i++) {
      const m = await Promise.race([this.next(), this.closed.then(() => null)]);
      if (m === null) return null;
      const frame = m as { type?: unknown };
      if (frame.type === 'pong') return refusals;
      if (frame.type !== 'refused') throw new Error(`expected a refusal or pong, got ${JSON.stringify(m)}`);
      refusals.push(m as Refusal);
    }
    throw new Error('no pong after the refusals');
  }
}

/** The server's answer to a topic it did not add: `{type:'refused', topic, reason}`. */
export interface Refusal {
  type: 'refused';
  topic: string;
  reason: string;
}

/** Opens two clients subscribed to `topic`. */
export async function openPair(wsUrl: string, topic: string): Promise<[TestClient, TestClient]> {
  const a = await TestClient.open(wsUrl);
  const b = await TestClient.open(wsUrl);
  await a.subscribe(topic);
  await b.subscribe(topic);
  return [a, b];
}

/** Checks that `a` and `b` relay on `topic` both ways (each also gets its own publish back). */
export async function expectRelay(a: TestClient, b: TestClient, topic: string): Promise<void> {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const data = { n: Math.random() };
    from.send({ type: 'publish', topic, data });
    const got = (await to.next()) as { type: string; topic: string; data: unknown };
    const echo = (await from.next()) as { data: unknown };
    if (got.type !== 'publish' || got.topic !== topic || JSON.stringify(got.data) !== JSON.stringify(data)) {
      throw new Error(`relay failed: ${JSON.stringify(got)}`);
    }
    if (JSON.stringify(echo.data) !== JSON.stringify(data)) throw new Error('sender did not get its echo');
  }
}

/**
 * How long a test waits for server-side state (stats) that has no event a client can observe
 * (through tests/unit/waitFor.ts, the one poller of the unit tests).
 */
export const SERVER_STATE_TIMEOUT_MS = 10_000;

/** A plain HTTP response. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  body: string;
  /** The body's bytes, as sent (still compressed when Content-Encoding says so). */
  bytes: Buffer;
}

/** Sends `path` exactly as given (no normalization, unlike fetch). */
export function rawRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Closes every client and server opened through this kit, and removes temp dirs. */
export async function cleanup(): Promise<void> {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
