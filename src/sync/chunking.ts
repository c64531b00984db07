/**
 * Message framing for WebRTC data channels: splits messages that are too big
 * for one data-channel message into frames and reassembles them on the other
 * side. Pure: no I/O, no timers, never throws on input from the network.
 *
 * Why: browsers refuse (or break the SCTP association on) a single
 * data-channel message above the negotiated `maxMessageSize` — 256 KiB in
 * Chromium — and y-webrtc sends whole Yjs messages (a 1 MB paste, the sync
 * step 2 of a big note) in one `send()`.
 *
 * Wire format (version 1), chosen so that ordinary traffic stays byte-for-byte
 * what stock y-webrtc sends:
 *
 * - A non-empty message of at most {@link MAX_FRAME_BYTES} bytes whose first
 *   byte is not {@link FRAME_MARKER} travels **raw**, unchanged. y-webrtc messages start with
 *   a varuint message type < 128, so their first byte is always < 0x80 and a
 *   stock y-webrtc peer interoperates for everything that fits in one frame.
 * - Anything else (including the empty message, since an empty data-channel
 *   message is rejected as garbage) travels as `count` frames, each at most {@link MAX_FRAME_BYTES}
 *   bytes long:
 *
 *   | offset | size | field                                              |
 *   |--------|------|----------------------------------------------------|
 *   | 0      | 1    | {@link FRAME_MARKER} (0xF1: "framed, version 1")   |
 *   | 1      | 4    | message id, uint32 big-endian, per sender          |
 *   | 5      | 4    | frame index, uint32 big-endian, 0-based            |
 *   | 9      | 4    | frame count, uint32 big-endian, ≥ 1                |
 *   | 13     | …    | payload: the next slice of the message             |
 *
 *   Frames of one message are sent contiguously and in order (data channels
 *   are ordered and reliable by default), every frame but a message's only
 *   frame carries ≥ 1 payload byte, and the receiver rejects anything else.
 *
 * Between Weft peers that negotiated it, a large message may itself be a
 * compressed one (compression.ts, markers 0xF2/0xF3); framing does not care.
 */

/** First byte of a frame. ≥ 0x80, so it can never start a y-webrtc message (varuint type < 128). */
export const FRAME_MARKER = 0xf1;
/** Bytes of the frame header: marker + message id + index + count. */
export const FRAME_HEADER_BYTES = 13;
/**
 * Largest data-channel message we ever send, header included. 16 KiB is the
 * size every WebRTC implementation has always accepted without fragmentation
 * trouble; well below Chromium's 256 KiB `maxMessageSize`.
 */
export const MAX_FRAME_BYTES = 16 * 1024;
/** Payload bytes per frame. */
export const FRAME_PAYLOAD_BYTES = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;
/**
 * Largest message we send or reassemble. Far above any real note (a novel is
 * ~1 MB of Yjs state) but bounds what a hostile peer can make us buffer.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** Largest frame count a message may claim. */
export const MAX_FRAMES_PER_MESSAGE = Math.ceil(MAX_MESSAGE_BYTES / FRAME_PAYLOAD_BYTES);
/**
 * Messages one peer may have partly received at once. Our sender never
 * interleaves messages, so 1 would do; 2 tolerates another implementation
 * that does, while bounding reassembly memory to 2 × MAX_MESSAGE_BYTES.
 */
export const MAX_IN_FLIGHT_MESSAGES = 2;

const UINT32_RANGE = 2 ** 32;

/** Limits of a {@link Reassembler}; the defaults are the constants above. */
export interface ReassemblerLimits {
  maxMessageBytes: number;
  maxInFlightMessages: number;
}

/** Why a frame was rejected. Any of these means the peer is broken or hostile. */
export type FrameError =
  | 'empty'
  | 'frame-too-large'
  | 'truncated-header'
  | 'bad-count'
  | 'bad-index'
  | 'empty-payload'
  | 'duplicate-start'
  | 'unknown-message'
  | 'out-of-order'
  | 'too-many-in-flight'
  | 'message-too-large';

/** Result of feeding one data-channel message to a {@link Reassembler}. */
export type FrameResult =
  | { readonly kind: 'message'; readonly data: Uint8Array }
  | { readonly kind: 'pending' }
  | { readonly kind: 'error'; readonly error: FrameError };

/** True when `message` must be framed rather than sent raw. */
export const needsFraming = (message: Uint8Array): boolean =>
  message.byteLength === 0 || message.byteLength > MAX_FRAME_BYTES || message[0] === FRAME_MARKER;

/**
 * @throws RangeError if the message exceeds {@link MAX_MESSAGE_BYTES} — a
 *   local programming/limit error, never caused by remote input.
 */
export const assertSendable = (message: Uint8Array): void => {
  if (message.byteLength > MAX_MESSAGE_BYTES) {
    throw new RangeError(`message of ${message.byteLength} bytes exceeds MAX_MESSAGE_BYTES (${MAX_MESSAGE_BYTES})`);
  }
};

/**
 * Encodes one message for the wire: `[message]` when it can travel raw,
 * otherwise its frames. `messageId` is taken modulo 2^32.
 *
 * @throws RangeError if the message exceeds {@link MAX_MESSAGE_BYTES} — a
 *   local programming/limit error, never caused by remote input.
 */
export const encodeMessage = (message: Uint8Array, messageId: number): Uint8Array[] => {
  assertSendable(message);
  if (!needsFraming(message)) return [message];
  const id = ((messageId % UINT32_RANGE) + UINT32_RANGE) % UINT32_RANGE;
  const count = Math.max(1, Math.ceil(message.byteLength / FRAME_PAYLOAD_BYTES));
  // One buffer for all frames (each frame is a view of it): one allocation and
  // one copy of the message, whatever its size.
  const wire = new Uint8Array(count * FRAME_HEADER_BYTES + message.byteLength);
  const view = new DataView(wire.buffer);
  const frames: Uint8Array[] = new Array<Uint8Array>(count);
  let offset = 0;
  for (let index = 0; index < count; index++) {
    const payload = message.subarray(index * FRAME_PAYLOAD_BYTES, (index + 1) * FRAME_PAYLOAD_BYTES);
    view.setUint8(offset, FRAME_MARKER);
    view.setUint32(offset + 1, id);
    view.setUint32(offset + 5, index);
    view.setUint32(offset + 9, count);
    wire.set(payload, offset + FRAME_HEADER_BYTES);
    const end = offset + FRAME_HEADER_BYTES + payload.byteLength;
    frames[index] = wire.subarray(offset, end);
    offset = end;
  }
  return frames;
};

interface PartialMessage {
  readonly count: number;
  next: number;
  bytes: number;
  readonly chunks: Uint8Array[];
}

/**
 * Receiving side of the framing: one per data channel. Feed it every
 * data-channel message in arrival order; it returns whole messages. Never
 * throws; on any violation it returns an error, forgets the offending
 * message, and the caller should drop the peer.
 */
export class Reassembler {
  private readonly partials = new Map<number, PartialMessage>();
  private readonly limits: ReassemblerLimits;

  constructor(limits: Partial<ReassemblerLimits> = {}) {
    this.limits = {
      maxMessageBytes: limits.maxMessageBytes ?? MAX_MESSAGE_BYTES,
      maxInFlightMessages: limits.maxInFlightMessages ?? MAX_IN_FLIGHT_MESSAGES,
    };
  }

  /** Messages currently partly received. */
  get inFlight(): number {
    return this.partials.size;
  }

  /** Bytes currently buffered for partly received messages. */
  get bufferedBytes(): number {
    let total = 0;
    for (const partial of this.partials.values()) total += partial.bytes;
    return total;
  }

  /** Forgets every partly received message (e.g. when the channel closes). */
  reset(): void {
    this.partials.clear();
  }

  /** Processes one data-channel message. */
  push(frame: Uint8Array): FrameResult {
    if (frame.byteLength === 0) return { kind: 'error', error: 'empty' };
    if (frame[0] !== FRAME_MARKER) {
      // Raw message from a peer (or a stock y-webrtc client). The channel
      // itself bounds its size; it needs no reassembly.
      return { kind: 'message', data: frame };
    }
    if (frame.byteLength > MAX_FRAME_BYTES) return { kind: 'error', error: 'frame-too-large' };
    if (frame.byteLength < FRAME_HEADER_BYTES) return { kind: 'error', error: 'truncated-header' };
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const id = view.getUint32(1);
    const index = view.getUint32(5);
    const count = view.getUint32(9);
    const payload = frame.subarray(FRAME_HEADER_BYTES);
    const maxFrames = Math.ceil(this.limits.maxMessageBytes / FRAME_PAYLOAD_BYTES);
    if (count === 0 || count > Math.max(1, maxFrames)) return this.fail(id, 'bad-count');
    if (index >= count) return this.fail(id, 'bad-index');
    if (payload.byteLength === 0 && count > 1) return this.fail(id, 'empty-payload');

    if (index === 0) {
      if (this.partials.has(id)) return this.fail(id, 'duplicate-start');
      if (count === 1) return { kind: 'message', data: payload };
      if (this.partials.size >= this.limits.maxInFlightMessages) {
        return { kind: 'error', error: 'too-many-in-flight' };
      }
      if (payload.byteLength > this.limits.maxMessageBytes) return { kind: 'error', error: 'message-too-large' };
      this.partials.set(id, { count, next: 1, bytes: payload.byteLength, chunks: [payload.slice()] });
      return { kind: 'pending' };
    }

    const partial = this.partials.get(id);
    if (partial === undefined) return { kind: 'error', error: 'unknown-message' };
    if (partial.count !== count || partial.next !== index) return this.fail(id, 'out-of-order');
    if (partial.bytes + payload.byteLength > this.limits.maxMessageBytes) return this.fail(id, 'message-too-large');
    // Copy: the frame's buffer belongs to the channel event and may be reused.
    partial.chunks.push(payload.slice());
    partial.bytes += payload.byteLength;
    partial.next++;
    if (partial.next < partial.count) return { kind: 'pending' };

    this.partials.delete(id);
    const message = new Uint8Array(partial.bytes);
    let offset = 0;
    for (const chunk of partial.chunks) {
      message.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return { kind: 'message', data: message };
  }

  private fail(id: number, error: FrameError): FrameResult {
    this.partials.delete(id);
    return { kind: 'error', error };
  }
}
