/**
 * Compression of large peer messages: the wire-format extension that
 * DataChannelLink.ts negotiates per data channel. No I/O; never throws or
 * rejects on input from the network.
 *
 * Why: a 1 MB paste is a 1.6 MB Yjs update, the sync step 2 of a long note
 * hundreds of KB; both are mostly text and attribute names and deflate 3.5x
 * (automerge-paper's prose; the platform's `CompressionStream`, native zlib,
 * ~40 ms per 1.4 MB, ~15 ms back). On a real uplink that is most of the
 * time the peer waits; on loopback most of what a busy machine spends on
 * the transfer (bench scenario 5).
 *
 * Messages only, after negotiation (an older Weft peer treats an unknown
 * message as a violation and drops the connection):
 *
 * - The offerer creates its data channel with `protocol` = {@link CHANNEL_PROTOCOL}:
 *   "I decode compressed messages". Stock y-webrtc and older Weft answerers
 *   ignore it.
 * - An answerer that sees it may compress what it sends, and says the same
 *   back with {@link HELLO} (2 bytes, its first message). The offerer
 *   compresses only after that.
 * - A compressed message is `[COMPRESSED_MARKER][uint32 BE: length]
 *   [deflate-raw of the message]`, framed like any message (chunking.ts).
 *   Only messages of at least {@link COMPRESS_ABOVE_BYTES} that shrink are
 *   compressed: keystrokes and carets stay byte-for-byte y-webrtc's.
 *
 * Both markers are ≥ 0x80, so neither can start a y-webrtc message (varuint
 * type < 128), nor a frame (chunking.ts's marker is 0xF1).
 */

/** First byte of a compressed message. */
export const COMPRESSED_MARKER = 0xf2;
/** First byte of the hello. */
export const HELLO_MARKER = 0xf3;
/** The hello: "I decode compressed messages, version 1". */
export const HELLO = Uint8Array.of(HELLO_MARKER, 1);
/** `RTCDataChannelInit.protocol` of an offerer that decodes compressed messages. */
export const CHANNEL_PROTOCOL = 'weft-deflate-1';
/** Smaller messages are never compressed (keystrokes, carets, sync step 1). */
export const COMPRESS_ABOVE_BYTES = 64 * 1024;
/** Marker + uint32 length. */
const HEADER_BYTES = 5;
/**
 * Compressed bytes fed to the decompressor at a time. Deflate expands at most
 * ~1032:1, so one step produces at most ~16 MB before the length check can
 * stop a message that inflates to more than it declared.
 */
const INFLATE_STEP_BYTES = 16 * 1024;
const FORMAT = 'deflate-raw';

/** Whether this platform has the streams compression needs (every current browser; Node ≥ 20.12). */
export function compressionSupported(): boolean {
  try {
    new CompressionStream(FORMAT);
    new DecompressionStream(FORMAT);
    return true;
  } catch {
    return false;
  }
}

/** True when `message` is a hello. */
export const isHello = (message: Uint8Array): boolean =>
  message.byteLength === HELLO.byteLength && message[0] === HELLO_MARKER && message[1] === HELLO[1];

/** True when a message is worth compressing: large, and within what the receiver accepts. */
export const shouldCompress = (message: Uint8Array, maxBytes: number): boolean =>
  message.byteLength >= COMPRESS_ABOVE_BYTES && message.byteLength <= maxBytes;

/**
 * `message` compressed, or null when that would not shrink it (or the platform
 * fails). Written to and read from the stream directly (no Blob or Response):
 * that way the whole pipeline settles in microtasks, so a message sent from a
 * long task (a paste) leaves right after it, before the page renders, not
 * after the rendering queued behind it.
 */
export async function compressMessage(message: Uint8Array): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const stream = new CompressionStream(FORMAT);
    const writer = stream.writable.getWriter();
    const writing = writer.write(message as Uint8Array<ArrayBuffer>).then(() => writer.close());
    writing.catch(() => undefined);
    const reader = stream.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    await writing;
  } catch {
    return null;
  }
  if (HEADER_BYTES + size >= message.byteLength) return null;
  const out = new Uint8Array(HEADER_BYTES + size);
  out[0] = COMPRESSED_MARKER;
  new DataView(out.buffer).setUint32(1, message.byteLength);
  let offset = HEADER_BYTES;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Why a compressed message was refused. Any of these means the peer is broken or hostile. */
export type DecompressError = 'truncated-header' | 'bad-length' | 'corrupt' | 'longer-than-declared' | 'shorter-than-declared';

export type DecompressResult = { ok: true; data: Uint8Array } | { ok: false; error: DecompressError };

/**
 * The message inside a compressed one. Refuses a declared length of 0 or over
 * `maxBytes`, and output beyond the declared length as soon as it appears: the
 * input goes in {@link INFLATE_STEP_BYTES} at a time and the output is read as
 * it comes, so a deflate bomb costs at most one step's expansion.
 */
export async function decompressMessage(message: Uint8Array, maxBytes: number): Promise<DecompressResult> {
  if (message.byteLength < HEADER_BYTES || message[0] !== COMPRESSED_MARKER) return { ok: false, error: 'truncated-header' };
  const length = new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(1);
  if (length === 0 || length > maxBytes) return { ok: false, error: 'bad-length' };
  const stream = new DecompressionStream(FORMAT);
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  // Writes wait for the reader (backpressure): the loop below decides how far input goes.
  const writing = (async () => {
    for (let offset = HEADER_BYTES; offset < message.byteLength; offset += INFLATE_STEP_BYTES) {
      await writer.write(message.slice(offset, offset + INFLATE_STEP_BYTES));
    }
    await writer.close();
  })();
  writing.catch(() => undefined);
  const out = new Uint8Array(length);
  let written = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (written + value.byteLength > length) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, error: 'longer-than-declared' };
      }
      out.set(value, written);
      written += value.byteLength;
    }
    await writing;
  } catch {
    return { ok: false, error: 'corrupt' };
  }
  if (written !== length) return { ok: false, error: 'shorter-than-declared' };
  return { ok: true, data: out };
}
