import { describe, expect, it } from 'vitest';
// @ts-expect-error simple-peer ships no types; this is the exact build y-webrtc imports.
import SimplePeer from 'simple-peer/simplepeer.min.js';
import { SEND_HIGH_WATER_BYTES, SEND_LOW_WATER_BYTES, createChunkedWrtc } from '../../../src/sync/chunkedWrtc';
import { FRAME_HEADER_BYTES, FRAME_MARKER, MAX_FRAME_BYTES } from '../../../src/sync/chunking';
import { CHANNEL_PROTOCOL, COMPRESSED_MARKER, isHello } from '../../../src/sync/compression';
import type { FakeDataChannel, FakePeerConnection} from './fakeWrtc';
import { FAKE_MAX_MESSAGE_BYTES, fakeWrtc } from './fakeWrtc';
import { pasteUpdate } from './pasteUpdate';
import { randomBytes, seedFor } from '../../prng';
import { waitFor } from '../waitFor';

const SEED = seedFor('chunkedWrtc data');

interface PeerLike {
  on(event: string, listener: (...args: never[]) => void): void;
  send(data: Uint8Array): void;
  signal(data: unknown): void;
  destroy(): void;
  destroyed: boolean;
  _pc: FakePeerConnection;
  _channel: unknown;
}
const Peer = SimplePeer as new (opts: Record<string, unknown>) => PeerLike;

/** Two simple-peer instances connected through `wrtcA`/`wrtcB`. */
const connectPair = async (wrtcA: unknown, wrtcB: unknown): Promise<[PeerLike, PeerLike]> => {
  const a = new Peer({ initiator: true, wrtc: wrtcA });
  const b = new Peer({ wrtc: wrtcB });
  a.on('signal', (signal: never) => b.signal(signal));
  b.on('signal', (signal: never) => a.signal(signal));
  await Promise.all([a, b].map((p) => new Promise<void>((resolve) => p.on('connect', () => resolve()))));
  return [a, b];
};

const innerChannel = (peer: PeerLike): FakeDataChannel => peer._pc.channel as FakeDataChannel;

const nextData = (peer: PeerLike): Promise<Uint8Array> =>
  new Promise((resolve) => peer.on('data', ((data: Uint8Array) => resolve(new Uint8Array(data))) as never));

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('chunked wrtc under simple-peer (the build y-webrtc uses)', () => {
  it('the fake enforces the 256 KiB limit: a plain channel cannot carry 1 MB', async () => {
    const [a, b] = await connectPair(fakeWrtc, fakeWrtc);
    expect(() => a.send(new Uint8Array(1024 * 1024))).toThrow(/maxMessageSize/);
    expect(FAKE_MAX_MESSAGE_BYTES).toBe(256 * 1024);
    a.destroy();
    b.destroy();
  });

  it.each([
    ['1 MB', 1024 * 1024],
    ['5 MB', 5 * 1024 * 1024],
  ])('carries %s through simple-peer in frames of at most MAX_FRAME_BYTES', async (_name, size) => {
    const opened: number[] = [];
    const wrtcA = createChunkedWrtc(fakeWrtc, { onOpenChannelsChange: (n) => opened.push(n) });
    const wrtcB = createChunkedWrtc(fakeWrtc);
    const [a, b] = await connectPair(wrtcA, wrtcB);
    expect(wrtcA.openChannels).toBe(1);
    const message = randomBytes(size, SEED + size);
    message[0] = 0;
    const received = nextData(b);
    a.send(message);
    const data = await received;
    expect(data.byteLength).toBe(size);
    expect(sameBytes(data, message)).toBe(true);
    const sent = innerChannel(a).sent;
    expect(Math.max(...sent)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(sent.length).toBeGreaterThanOrEqual(size / MAX_FRAME_BYTES);
    // Small messages after a big one still arrive, in order, raw.
    const small = nextData(a);
    b.send(Uint8Array.of(1, 2, 3));
    expect(await small).toEqual(Uint8Array.of(1, 2, 3));
    expect(innerChannel(b).sent.at(-1)).toBe(3);
    a.destroy();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(wrtcA.openChannels).toBe(0);
    expect(opened).toEqual([1, 0]);
    b.destroy();
  });

  it('drops invalid messages and closes the channel after repeated strikes', async () => {
    const violations: string[] = [];
    const wrtcB = createChunkedWrtc(fakeWrtc, {
      filter: (m) => (m[0] === 0xee ? null : m[0] === 0xef ? Uint8Array.of(1) : m),
      onViolation: (_channel, reason) => violations.push(reason),
    });
    const [a, b] = await connectPair(fakeWrtc, wrtcB);
    const got: number[] = [];
    b.on('data', ((data: Uint8Array) => got.push(...data)) as never);
    const channelOfB = innerChannel(b);
    const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
    channelOfB.inject(Uint8Array.of(0xee)); // strike 1: filtered out
    channelOfB.inject(Uint8Array.of(7));
    channelOfB.inject(Uint8Array.of(0xef, 0xef)); // rewritten by the filter
    channelOfB.inject(new Uint8Array(0)); // strike 2: empty
    await tick();
    expect(got).toEqual([7, 1]);
    expect(violations).toEqual([]);
    channelOfB.inject(Uint8Array.of(0xee)); // strike 3
    expect(violations).toEqual(['invalid message']);
    channelOfB.inject(Uint8Array.of(9)); // closed: ignored
    await tick();
    expect(got).toEqual([7, 1]);
    expect(b.destroyed).toBe(true);
    a.destroy();
  });

  it('closes at once on a framing violation', async () => {
    const violations: string[] = [];
    const wrtcB = createChunkedWrtc(fakeWrtc, { onViolation: (_c, reason) => violations.push(reason) });
    const [a, b] = await connectPair(fakeWrtc, wrtcB);
    const bad = new Uint8Array(20);
    bad[0] = FRAME_MARKER; // count 0
    innerChannel(b).inject(bad);
    expect(violations).toEqual(['framing: bad-count']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(b.destroyed).toBe(true);
    a.destroy();
  });

  it('queues frames while the real channel is congested and resumes on bufferedamountlow', async () => {
    const wrtcA = createChunkedWrtc(fakeWrtc);
    const [a, b] = await connectPair(wrtcA, fakeWrtc);
    const inner = innerChannel(a);
    inner.bufferedAmount = SEND_HIGH_WATER_BYTES; // pretend the network is slow
    const message = randomBytes(100 * 1024, SEED);
    message[0] = 0;
    const received = new Promise<Uint8Array>((resolve) => {
      // b is unwrapped: it sees frames; collect until the last one.
      const frames: Uint8Array[] = [];
      b.on('data', ((d: Uint8Array) => {
        frames.push(new Uint8Array(d));
        if (frames.length === Math.ceil(message.length / (MAX_FRAME_BYTES - 13))) resolve(new Uint8Array(frames.length));
      }) as never);
    });
    a.send(message);
    expect(inner.sent).toHaveLength(0);
    expect((a._channel as { bufferedAmount: number }).bufferedAmount).toBeGreaterThan(inner.bufferedAmount);
    inner.bufferedAmount = 0;
    (inner.onbufferedamountlow as (e: unknown) => void)({});
    await received;
    expect(inner.sent.length).toBeGreaterThan(1);
    a.destroy();
    b.destroy();
  });

  it('hands a large message to the real channel in one go, up to the high water mark, and the rest on bufferedamountlow', async () => {
    const wrtcA = createChunkedWrtc(fakeWrtc);
    const [a, b] = await connectPair(wrtcA, fakeWrtc);
    const inner = innerChannel(a);
    expect(inner.bufferedAmountLowThreshold).toBe(SEND_LOW_WATER_BYTES);
    // A channel whose buffer only drains when the test says so, as a browser's does.
    const send = inner.send.bind(inner);
    inner.send = (data: ArrayBufferView | ArrayBuffer) => {
      send(data);
      inner.bufferedAmount += data.byteLength;
    };
    const frameCount = (bytes: number) => Math.ceil(bytes / (MAX_FRAME_BYTES - FRAME_HEADER_BYTES));
    // A 1 MB paste is a ~1.6 MB update: every frame leaves at once, whatever the sender's main thread does next.
    const paste = randomBytes(1.6 * 1024 * 1024, SEED);
    paste[0] = 0;
    a.send(paste);
    expect(inner.sent).toHaveLength(frameCount(paste.length));
    // A message beyond the mark: the channel gets frames up to it, the rest waits for the drain.
    inner.sent.length = 0;
    inner.bufferedAmount = 0;
    const huge = randomBytes(SEND_HIGH_WATER_BYTES + 4 * MAX_FRAME_BYTES, SEED + 1);
    huge[0] = 0;
    a.send(huge);
    const first = inner.sent.length;
    expect(first).toBeLessThan(frameCount(huge.length));
    expect(inner.bufferedAmount).toBeGreaterThanOrEqual(SEND_HIGH_WATER_BYTES);
    expect(inner.bufferedAmount).toBeLessThan(SEND_HIGH_WATER_BYTES + MAX_FRAME_BYTES);
    inner.bufferedAmount = SEND_LOW_WATER_BYTES - 1;
    (inner.onbufferedamountlow as (e: unknown) => void)({});
    expect(inner.sent).toHaveLength(frameCount(huge.length));
    a.destroy();
    b.destroy();
  });
});

describe('compression of large messages, negotiated per channel (compression.ts)', () => {
  const paste = pasteUpdate(4000, SEED); // ~250 KB of Yjs update, as a paste makes
  const sentBytes = (peer: PeerLike) => innerChannel(peer).sent.reduce((sum, n) => sum + n, 0);
  const firstSent = (peer: PeerLike) => innerChannel(peer).sentMessages[0];

  /** Collects what `peer` delivers, in order. */
  const collect = (peer: PeerLike): Uint8Array[] => {
    const got: Uint8Array[] = [];
    peer.on('data', ((data: Uint8Array) => got.push(new Uint8Array(data))) as never);
    return got;
  };
  /** A pair whose inner channels record what they send. */
  const recordedPair = async (a: unknown, b: unknown) => {
    const pair = await connectPair(a, b);
    for (const peer of pair) innerChannel(peer).recordMessages = true;
    return pair;
  };

  it('two Weft peers send large messages deflated both ways, and everything arrives whole and in order', async () => {
    const [a, b] = await connectPair(createChunkedWrtc(fakeWrtc), createChunkedWrtc(fakeWrtc));
    expect(innerChannel(a).protocol).toBe(CHANNEL_PROTOCOL);
    const [fromA, fromB] = [collect(b), collect(a)];
    // The answerer's hello has reached the offerer once B's first message arrives after it.
    b.send(Uint8Array.of(0, 1));
    await waitFor('fromB.length === 1', () => fromB.length === 1);
    for (const [sender, received] of [[a, fromA], [b, fromB]] as const) {
      const before = sentBytes(sender);
      // A large message, then small ones at once: they wait behind its compression.
      sender.send(paste);
      sender.send(Uint8Array.of(0, 2));
      sender.send(Uint8Array.of(0, 3));
      const start = received.length;
      await waitFor('received.length === start + 3', () => received.length === start + 3);
      expect(sameBytes(received[start]!, paste)).toBe(true);
      expect(received.slice(start + 1)).toEqual([Uint8Array.of(0, 2), Uint8Array.of(0, 3)]);
      expect(sentBytes(sender) - before).toBeLessThan(paste.byteLength / 2);
    }
    a.destroy();
    b.destroy();
  });

  it('an answerer that does not know compression (an older Weft) gets none, and nothing it would refuse', async () => {
    const violations: string[] = [];
    const [a, b] = await recordedPair(createChunkedWrtc(fakeWrtc), createChunkedWrtc(fakeWrtc, { compression: false, onViolation: (_c, r) => violations.push(r) }));
    const [fromA, fromB] = [collect(b), collect(a)];
    b.send(Uint8Array.of(0, 1));
    await waitFor('fromB.length === 1', () => fromB.length === 1);
    a.send(paste);
    b.send(paste);
    await waitFor('fromA.length === 1 && fromB.length === 2', () => fromA.length === 1 && fromB.length === 2);
    expect(sameBytes(fromA[0]!, paste) && sameBytes(fromB[1]!, paste)).toBe(true);
    expect(sentBytes(a)).toBeGreaterThan(paste.byteLength);
    expect(sentBytes(b)).toBeGreaterThan(paste.byteLength);
    expect(isHello(firstSent(b)!)).toBe(false);
    expect(violations).toEqual([]);
    a.destroy();
    b.destroy();
  });

  it('an offerer that does not know compression (an older Weft) gets no hello and no compressed message', async () => {
    const violations: string[] = [];
    const [a, b] = await recordedPair(createChunkedWrtc(fakeWrtc, { compression: false, onViolation: (_c, r) => violations.push(r) }), createChunkedWrtc(fakeWrtc));
    expect(innerChannel(a).protocol).toBe('');
    const fromB = collect(a);
    b.send(paste);
    await waitFor('fromB.length === 1', () => fromB.length === 1);
    expect(sameBytes(fromB[0]!, paste)).toBe(true);
    expect(sentBytes(b)).toBeGreaterThan(paste.byteLength);
    expect(isHello(firstSent(b)!)).toBe(false);
    expect(violations).toEqual([]);
    a.destroy();
    b.destroy();
  });

  it('closes the channel of a peer whose compressed message is not what it declares', async () => {
    const violations: string[] = [];
    const wrtcA = createChunkedWrtc(fakeWrtc, { onViolation: (_c, reason) => violations.push(reason) });
    const [a, b] = await connectPair(wrtcA, createChunkedWrtc(fakeWrtc));
    const fromB = collect(a);
    const lying = new Uint8Array(5 + 100);
    lying[0] = COMPRESSED_MARKER;
    new DataView(lying.buffer).setUint32(1, 1000);
    innerChannel(a).inject(lying);
    innerChannel(a).inject(Uint8Array.of(0, 9)); // behind it: never delivered
    await waitFor('violations.length === 1', () => violations.length === 1);
    expect(violations).toEqual(['compression: corrupt']);
    await waitFor('a.destroyed', () => a.destroyed);
    expect(fromB).toEqual([]);
    b.destroy();
  });
});
