/**
 * Signaling fan-out through Redis pub/sub: every instance subscribes to one channel and
 * publishes `{i: instance, t: topic, m: text}` for each relayed publish; each delivers
 * the others' messages to its own subscribers of `t`. One channel for all topics is the
 * simplest correct design (no per-topic SUBSCRIBE churn as sockets come and go); every
 * instance sees every publish, which is fine for signaling's small, rare messages.
 * ioredis reconnects (and re-subscribes) after Redis restarts; a publish made while it
 * is down is dropped, as a lost signaling message is: clients announce again.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import type { SignalingFanout } from './SignalingFanout.js';

export const FANOUT_CHANNEL = 'weft:signal';
/** Largest message accepted from the channel (a publish frame is bounded far below). */
const MAX_REMOTE_BYTES = 1024 * 1024;

export class RedisFanout implements SignalingFanout {
  private readonly id = randomBytes(9).toString('base64url');
  private readonly pub: Redis;
  private readonly sub: Redis;
  private deliver: ((topic: string, text: string) => void) | null = null;
  private closed = false;

  constructor(url: string, logger: Logger) {
    this.pub = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.sub = new Redis(url, { maxRetriesPerRequest: null });
    for (const r of [this.pub, this.sub]) r.on('error', () => undefined);
    this.sub.on('ready', () => logger.info('signaling fan-out connected to redis'));
    void this.sub.subscribe(FANOUT_CHANNEL).catch(() => logger.error('signaling fan-out could not subscribe'));
    this.sub.on('message', (_channel: string, message: string) => {
      if (message.length > MAX_REMOTE_BYTES || this.deliver === null) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        return;
      }
      const m = parsed as { i?: unknown; t?: unknown; m?: unknown };
      if (m.i === this.id || typeof m.t !== 'string' || typeof m.m !== 'string') return;
      this.deliver(m.t, m.m);
    });
  }

  /** Resolves once both connections are up (tests, start-up). */
  async ready(): Promise<void> {
    await Promise.all(
      [this.pub, this.sub].map((r) => (r.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => r.once('ready', () => resolve())))),
    );
  }

  publish(topic: string, text: string): void {
    if (this.closed) return;
    this.pub.publish(FANOUT_CHANNEL, JSON.stringify({ i: this.id, t: topic, m: text })).catch(() => undefined);
  }

  onRemote(deliver: (topic: string, text: string) => void): () => void {
    this.deliver = deliver;
    return () => {
      if (this.deliver === deliver) this.deliver = null;
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pub, this.sub].map((r) => r.quit().catch(() => r.disconnect())));
  }
}
