/**
 * One RTCDataChannel as a message link: frames large messages and
 * reassembles them (chunking.ts), compresses large ones between Weft peers
 * (compression.ts), queues frames under backpressure, counts strikes, and
 * hands whole messages to `onMessage` in order. The first stages of the
 * inbound pipeline; the peer room (PeerRoom.ts) runs the rest.
 *
 * Backpressure: frames are handed to the browser while its `bufferedAmount`
 * is below {@link SEND_HIGH_WATER_BYTES}, the rest on `bufferedamountlow`.
 * That keeps a huge message from overflowing the send buffer (Chromium
 * throws above 16 MiB), while any real message (a 1 MB paste is a 1.6 MB
 * update) goes to the browser in one go: frames waiting in our queue only
 * move when the main thread is free, and right after a large edit it is busy
 * laying it out.
 *
 * Compression is negotiated per channel: the offerer creates it with
 * `protocol` = {@link CHANNEL_PROTOCOL} ("I decode compressed messages"); an
 * answerer that sees it says the same with {@link HELLO} and both compress
 * messages of {@link COMPRESS_ABOVE_BYTES} or more. Stock y-webrtc never sees
 * one. Compressing and decompressing are asynchronous, so messages behind one
 * wait for it: both directions keep their order.
 */

import { MAX_MESSAGE_BYTES, Reassembler, assertSendable, encodeMessage } from './chunking';
import {
  CHANNEL_PROTOCOL,
  COMPRESSED_MARKER,
  HELLO,
  compressMessage,
  decompressMessage,
  isHello,
  shouldCompress,
} from './compression';

/**
 * Stop handing frames to the real channel while it buffers more than this:
 * half of Chromium's 16 MiB send-buffer limit, so one more frame never
 * overflows it.
 */
export const SEND_HIGH_WATER_BYTES = 8 * 1024 * 1024;
/**
 * Resume when the real channel's buffer drains below this (its
 * `bufferedAmountLowThreshold`): enough left in flight (~100 ms at loopback
 * throughput) to cover a busy main thread before the refill.
 */
export const SEND_LOW_WATER_BYTES = 2 * 1024 * 1024;
/** A peer that cannot take this much queued data is too slow: close and resync on reconnect. */
export const MAX_SEND_QUEUE_BYTES = 2 * MAX_MESSAGE_BYTES;
/** Invalid messages after which the peer's channel is closed. */
export const MAX_PEER_STRIKES = 3;

export { CHANNEL_PROTOCOL };

/** What a link knows about compression with its peer when it is created. */
export interface CompressionState {
  /** We decode compressed messages (and told the peer so, or will). */
  decodes: boolean;
  /** The peer decodes them: we may send compressed messages. */
  peerDecodes: boolean;
  /** We are the answerer of a peer that offered compression: say we decode too. */
  sendHello: boolean;
}

/** Compression state of the offering side (`offer`: we create the channel with {@link CHANNEL_PROTOCOL}). */
export const offeringCompression = (offer: boolean): CompressionState => ({ decodes: offer, peerDecodes: false, sendHello: false });
/** Compression state of the answering side, from the channel the peer created. */
export const answeringCompression = (enabled: boolean, channel: { protocol: string }): CompressionState => {
  const offered = enabled && channel.protocol === CHANNEL_PROTOCOL;
  return { decodes: offered, peerDecodes: offered, sendHello: offered };
};

/** What a {@link DataChannelLink} reports. */
export interface LinkHandlers {
  /** The channel opened (once). */
  onOpen(): void;
  /** A whole received message, in order. */
  onMessage(message: Uint8Array): void;
  /** The channel closed, for whatever reason, opened or not (once). */
  onClose(): void;
  /** The link was closed for misbehaviour (after onClose). */
  onViolation(reason: string): void;
}

/** A message waiting behind a compression or decompression under way. */
interface Pending {
  bytes: Uint8Array;
  /** Compress (sending) or decompress (receiving) before it moves on. */
  transform: boolean;
}

/**
 * Messages that keep their order while some take an asynchronous step: `step`
 * handles one at a time. An item stays queued until its step is done, so a
 * non-empty queue means "something is under way: wait behind it".
 */
class OrderedQueue<T> {
  private readonly items: T[] = [];
  private running = false;

  constructor(
    private readonly step: (item: T) => Promise<void>,
    private readonly stopped: () => boolean,
  ) {}

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    void this.drain();
  }

  clear(): void {
    this.items.length = 0;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.items.length > 0 && !this.stopped()) {
        await this.step(this.items[0]!);
        this.items.shift();
      }
    } finally {
      this.running = false;
    }
  }
}

export class DataChannelLink {
  private readonly reassembler = new Reassembler();
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private readonly outbox = new OrderedQueue<Pending>((pending) => this.compressAndEnqueue(pending), () => this.closed);
  private outboxBytes = 0;
  private readonly inbox = new OrderedQueue<Pending>((pending) => this.decompressAndDeliver(pending), () => this.closed);
  private nextMessageId = 0;
  private strikes = 0;
  /**
   * Messages that arrived before the channel's `open`: Chromium may deliver
   * the other side's first messages on a channel we opened in-band while it
   * is still `connecting`. They wait, and go to `onMessage` right after
   * `onOpen`, so the owner sees the link open before anything arrives on it
   * and can answer them (a send before `open` is dropped).
   */
  private early: unknown[] = [];
  private earlyBytes = 0;
  private opened = false;
  private closed = false;

  constructor(
    /** The browser's channel (exposed for tests that inject raw bytes). */
    readonly channel: RTCDataChannel,
    private readonly compression: CompressionState,
    private readonly handlers: LinkHandlers,
    private readonly maxStrikes: number = MAX_PEER_STRIKES,
  ) {
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = SEND_LOW_WATER_BYTES;
    channel.onmessage = (event: MessageEvent) => this.receive(event.data);
    channel.onbufferedamountlow = () => this.flush();
    channel.onopen = () => this.markOpen();
    channel.onclose = () => this.markClosed();
    if (channel.readyState === 'open') queueMicrotask(() => this.markOpen());
  }

  /** Open and not closed by us. */
  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  private markOpen(): void {
    if (this.opened || this.closed) return;
    this.opened = true;
    if (this.compression.sendHello) {
      try {
        this.channel.send(HELLO);
      } catch {
        // Closing already: nothing to negotiate.
      }
    }
    this.handlers.onOpen();
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    for (const data of early) this.receive(data);
  }

  /**
   * Sends one whole message (queued behind a compression under way, if any).
   * Closes the link when the peer does not read fast enough: losing a
   * message would desynchronise the doc, the reconnect starts with a full sync.
   *
   * @throws RangeError above MAX_MESSAGE_BYTES (a local limit, like the browser's).
   */
  send(message: Uint8Array): void {
    if (!this.isOpen) return;
    assertSendable(message);
    const compress = this.compression.peerDecodes && shouldCompress(message, MAX_MESSAGE_BYTES);
    if (!compress && this.outbox.length === 0) {
      this.enqueue(message);
      return;
    }
    this.outboxBytes += message.byteLength;
    if (this.outboxBytes + this.queuedBytes > MAX_SEND_QUEUE_BYTES) {
      this.close();
      return;
    }
    this.outbox.push({ bytes: message, transform: compress });
  }

  private enqueue(message: Uint8Array): void {
    for (const frame of encodeMessage(message, this.nextMessageId++)) {
      this.queue.push(frame);
      this.queuedBytes += frame.byteLength;
    }
    if (this.queuedBytes > MAX_SEND_QUEUE_BYTES) {
      this.close();
      return;
    }
    this.flush();
  }

  private async compressAndEnqueue({ bytes, transform }: Pending): Promise<void> {
    const message = transform ? ((await compressMessage(bytes)) ?? bytes) : bytes;
    if (this.closed) return;
    this.outboxBytes -= bytes.byteLength;
    this.enqueue(message);
  }

  private flush(): void {
    while (this.queue.length > 0 && this.channel.readyState === 'open' && this.channel.bufferedAmount < SEND_HIGH_WATER_BYTES) {
      const frame = this.queue.shift()!;
      this.queuedBytes -= frame.byteLength;
      try {
        this.channel.send(frame as Uint8Array<ArrayBuffer>);
      } catch {
        // A frame lost mid-message would corrupt the stream: start over.
        this.close();
        return;
      }
    }
  }

  /** Closes the link (and the channel). Idempotent. */
  close(): void {
    this.markClosed();
    try {
      this.channel.close();
    } catch {
      // Already closed.
    }
  }

  /**
   * Marks the link closed without touching the channel: closing a peer
   * connection closes its channels without firing their close events.
   */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.outbox.clear();
    this.outboxBytes = 0;
    this.inbox.clear();
    this.early = [];
    this.earlyBytes = 0;
    this.reassembler.reset();
    this.handlers.onClose();
  }

  /** Counts a message a later stage refused; closes the link at the limit. */
  strike(reason: string): void {
    this.strikes++;
    if (this.strikes >= this.maxStrikes) this.violate(reason);
  }

  /** Closes the link for something no honest peer does. */
  violate(reason: string): void {
    if (this.closed) return;
    const wasOpen = this.opened;
    this.close();
    if (wasOpen) this.handlers.onViolation(reason);
  }

  private receive(data: unknown): void {
    if (this.closed) return;
    if (!this.opened) {
      // Before `open` (see `early`): kept, within what one whole message may take.
      this.earlyBytes += data instanceof ArrayBuffer ? data.byteLength : 0;
      if (this.earlyBytes > MAX_SEND_QUEUE_BYTES) this.close();
      else this.early.push(data);
      return;
    }
    if (!(data instanceof ArrayBuffer)) {
      this.strike('non-binary message');
      return;
    }
    const result = this.reassembler.push(new Uint8Array(data));
    if (result.kind === 'pending') return;
    if (result.kind === 'error') {
      // Framing errors cannot come from an honest peer: close at once. An
      // empty message is what stock y-webrtc answers to a message type it
      // does not know: only a strike.
      if (result.error === 'empty') this.strike('empty message');
      else this.violate(`framing: ${result.error}`);
      return;
    }
    const message = result.data;
    if (this.compression.decodes) {
      if (isHello(message)) {
        this.compression.peerDecodes = true;
        return;
      }
      if (message[0] === COMPRESSED_MARKER) {
        this.inbox.push({ bytes: message, transform: true });
        return;
      }
    }
    if (this.inbox.length > 0) this.inbox.push({ bytes: message, transform: false });
    else this.deliver(message);
  }

  private async decompressAndDeliver({ bytes, transform }: Pending): Promise<void> {
    let message = bytes;
    if (transform) {
      const result = await decompressMessage(bytes, MAX_MESSAGE_BYTES);
      if (this.closed) return;
      if (!result.ok) {
        this.violate(`compression: ${result.error}`);
        return;
      }
      message = result.data;
    }
    this.deliver(message);
  }

  private deliver(message: Uint8Array): void {
    try {
      this.handlers.onMessage(message);
    } catch {
      // The pipeline's stages never throw on input; this is the last line of defence.
      this.strike('handler threw');
    }
  }
}
