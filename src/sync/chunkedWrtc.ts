/**
 * A WebRTC implementation for simple-peer (`peerOpts.wrtc`) whose data
 * channels split large messages into frames (chunking.ts), reassemble them on
 * receipt, check every reassembled message before simple-peer (and so
 * y-webrtc) sees it, and close the channel of a peer that breaks the rules.
 *
 * Why here: y-webrtc hands whole messages to `peer.send()`, which simple-peer
 * passes straight to `RTCDataChannel.send()`; simple-peer takes its
 * `RTCPeerConnection` from `opts.wrtc` when that is an object (the build
 * y-webrtc imports, `simple-peer/simplepeer.min.js`, does the same as
 * `index.js`) and its channel from `pc.createDataChannel()` (initiator) or
 * `pc.ondatachannel` (answerer). Wrapping those two calls is the one point
 * below both libraries that sees every message in both directions, without
 * patching either.
 *
 * Backpressure: y-webrtc's `peer.send()` bypasses simple-peer's stream
 * backpressure, so this wrapper queues frames itself and only hands them to the
 * real channel while its `bufferedAmount` is below {@link SEND_HIGH_WATER_BYTES},
 * resuming on `bufferedamountlow`. That keeps a huge message from overflowing
 * the browser's send buffer (Chromium throws once it exceeds 16 MiB). The high
 * water mark is set so that any real message (a 1 MB paste is a 1.6 MB update)
 * is handed to the browser in one go: frames still waiting in our queue only
 * move when the sender's main thread runs the `bufferedamountlow` handler, and
 * right after a large local edit that thread is busy laying it out (measured:
 * 270 ms of a 1 MB paste's transfer spent waiting for it with a 1 MiB mark).
 *
 * Compression: between two Weft peers, messages of {@link COMPRESS_ABOVE_BYTES}
 * or more travel deflated (compression.ts: negotiated through the channel's
 * `protocol` and a hello, so older Weft and stock y-webrtc peers never see
 * one). Compressing and decompressing are asynchronous, so while one is under
 * way the messages after it wait behind it: both directions keep their order.
 */

import { MAX_MESSAGE_BYTES, Reassembler, assertSendable, encodeMessage } from './chunking';
import {
  CHANNEL_PROTOCOL,
  COMPRESSED_MARKER,
  HELLO,
  compressMessage,
  compressionSupported,
  decompressMessage,
  isHello,
  shouldCompress,
} from './compression';

/** The three constructors simple-peer takes from `opts.wrtc`. */
export interface WrtcImplementation {
  RTCPeerConnection: new (config?: RTCConfiguration) => RTCPeerConnection;
  RTCSessionDescription: unknown;
  RTCIceCandidate: unknown;
}

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
/** Invalid messages (or messages the handler threw on) after which the peer's channel is closed. */
export const MAX_PEER_STRIKES = 3;
/** What simple-peer sets as `bufferedAmountLowThreshold` (its MAX_BUFFERED_AMOUNT); our initial value. */
const DEFAULT_LOW_THRESHOLD = 64 * 1024;

/** Hooks of a {@link createChunkedWrtc} instance. */
export interface ChunkedWrtcOptions {
  /**
   * Checks (and may rewrite) a whole received message before it is
   * dispatched. Return null to drop it; that counts as a strike; undefined
   * drops it without a strike (e.g. over a rate limit). `channel`
   * identifies the sending peer (the same object as in `onViolation`).
   */
  filter?: (message: Uint8Array, channel: RTCDataChannel) => Uint8Array | null | undefined;
  /**
   * Asked before each message is sent on `channel`; true means it is not
   * needed there and is dropped (e.g. an echo of what the peer just sent).
   */
  skipSend?: (message: Uint8Array, channel: RTCDataChannel) => boolean;
  /** Called once when a channel closes, for whatever reason. */
  onChannelClosed?: (channel: RTCDataChannel) => void;
  /** Called when the number of open channels changes. */
  onOpenChannelsChange?: (openChannels: number) => void;
  /** Called when a channel is closed for misbehaviour (after the close). */
  onViolation?: (channel: RTCDataChannel, reason: string) => void;
  /** Strikes before a channel is closed; default {@link MAX_PEER_STRIKES}. */
  maxStrikes?: number;
  /**
   * Offer and use compression of large messages (compression.ts); default true
   * where the platform supports it. False behaves like a Weft version without
   * it (tests of mixed versions).
   */
  compression?: boolean;
}

/** What a channel knows about compression with its peer when it is created. */
interface CompressionState {
  /** We decode compressed messages (and told the peer so, or will). */
  decodes: boolean;
  /** The peer decodes them: we may send compressed messages. */
  peerDecodes: boolean;
  /** We are the answerer of a peer that offered compression: say we decode too. */
  sendHello: boolean;
}

/** A message waiting behind a compression or decompression under way. */
interface Pending {
  bytes: Uint8Array;
  /** Compress (sending) or decompress (receiving) before it moves on. */
  transform: boolean;
}

/**
 * Messages that must keep their order while some of them take an
 * asynchronous step (compression one way, decompression the other): `step`
 * handles one at a time, the next once the previous has settled. An item
 * stays in the queue until its step is done, so a non-empty queue means
 * "something is under way: wait behind it".
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

/** A wrapped WebRTC implementation plus what the transport needs to know about it. */
export interface ChunkedWrtc extends WrtcImplementation {
  /** Data channels currently open through this instance (= connected WebRTC peers). */
  readonly openChannels: number;
}

type ChannelEventHandler = ((event: Event) => void) | null;

/**
 * The object simple-peer gets instead of an `RTCDataChannel`: the same
 * surface simple-peer uses (send, close, label, readyState, bufferedAmount,
 * bufferedAmountLowThreshold, binaryType and the on* handlers).
 */
class ChunkedDataChannel {
  onmessage: ((event: { data: ArrayBuffer }) => void) | null = null;
  onbufferedamountlow: ChannelEventHandler = null;
  onopen: ChannelEventHandler = null;
  onclose: ChannelEventHandler = null;
  onerror: ChannelEventHandler = null;
  /** Plain number so that simple-peer's `typeof … === 'number'` check sees support; we fire the event ourselves. */
  bufferedAmountLowThreshold = DEFAULT_LOW_THRESHOLD;

  private readonly reassembler = new Reassembler();
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  /** Sent messages not yet framed, in order, while a compression is under way. */
  private readonly outbox = new OrderedQueue<Pending>(
    (pending) => this.compressAndEnqueue(pending),
    () => this.closed,
  );
  private outboxBytes = 0;
  /** Received messages not yet delivered, in order, while a decompression is under way. */
  private readonly inbox = new OrderedQueue<Pending>(
    (pending) => this.decompressAndDeliver(pending),
    () => this.closed,
  );
  private nextMessageId = 0;
  private strikes = 0;
  private opened = false;
  private closed = false;

  constructor(
    private readonly inner: RTCDataChannel,
    private readonly options: ChunkedWrtcOptions,
    private readonly onState: (channel: ChunkedDataChannel, open: boolean) => void,
    private readonly compression: CompressionState,
  ) {
    inner.binaryType = 'arraybuffer';
    inner.bufferedAmountLowThreshold = SEND_LOW_WATER_BYTES;
    inner.onmessage = (event: MessageEvent) => this.receive(event.data);
    inner.onbufferedamountlow = () => {
      this.flush();
      if (this.queue.length === 0 && this.bufferedAmount <= this.bufferedAmountLowThreshold) {
        this.onbufferedamountlow?.(new Event('bufferedamountlow'));
      }
    };
    inner.onopen = (event: Event) => {
      if (!this.closed && !this.opened) this.markOpen();
      this.onopen?.(event);
    };
    inner.onclose = (event: Event) => {
      this.markClosed();
      this.onclose?.(event);
    };
    inner.onerror = (event: Event) => this.onerror?.(event);
    if (inner.readyState === 'open') this.markOpen();
  }

  private markOpen(): void {
    this.opened = true;
    if (this.compression.sendHello) {
      try {
        this.inner.send(HELLO);
      } catch {
        // Closing already: nothing to negotiate.
      }
    }
    this.onState(this, true);
  }

  get label(): string {
    return this.inner.label;
  }

  get readyState(): RTCDataChannelState {
    // Closed by us (violation, peer connection closed) before the inner channel says so.
    return this.closed ? 'closed' : this.inner.readyState;
  }

  get bufferedAmount(): number {
    return this.inner.bufferedAmount + this.queuedBytes + this.outboxBytes;
  }

  get binaryType(): BinaryType {
    return 'arraybuffer';
  }

  set binaryType(_value: BinaryType) {
    // Always 'arraybuffer': the reassembler works on bytes.
  }

  send(data: ArrayBufferView | ArrayBuffer | string): void {
    if (this.inner.readyState !== 'open') {
      // Same contract as RTCDataChannel.send (y-webrtc catches it).
      throw new DOMException('RTCDataChannel is not open', 'InvalidStateError');
    }
    if (typeof data === 'string') {
      // y-webrtc never sends text; refuse rather than let it bypass framing.
      throw new TypeError('text messages are not supported on this channel');
    }
    const bytes =
      data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (this.options.skipSend?.(bytes, this as unknown as RTCDataChannel)) return;
    // Throws RangeError above MAX_MESSAGE_BYTES, like the browser would for an oversized message.
    assertSendable(bytes);
    const compress = this.compression.peerDecodes && shouldCompress(bytes, MAX_MESSAGE_BYTES);
    if (!compress && this.outbox.length === 0) {
      this.enqueue(bytes);
      return;
    }
    this.outboxBytes += bytes.byteLength;
    if (this.outboxBytes + this.queuedBytes > MAX_SEND_QUEUE_BYTES) {
      this.close();
      return;
    }
    this.outbox.push({ bytes, transform: compress });
  }

  /** Frames `message` into the send queue and hands what fits to the real channel. */
  private enqueue(message: Uint8Array): void {
    for (const frame of encodeMessage(message, this.nextMessageId++)) {
      this.queue.push(frame);
      this.queuedBytes += frame.byteLength;
    }
    if (this.queuedBytes > MAX_SEND_QUEUE_BYTES) {
      // The peer is not reading: losing queued messages would desynchronise
      // the doc, so close; the reconnect starts with a full sync.
      this.close();
      return;
    }
    this.flush();
  }

  /** The outbox's step: compresses `pending` if it should be, then frames it. */
  private async compressAndEnqueue({ bytes, transform }: Pending): Promise<void> {
    const message = transform ? ((await compressMessage(bytes)) ?? bytes) : bytes;
    if (this.closed) return;
    this.outboxBytes -= bytes.byteLength;
    this.enqueue(message);
  }

  close(): void {
    this.markClosed();
    try {
      this.inner.close();
    } catch {
      // Already closed.
    }
  }

  /** Closes the channel as if the remote side had; used when the peer connection closes without channel events. */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.outbox.clear();
    this.outboxBytes = 0;
    this.inbox.clear();
    this.reassembler.reset();
    if (this.opened) this.onState(this, false);
    this.options.onChannelClosed?.(this as unknown as RTCDataChannel);
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inner.readyState === 'open' && this.inner.bufferedAmount < SEND_HIGH_WATER_BYTES) {
      const frame = this.queue.shift() as Uint8Array;
      this.queuedBytes -= frame.byteLength;
      try {
        this.inner.send(frame as Uint8Array<ArrayBuffer>);
      } catch {
        // A frame lost mid-message would corrupt the stream: start over.
        this.close();
        return;
      }
    }
  }

  private receive(data: unknown): void {
    if (this.closed) return;
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

  /** The inbox's step: decompresses `pending` if it is compressed, then delivers it. */
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

  /** Checks a whole received message and hands it to simple-peer. */
  private deliver(received: Uint8Array): void {
    let message: Uint8Array | null | undefined = received;
    if (this.options.filter) {
      try {
        message = this.options.filter(message, this as unknown as RTCDataChannel);
      } catch {
        message = null;
      }
    }
    if (message === undefined) return;
    if (message === null) {
      this.strike('invalid message');
      return;
    }
    const buffer =
      message.byteOffset === 0 && message.byteLength === message.buffer.byteLength
        ? (message.buffer as ArrayBuffer)
        : (message.slice().buffer as ArrayBuffer);
    try {
      this.onmessage?.({ data: buffer });
    } catch {
      // Only catches what throws synchronously in simple-peer's handler.
      // simple-peer is a readable stream that usually emits 'data' on a later
      // tick, so y-webrtc's readMessage mostly runs outside this frame: the
      // filter, which guarantees the message decodes, is the real guard.
      this.strike('handler threw');
    }
  }

  private strike(reason: string): void {
    this.strikes++;
    if (this.strikes >= (this.options.maxStrikes ?? MAX_PEER_STRIKES)) this.violate(reason);
  }

  private violate(reason: string): void {
    if (this.closed) return;
    this.close();
    this.options.onViolation?.(this as unknown as RTCDataChannel, reason);
  }
}

/**
 * Wraps `base` so that every data channel created through it is a chunking,
 * validating {@link ChunkedDataChannel}. One instance per transport: it counts
 * that transport's open channels.
 */
export const createChunkedWrtc = (base: WrtcImplementation, options: ChunkedWrtcOptions = {}): ChunkedWrtc => {
  const open = new Set<ChunkedDataChannel>();
  const onState = (channel: ChunkedDataChannel, isOpen: boolean): void => {
    const before = open.size;
    if (isOpen) open.add(channel);
    else open.delete(channel);
    if (open.size !== before) options.onOpenChannelsChange?.(open.size);
  };
  const compress = options.compression !== false && compressionSupported();
  const wrap = (
    channel: RTCDataChannel | null | undefined,
    owned: Set<ChunkedDataChannel>,
    compression: CompressionState,
  ): RTCDataChannel | null | undefined => {
    // simple-peer handles a missing channel itself (destroys the peer).
    if (!channel) return channel;
    const wrapped = new ChunkedDataChannel(channel, options, onState, compression);
    owned.add(wrapped);
    return wrapped as unknown as RTCDataChannel;
  };

  // A function constructor returning a Proxy rather than a subclass: works
  // for native and test implementations alike, and lets us intercept the
  // `ondatachannel` property without redefining a DOM accessor.
  function ChunkedPeerConnection(config?: RTCConfiguration): RTCPeerConnection {
    const pc = new base.RTCPeerConnection(config);
    const owned = new Set<ChunkedDataChannel>();
    const proxy: RTCPeerConnection = new Proxy(pc, {
      get(target, property) {
        if (property === 'createDataChannel') {
          // Offering: the channel's protocol says we decode compressed messages; the peer answers with a hello if it does too.
          return (label: string, init?: RTCDataChannelInit) => {
            const offer = compress && init?.protocol === undefined;
            const channel = target.createDataChannel(label, offer ? { ...init, protocol: CHANNEL_PROTOCOL } : init);
            return wrap(channel, owned, { decodes: offer, peerDecodes: false, sendHello: false });
          };
        }
        if (property === 'close') {
          return () => {
            // Closing a peer connection closes its channels without firing
            // their close events (per spec), so account for them here.
            for (const channel of owned) channel.markClosed();
            target.close();
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
      set(target, property, value: unknown) {
        if (property === 'ondatachannel') {
          const handler = value as ((event: { channel: RTCDataChannel | null | undefined }) => void) | null;
          target.ondatachannel =
            typeof handler === 'function'
              ? (event: RTCDataChannelEvent) => {
                  // Answering: a peer that offered compression gets it, and our hello.
                  const offered = compress && event.channel?.protocol === CHANNEL_PROTOCOL;
                  const compression = { decodes: offered, peerDecodes: offered, sendHello: offered };
                  handler.call(proxy, { channel: wrap(event.channel, owned, compression) });
                }
              : null;
          return true;
        }
        return Reflect.set(target, property, value, target);
      },
    });
    return proxy;
  }

  return {
    RTCPeerConnection: ChunkedPeerConnection as unknown as WrtcImplementation['RTCPeerConnection'],
    RTCSessionDescription: base.RTCSessionDescription,
    RTCIceCandidate: base.RTCIceCandidate,
    get openChannels() {
      return open.size;
    },
  };
};
