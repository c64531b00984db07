/**
 * The deployment's sync configuration for the life of the page: the copy
 * cached on this device at once, then `/config.json` fetched now and again
 * before its TURN credentials expire, so that connections opened (or ICE
 * restarts made) hours into a session still get a relay. A failed fetch is
 * retried with backoff and when the browser comes back online; until then
 * the last good configuration stays in use.
 */
import type { SyncConfig } from './syncConfig';

/** Fetch fresh credentials once this share of their lifetime has passed (half: one failed fetch still leaves time). */
export const REFRESH_AT_FRACTION = 0.5;
/** Never refresh more often than this, whatever a deployment's TTL. */
export const MIN_REFRESH_MS = 30_000;
/** First retry after a failed fetch; doubles up to {@link MAX_RETRY_MS}. */
export const FIRST_RETRY_MS = 5_000;
export const MAX_RETRY_MS = 5 * 60_000;

export interface SyncConfigSourceOptions {
  /** The configuration to use until the first fetch answers (the cached one). */
  readonly initial: SyncConfig;
  /** One fetch of `/config.json`: null on failure (syncConfig.ts `fetchSyncConfig`). */
  readonly fetch: () => Promise<SyncConfig | null>;
  /** Subscribes to "the network is back" (the browser's `online` event); returns the disposer. */
  readonly onOnline?: (listener: () => void) => () => void;
  readonly setTimeout?: (run: () => void, ms: number) => unknown;
  readonly clearTimeout?: (timer: unknown) => void;
}

export class SyncConfigSource {
  private config: SyncConfig;
  private readonly listeners = new Set<() => void>();
  private timer: unknown = null;
  private failures = 0;
  private fetching: Promise<void> | null = null;
  private disposeOnline: (() => void) | null = null;
  private destroyed = false;
  private readonly setTimer: (run: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(private readonly options: SyncConfigSourceOptions) {
    this.config = options.initial;
    this.setTimer = options.setTimeout ?? ((run, ms) => globalThis.setTimeout(run, ms));
    this.clearTimer = options.clearTimeout ?? ((timer) => globalThis.clearTimeout(timer as ReturnType<typeof setTimeout>));
  }

  /** The configuration to use now. */
  current(): SyncConfig {
    return this.config;
  }

  /** Calls `listener` after each fetched configuration. Returns its disposer. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fetches now and keeps the configuration fresh until {@link destroy}. */
  start(): void {
    if (this.destroyed || this.disposeOnline !== null) return;
    this.disposeOnline = this.options.onOnline?.(() => void this.refresh()) ?? (() => undefined);
    void this.refresh();
  }

  /** Fetches now (one fetch at a time); resolves once it answered. */
  refresh(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.fetching ??= this.options
      .fetch()
      .catch(() => null)
      .then((config) => {
        this.fetching = null;
        if (this.destroyed) return;
        if (config === null) {
          this.failures++;
          this.schedule(Math.min(FIRST_RETRY_MS * 2 ** (this.failures - 1), MAX_RETRY_MS));
          return;
        }
        this.failures = 0;
        this.config = config;
        // Static configurations never change under a running page; minted credentials do.
        if (config.iceCredentialTtl !== undefined) {
          this.schedule(Math.max(config.iceCredentialTtl * 1000 * REFRESH_AT_FRACTION, MIN_REFRESH_MS));
        } else this.cancel();
        for (const listener of [...this.listeners]) listener();
      });
    return this.fetching;
  }

  destroy(): void {
    this.destroyed = true;
    this.cancel();
    this.disposeOnline?.();
    this.listeners.clear();
  }

  private schedule(ms: number): void {
    this.cancel();
    this.timer = this.setTimer(() => {
      this.timer = null;
      void this.refresh();
    }, ms);
  }

  private cancel(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }
}
