/**
 * The Weft server: one HTTP server that serves the built PWA, `/config.json`, and the
 * y-webrtc signaling WebSocket at `/signal`, on one port. Tests run it for real on
 * 127.0.0.1 port 0; `main.ts` runs it from the environment.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IceServerConfig } from './config.js';
import { iceServersFor, type TurnConfig } from './turnCredentials.js';
import { createStaticHandler } from './createStaticHandler.js';
import type { Logger } from './logger.js';
import { resolveRequestPath } from './resolveRequestPath.js';
import { SECURITY_HEADERS } from './securityHeaders.js';
import { sendText } from './sendText.js';
import { writeRawResponse } from './writeRawResponse.js';
import type { SignalingLimits } from './signalingLimits.js';
import { SignalingServer, type SignalingStats, type SignalingTestHooks } from './SignalingServer.js';
import { MemoryAddressBudgets, type AddressBudgets, type BudgetRates } from './AddressBudgets.js';
import { budgetRates, createRelayHandler } from './createRelayHandler.js';
import { MemoryRelayStore } from './MemoryRelayStore.js';
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from './relayProtocol.js';
import type { RelayStore } from './RelayStore.js';
import type { SignalingFanout } from './SignalingFanout.js';

/** The WebSocket path y-webrtc clients connect to (`wss://host/signal`). */
export const SIGNALING_PATH = '/signal';
/** The runtime configuration the app fetches (ICE servers, extra signaling URLs). */
export const CONFIG_PATH = '/config.json';
/** A client must finish sending request headers within this (slowloris). */
export const HEADERS_TIMEOUT_MS = 20_000;
/** A client must finish sending a whole request within this. */
export const REQUEST_TIMEOUT_MS = 60_000;
/**
 * Open sockets of any kind (HTTP keep-alive and WebSocket) before Node refuses new ones:
 * file descriptors and per-socket buffers are the server's real memory bound.
 */
export const MAX_SOCKETS = 10_000;
/** How often rooms idle past the relay's TTL are looked for. */
export const RELAY_SWEEP_INTERVAL_MS = 60 * 60_000;
/** `close()` waits this long for in-flight HTTP responses before cutting them. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/** Options of `createWeftServer`. */
export interface WeftServerOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** Directory holding the built app (`dist/`). */
  staticDir: string;
  /** Served in `/config.json` for y-webrtc's `peerOpts.config.iceServers`. */
  iceServers?: readonly IceServerConfig[];
  /** Extra signaling URLs served in `/config.json` (the client adds its own origin's `/signal`). */
  signalingUrls?: readonly string[];
  /** Served in `/config.json` when set: the most WebRTC connections a browser opens itself per note. */
  maxPeerConnections?: number;
  /** STUN URLs served in `/config.json` (before `iceServers`). */
  stunUrls?: readonly string[];
  /**
   * TURN servers sharing a secret with this server: every `/config.json` response carries a
   * credential minted for it (turnCredentials.ts) and `iceCredentialTtl`; never the secret.
   */
  turn?: TurnConfig | null;
  /**
   * Origins whose WebSocket upgrades are accepted besides the server's own (`'*'`: any);
   * others are refused with 403.
   */
  allowedOrigins?: readonly string[];
  /** Reverse proxies whose forwarded headers are believed (default 0; see `clientAddress.ts`). */
  trustedProxyHops?: number;
  /** Signaling limit overrides (tests). */
  limits?: Partial<SignalingLimits>;
  /** Serve the build's source maps (default false: `*.map` is 404). */
  serveSourceMaps?: boolean;
  /** Bound on `close()` waiting for in-flight HTTP (default `SHUTDOWN_TIMEOUT_MS`). */
  shutdownTimeoutMs?: number;
  logger: Logger;
  /**
   * The store-and-forward relay's store (default: in memory). The server closes it on
   * `close()`. `main.ts` passes SQLite under DATA_DIR, or Redis with REDIS_URL.
   */
  relayStore?: RelayStore;
  /** Signaling fan-out to other instances (REDIS_URL); default none. Closed on `close()`. */
  fanout?: SignalingFanout;
  /** Relay limit overrides (tests, bench). */
  relayLimits?: Partial<RelayLimits>;
  /**
   * Makes the relay's per-address budgets from their rates (default: in this process's
   * memory). `main.ts` passes Redis ones with REDIS_URL, shared by every instance. Closed on `close()`.
   */
  relayBudgets?: (rates: BudgetRates) => AddressBudgets;
  /** The clock of the relay's proofs and budgets and of TURN credentials' expiry (tests). */
  now?: () => number;
  /**
   * Test-only signaling hooks, default none (`main.ts` never sets them): `onFrame` sees
   * every frame clients send, `transformRelay` may rewrite relayed publishes.
   */
  testHooks?: SignalingTestHooks;
}

/** Counters for tests and monitoring. */
export interface WeftServerStats extends SignalingStats {
  /** HTTP requests being handled right now. */
  httpInFlight: number;
}

/** A running (or ready to run) Weft server. */
export interface WeftServer {
  /** Starts listening; resolves with the URL (`http://host:port/`) and the actual port. */
  listen(): Promise<{ url: string; port: number }>;
  /**
   * Graceful stop: no new connections, WebSockets closed with 1001, in-flight HTTP
   * finished (cut after `shutdownTimeoutMs`). Idempotent.
   */
  close(): Promise<void>;
  stats(): WeftServerStats;
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** Creates the Weft server. Nothing listens until `listen()`. */
export function createWeftServer(options: WeftServerOptions): WeftServer {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  const logger = options.logger;
  const serveStatic = createStaticHandler(options.staticDir, logger, { serveSourceMaps: options.serveSourceMaps ?? false });
  const turn = options.turn ?? null;
  const now = options.now ?? Date.now;
  // Minted per request when TURN is configured: each client gets its own short-lived credential.
  const configBody = (): Buffer =>
    Buffer.from(
      JSON.stringify({
        iceServers: iceServersFor({ stunUrls: options.stunUrls ?? [], turn, iceServers: options.iceServers ?? [] }, now()),
        signaling: options.signalingUrls ?? [],
        ...(options.maxPeerConnections === undefined ? {} : { maxPeerConnections: options.maxPeerConnections }),
        ...(turn === null ? {} : { iceCredentialTtl: turn.ttlSeconds }),
      }),
      'utf8',
    );
  const signaling = new SignalingServer({
    limits: options.limits,
    allowedOrigins: options.allowedOrigins ?? [],
    trustedProxyHops: options.trustedProxyHops ?? 0,
    logger,
    ...(options.fanout ? { fanout: options.fanout } : {}),
    ...(options.testHooks ? { testHooks: options.testHooks } : {}),
  });
  const relayStore = options.relayStore ?? new MemoryRelayStore();
  const relayLimits = { ...DEFAULT_RELAY_LIMITS, ...options.relayLimits };
  const relayBudgets = (options.relayBudgets ?? ((rates) => new MemoryAddressBudgets(rates)))(budgetRates(relayLimits));
  const relay = createRelayHandler({
    store: relayStore,
    budgets: relayBudgets,
    limits: relayLimits,
    allowedOrigins: new Set(options.allowedOrigins ?? []),
    trustedProxyHops: options.trustedProxyHops ?? 0,
    logger,
    ...(options.now ? { now: options.now } : {}),
  });
  const sweep = (): void => {
    relay.sweep().then(
      (n) => n > 0 && logger.info('relay rooms expired', { rooms: n }),
      () => logger.error('relay sweep failed'),
    );
  };
  const sweeper = setInterval(sweep, RELAY_SWEEP_INTERVAL_MS);
  sweeper.unref();
  let closing: Promise<void> | null = null;
  let inFlight = 0;

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      // Once stopping, a connection whose last response is done is closed right away.
      if (closing !== null) http.closeIdleConnections();
    });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (closing !== null) res.setHeader('Connection', 'close');

    const path = resolveRequestPath(req.url ?? '');
    if (path.ok && relay.matches(path.pathname)) {
      relay.handle(req, res, path.segments);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    if (!path.ok) {
      sendText(res, path.status, path.status === 400 ? 'Bad request' : 'Not found');
      return;
    }
    if (path.pathname === CONFIG_PATH) {
      const body = configBody();
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', body.length);
      // A minted credential is this client's alone: no cache may keep it or hand it to another.
      res.setHeader('Cache-Control', turn === null ? 'no-cache' : 'no-store');
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path.pathname === SIGNALING_PATH) {
      sendText(res, 426, 'This is a WebSocket endpoint', { Upgrade: 'websocket' });
      return;
    }
    void serveStatic(req, res, path);
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = resolveRequestPath(req.url ?? '');
    if (!path.ok || path.pathname !== SIGNALING_PATH) {
      writeRawResponse(socket, 404, 'Not Found');
      return;
    }
    signaling.handleUpgrade(req, socket, head);
  };

  const http = createHttpServer(handleRequest);
  http.headersTimeout = HEADERS_TIMEOUT_MS;
  http.requestTimeout = REQUEST_TIMEOUT_MS;
  http.maxConnections = MAX_SOCKETS;
  http.on('upgrade', handleUpgrade);
  // Node answers malformed requests itself when no listener exists; with one it is ours to do.
  http.on('clientError', (err: Error & { code?: string }, socket) => {
    if (err.code === 'ECONNRESET') return socket.destroy();
    writeRawResponse(socket, 400, 'Bad Request');
  });

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        http.once('error', onError);
        http.listen(port, host, () => {
          http.off('error', onError);
          http.on('error', () => logger.error('http server error'));
          const actual = (http.address() as AddressInfo).port;
          resolve({ url: `http://${urlHost(host)}:${actual}/`, port: actual });
        });
      }),

    close: () => {
      closing ??= (async () => {
        const httpClosed = new Promise<void>((resolve) => {
          if (!http.listening) return resolve();
          http.close(() => resolve());
        });
        http.closeIdleConnections();
        await signaling.close();
        const timeoutMs = options.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        if ((await Promise.race([httpClosed, timedOut])) === 'timeout') {
          logger.error('shutdown timeout: cutting open HTTP connections', { inFlight });
          http.closeAllConnections();
          await httpClosed;
        }
        clearTimeout(timer);
        clearInterval(sweeper);
        await Promise.all([relayStore.close(), relayBudgets.close(), options.fanout?.close()]);
      })();
      return closing;
    },

    stats: () => ({ ...signaling.stats(), httpInFlight: inFlight }),
  };
}
