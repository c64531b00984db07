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
 */

import { MAX_MESSAGE_BYTES, Reassembler, encodeMessage } from './chunking';

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
   * dispatched. Return null to drop it; that counts as a strike. `channel`
   * identifies the sending peer (the same object as in `onViolation`).
   */
  filter?: (message: Uint8Array, channel: RTCDataChannel) => Uint8Array | null;
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
  private nextMessageId = 0;
  private strikes = 0;
  private opened = false;
  private closed = false;

  constructor(
    private readonly inner: RTCDataChannel,
    private readonly options: ChunkedWrtcOptions,
    private readonly onState: (channel: ChunkedDataChannel, open: boolean) => void,
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
      if (!this.closed && !this.opened) {
        this.opened = true;
        this.onState(this, true);
      }
      this.onopen?.(event);
    };
    inner.onclose = (event: Event) => {
      this.markClosed();
      this.onclose?.(event);
    };
    inner.onerror = (event: Event) => this.onerror?.(event);
    if (inner.readyState === 'open') {
      this.opened = true;
      this.onState(this, true);
    }
  }

  get label(): string {
    return this.inner.label;
  }

  get readyState(): RTCDataChannelState {
    // Closed by us (violation, peer connection closed) before the inner channel says so.
    return this.closed ? 'closed' : this.inner.readyState;
  }

  get bufferedAmount(): number {
    return this.inner.bufferedAmount + this.queuedBytes;
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
    for (const frame of encodeMessage(bytes, this.nextMessageId++)) {
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
    let message: Uint8Array | null = result.data;
    if (this.options.filter) {
      try {
        message = this.options.filter(message, this as unknown as RTCDataChannel);
      } catch {
        message = null;
      }
    }
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
  const wrap = (channel: RTCDataChannel | null | undefined, owned: Set<ChunkedDataChannel>): RTCDataChannel | null | undefined => {
    // simple-peer handles a missing channel itself (destroys the peer).
    if (!channel) return channel;
    const wrapped = new ChunkedDataChannel(channel, options, onState);
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
          return (label: string, init?: RTCDataChannelInit) => wrap(target.createDataChannel(label, init), owned);
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
              ? (event: RTCDataChannelEvent) => handler.call(proxy, { channel: wrap(event.channel, owned) })
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
