/**
 * How a publish reaches subscribers on other server instances. One instance alone needs
 * nothing (`localFanout`); with REDIS_URL every instance publishes what its clients send
 * to one Redis channel and delivers what others publish there to its own subscribers
 * (RedisFanout.ts). Publishes are opaque JSON text the instance already checked.
 */
export interface SignalingFanout {
  /** Sends a relayed publish (`text`, for `topic`) to the other instances. */
  publish(topic: string, text: string): void;
  /** Registers the one receiver of other instances' publishes; returns its disposer. */
  onRemote(deliver: (topic: string, text: string) => void): () => void;
  close(): Promise<void>;
}

/** One instance: nothing to fan out. */
export const localFanout = (): SignalingFanout => ({
  publish: () => undefined,
  onRemote: () => () => undefined,
  close: () => Promise.resolve(),
});
