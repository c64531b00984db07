/**
 * The y-webrtc signaling endpoint: thin WebSocket wiring around the pure protocol parser
 * (`signalingProtocol.ts`), the bounded registry (`TopicRegistry.ts`) and a per-connection
 * `TokenBucket`. It relays opaque (encrypted, for Weft) offers and answers between peers
 * that share a topic; it never inspects or logs what they carry.
 *
 * Policy, in one place:
 * - bad frame (not JSON, not an object, unknown type, wrong shape, too deep) → close 1003/1008
 * - binary frame → close 1003; frame over `maxFrameBytes` → close 1009, invalid UTF-8 →
 *   1007, too many fragments → 1008 (these three by `ws` itself)
 * - over the rate limit → close 1008
 * - a subscribe past a bound (topics per connection or per address, server-wide topics,
 *   subscribers per topic) → that topic is refused with `{type:'refused', topic, reason}`
 *   and the connection stays, with its other topics: closing it would let anyone who can
 *   fill a room (or share a NAT) cut a victim off from all its rooms.
 * - upgrade from an Origin that is not allowed → 403; past the connections of one client
 *   address → 429; past the server's connections → 503
 * - publish to a topic the sender has not subscribed to → IGNORED (counted in stats), not
 *   closed: y-webrtc encrypts publishes asynchronously, so a legitimate client can publish
 *   just after unsubscribing, and closing it would drop its other rooms too.
 * - no pong since the previous ping → terminated
 * - a receiver with more than `maxBufferedBytes` queued → terminated (slow receiver)
 * - any exception in a handler → that connection is closed 1011; the server carries on.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Logger } from './logger.js';
import {
  BINARY_FRAME_ERROR,
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL_ERROR,
  CLOSE_POLICY_VIOLATION,
  PONG_FRAME,
  encodePublish,
  encodeRefusal,
  parseSignalingFrame,
} from './signalingProtocol.js';
import { DEFAULT_SIGNALING_LIMITS, type SignalingLimits } from './signalingLimits.js';
import { TokenBucket } from './TokenBucket.js';
import { TopicRegistry, type SubscribeRefusal } from './TopicRegistry.js';
import { clientAddress } from './clientAddress.js';
import { isOriginAllowed } from './isOriginAllowed.js';
import { writeRawResponse } from './writeRawResponse.js';
import { localFanout, type SignalingFanout } from './SignalingFanout.js';

/** Options of a signaling server. */
export interface SignalingServerOptions {
  /** Overrides of `DEFAULT_SIGNALING_LIMITS` (tests use small ones). */
  limits?: Partial<SignalingLimits>;
  /**
   * Origins accepted besides the server's own (see `isOriginAllowed.ts`); `'*'` accepts
   * any. Default: none, only the server's own.
   */
  allowedOrigins?: readonly string[];
  /**
   * Reverse proxies in front of the server whose `X-Forwarded-For` (and
   * `X-Forwarded-Proto`) entries are believed (see `clientAddress.ts`). Default 0: the
   * TCP peer is the client.
   */
  trustedProxyHops?: number;
  logger: Logger;
  /** Publishes to and from other instances (default: none, one instance). Closed by its owner. */
  fanout?: SignalingFanout;
  /** Test-only hooks (see `SignalingTestHooks`); production passes none. */
  testHooks?: SignalingTestHooks;
}

/**
 * Test-only hooks, default none: never set by `main.ts`. They let end-to-end tests
 * prove what the server can see and how clients survive a hostile relay.
 */
export interface SignalingTestHooks {
  /** Called with every text frame a client sends, before it is parsed (a capture of all input). */
  onFrame?: (text: string) => void;
  /**
   * Rewrites each relayed publish (the JSON text sent to receivers), e.g. to tamper with
   * ciphertext; several strings are sent in order (a tampered copy, then the original).
   */
  transformRelay?: (text: string) => string | readonly string[];
}

/** Counters exposed for tests and monitoring: sizes only, never contents. */
export interface SignalingStats {
  connections: number;
  topics: number;
  subscriptions: number;
  /** Publishes relayed (each counted once, whatever the fan-out). */
  relayed: number;
  /** Publishes dropped because the sender had not subscribed to the topic. */
  ignoredPublishes: number;
  /** Upgrades refused, by reason. */
  refused: Record<string, number>;
  /** Topics refused to a subscribe (the connection stayed), by reason. */
  refusedTopics: Record<string, number>;
  /** Connections closed by the server, by reason. */
  closed: Record<string, number>;
}

interface Conn {
  readonly ws: WebSocket;
  /** The client address its quotas count against (`clientAddress`). */
  readonly address: string;
  readonly bucket: TokenBucket;
  /** Ponged since the last ping. */
  alive: boolean;
  /** The server has decided to close it: it receives and sends nothing more. */
  closing: boolean;
  closeTimer: NodeJS.Timeout | null;
}

/** `ws` error codes worth a name in the logs; anything else is a "protocol error". */
const WS_ERROR_REASONS: Readonly<Record<string, string>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'frame too large',
  WS_ERR_INVALID_UTF8: 'invalid utf-8',
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 'too many fragments',
};

/** The reason a refused topic is answered with: fixed strings, safe to send and log. */
const REFUSAL_REASONS: Readonly<Record<SubscribeRefusal, string>> = {
  'topics per connection': 'too many topics',
  'topics per address': 'too many topics from this address',
  'total topics': 'server topic limit',
  'subscribers per topic': 'topic full',
};

const rawToText = (data: RawData): string =>
  (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');

/** The signaling half of the Weft server. */
export class SignalingServer {
  private readonly limits: SignalingLimits;
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly trustedProxyHops: number;
  private readonly logger: Logger;
  private readonly hooks: SignalingTestHooks;
  private readonly wss: WebSocketServer;
  private readonly registry: TopicRegistry<Conn>;
  private readonly conns = new Set<Conn>();
  private readonly connsPerAddress = new Map<string, number>();
  private readonly pingTimer: NodeJS.Timeout;
  private readonly counters = { relayed: 0, ignoredPublishes: 0 };
  private readonly refused: Record<string, number> = {};
  private readonly refusedTopics: Record<string, number> = {};
  private readonly closed: Record<string, number> = {};
  private shuttingDown = false;
  private onEmpty: (() => void) | null = null;
  private readonly fanout: SignalingFanout;
  private readonly disposeFanout: () => void;

  constructor(options: SignalingServerOptions) {
    this.limits = { ...DEFAULT_SIGNALING_LIMITS, ...options.limits };
    this.allowedOrigins = new Set(options.allowedOrigins ?? []);
    this.trustedProxyHops = options.trustedProxyHops ?? 0;
    this.logger = options.logger;
    this.hooks = options.testHooks ?? {};
    this.registry = new TopicRegistry<Conn>(this.limits, (conn) => conn.address);
    this.fanout = options.fanout ?? localFanout();
    // Another instance's client published to a topic: our subscribers of it get it too.
    this.disposeFanout = this.fanout.onRemote((topic, text) => {
      for (const receiver of [...this.registry.subscribers(topic)]) this.send(receiver, text);
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxFrameBytes,
      maxFragments: this.limits.maxFragments,
      maxBufferedChunks: this.limits.maxBufferedChunks,
      // Compression would let a small frame inflate into a large allocation: off.
      perMessageDeflate: false,
      clientTracking: false,
    });
    // With this listener `ws` leaves answering a malformed handshake to us.
    this.wss.on('wsClientError', (_err: Error, socket: Duplex) => {
      this.countRefusal('bad handshake');
      writeRawResponse(socket, 400, 'Bad Request');
    });
    this.wss.on('error', () => this.logger.error('websocket server error'));
    this.pingTimer = setInterval(() => this.pingAll(), this.limits.pingIntervalMs);
    // The HTTP server keeps the process alive, not this timer.
    this.pingTimer.unref();
  }

  /**
   * Handles an HTTP upgrade to the signaling path: checks shutdown, Origin and capacity,
   * then completes the WebSocket handshake.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Without a listener a reset during the handshake would be an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, text: string, reason: string): void => {
      this.countRefusal(reason);
      writeRawResponse(socket, status, text);
    };
    if (this.shuttingDown) return refuse(503, 'Service Unavailable', 'shutting down');
    if (!isOriginAllowed(req, this.allowedOrigins, this.trustedProxyHops)) {
      return refuse(403, 'Forbidden', 'origin not allowed');
    }
    if (this.conns.size >= this.limits.maxConnections) return refuse(503, 'Service Unavailable', 'server full');
    const address = clientAddress(req, this.trustedProxyHops);
    if ((this.connsPerAddress.get(address) ?? 0) >= this.limits.maxConnectionsPerAddress) {
      return refuse(429, 'Too Many Requests', 'too many connections from one address');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, address));
  }

  /** Current counters. */
  stats(): SignalingStats {
    const r = this.registry.stats();
    return {
      connections: this.conns.size,
      topics: r.topics,
      subscriptions: r.subscriptions,
      relayed: this.counters.relayed,
      ignoredPublishes: this.counters.ignoredPublishes,
      refused: { ...this.refused },
      refusedTopics: { ...this.refusedTopics },
      closed: { ...this.closed },
    };
  }

  /**
   * Closes every connection with 1001 and refuses new ones. Resolves once all are gone;
   * a peer that does not finish the close handshake is cut after `closeGraceMs`.
   */
  close(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.pingTimer);
    this.disposeFanout();
    if (this.conns.size > 0) this.logger.info('closing signaling connections', { connections: this.conns.size });
    for (const conn of this.conns) this.drop(conn, CLOSE_GOING_AWAY, 'server shutting down', false);
    return new Promise((resolve) => {
      const done = (): void => {
        this.wss.close();
        resolve();
      };
      if (this.conns.size === 0) done();
      else this.onEmpty = done;
    });
  }

  private onConnection(ws: WebSocket, address: string): void {
    const conn: Conn = {
      ws,
      address,
      bucket: new TokenBucket(this.limits.rateLimitBurst, this.limits.rateLimitPerSecond, Date.now()),
      alive: true,
      closing: false,
      closeTimer: null,
    };
    this.conns.add(conn);
    this.connsPerAddress.set(address, (this.connsPerAddress.get(address) ?? 0) + 1);
    // Raced with shutdown (the upgrade began before close()): let it go at once.
    if (this.shuttingDown) this.drop(conn, CLOSE_GOING_AWAY, 'server shutting down', false);

    ws.on('message', (data, isBinary) => this.guard(conn, () => this.onMessage(conn, data, isBinary)));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // `ws` closes the socket itself after a protocol error (1009 for oversized frames, 1007
      // for bad UTF-8); this listener only keeps the error from becoming uncaught.
      const reason = WS_ERROR_REASONS[err.code ?? ''] ?? 'protocol error';
      if (!conn.closing) this.countClose(reason);
      conn.closing = true;
      this.registry.removeConnection(conn);
    });
    ws.on('close', () => this.onClose(conn));
  }

  private onClose(conn: Conn): void {
    if (conn.closeTimer !== null) clearTimeout(conn.closeTimer);
    conn.closing = true;
    this.registry.removeConnection(conn);
    if (!this.conns.delete(conn)) return;
    const n = (this.connsPerAddress.get(conn.address) ?? 1) - 1;
    if (n <= 0) this.connsPerAddress.delete(conn.address);
    else this.connsPerAddress.set(conn.address, n);
    if (this.conns.size === 0 && this.onEmpty !== null) {
      const done = this.onEmpty;
      this.onEmpty = null;
      done();
    }
  }

  /** Runs `fn`; if it throws, only this connection pays (closed 1011), never the process. */
  private guard(conn: Conn, fn: () => void): void {
    try {
      fn();
    } catch {
      this.logger.error('signaling handler failed');
      this.drop(conn, CLOSE_INTERNAL_ERROR, 'internal error');
    }
  }

  private onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    if (conn.closing) return;
    if (!conn.bucket.take(Date.now())) return this.drop(conn, CLOSE_POLICY_VIOLATION, 'rate limit exceeded');
    if (isBinary) return this.drop(conn, BINARY_FRAME_ERROR.code, BINARY_FRAME_ERROR.reason);
    const text = rawToText(data);
    this.hooks.onFrame?.(text);
    const parsed = parseSignalingFrame(text, this.limits);
    if (!parsed.ok) return this.drop(conn, parsed.error.code, parsed.error.reason);
    const message = parsed.message;
    switch (message.type) {
      case 'subscribe': {
        // At most `maxTopicsPerConnection` answers per frame (the parser's bound), and the
        // frame itself was paid for from the rate limit.
        for (const { topic, refusal } of this.registry.subscribe(conn, message.topics)) {
          const reason = REFUSAL_REASONS[refusal];
          this.refusedTopics[reason] = (this.refusedTopics[reason] ?? 0) + 1;
          this.send(conn, encodeRefusal(topic, reason));
        }
        return;
      }
      case 'unsubscribe':
        this.registry.unsubscribe(conn, message.topics);
        return;
      case 'publish': {
        if (!this.registry.isSubscribed(conn, message.topic)) {
          this.counters.ignoredPublishes++;
          return;
        }
        // Copied: a slow receiver dropped while sending leaves the live set.
        const receivers = [...this.registry.subscribers(message.topic)];
        const encoded = encodePublish(message.frame, receivers.length);
        const relayed = this.hooks.transformRelay ? this.hooks.transformRelay(encoded) : encoded;
        const frames = typeof relayed === 'string' ? [relayed] : relayed;
        this.counters.relayed++;
        for (const receiver of receivers) {
          for (const text of frames) this.send(receiver, text);
        }
        this.fanout.publish(message.topic, encoded);
        return;
      }
      case 'ping':
        this.send(conn, PONG_FRAME);
        return;
    }
  }

  private send(conn: Conn, text: string): void {
    if (conn.closing || conn.ws.readyState !== WebSocket.OPEN) return;
    if (conn.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      // Its queue is full, so a close frame would wait behind it: cut it instead.
      this.cut(conn, 'slow receiver');
      return;
    }
    try {
      conn.ws.send(text);
    } catch {
      this.drop(conn, CLOSE_INTERNAL_ERROR, 'send failed');
    }
  }

  /** Terminates a connection at once, without a close handshake (it would not get through). */
  private cut(conn: Conn, reason: 'slow receiver' | 'ping timeout'): void {
    this.countClose(reason);
    this.logger.info(`connection terminated: ${reason}`);
    conn.closing = true;
    this.registry.removeConnection(conn);
    conn.ws.terminate();
  }

  private pingAll(): void {
    for (const conn of this.conns) {
      if (conn.closing) continue;
      if (!conn.alive) {
        this.cut(conn, 'ping timeout');
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        this.drop(conn, CLOSE_INTERNAL_ERROR, 'ping failed');
      }
    }
  }

  /**
   * Closes `conn` with `code`/`reason` (a fixed string, never client data). It stops
   * receiving relays at once; if the peer does not complete the close handshake within
   * `closeGraceMs` the socket is cut.
   */
  private drop(conn: Conn, code: number, reason: string, log = true): void {
    if (conn.closing) return;
    conn.closing = true;
    this.registry.removeConnection(conn);
    this.countClose(reason);
    if (log) this.logger.info(`connection closed: ${reason}`, { code });
    try {
      conn.ws.close(code, reason);
    } catch {
      conn.ws.terminate();
    }
    conn.closeTimer = setTimeout(() => conn.ws.terminate(), this.limits.closeGraceMs);
    conn.closeTimer.unref();
  }

  private countClose(reason: string): void {
    this.closed[reason] = (this.closed[reason] ?? 0) + 1;
  }

  private countRefusal(reason: string): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
    this.logger.info(`upgrade refused: ${reason}`);
  }
}
