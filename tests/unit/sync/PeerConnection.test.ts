/**
 * PeerConnection + DataChannelLink over the fake WebRTC (fakeWrtc.ts, which
 * enforces Chromium's 256 KiB message limit): framing, strikes, backpressure,
 * compression negotiation, and interop with simple-peer (the library stock
 * y-webrtc uses) in both roles.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error simple-peer ships no types; this is the exact build y-webrtc imports.
import SimplePeer from 'simple-peer/simplepeer.min.js';
import { PeerConnection } from '../../../src/sync/PeerConnection';
import { MAX_PEER_STRIKES, SEND_HIGH_WATER_BYTES, SEND_LOW_WATER_BYTES, type DataChannelLink } from '../../../src/sync/DataChannelLink';
import { FRAME_HEADER_BYTES, FRAME_MARKER, MAX_FRAME_BYTES } from '../../../src/sync/chunking';
import { CHANNEL_PROTOCOL, COMPRESSED_MARKER, isHello } from '../../../src/sync/compression';
import type { PeerSignal } from '../../../src/sync/signalingMessage';
import { type FakeDataChannel, fakeWrtc } from './fakeWrtc';
import { pasteUpdate } from './pasteUpdate';
import { randomBytes, seedFor } from '../../prng';
import { waitFor } from '../waitFor';

const SEED = seedFor('PeerConnection data');

/** One side of a pair: its connection and what it saw. */
interface Side {
  connection: PeerConnection;
  received: Uint8Array[];
  violations: string[];
  closed: number;
  link(): DataChannelLink;
  inner(): FakeDataChannel;
}

const side = (initiator: boolean, compression: boolean, send: (signal: PeerSignal) => void): Side => {
  const s = { received: [] as Uint8Array[], violations: [] as string[], closed: 0 } as Side;
  s.connection = new PeerConnection({
    initiator,
    RTCPeerConnection: fakeWrtc.RTCPeerConnection,
    iceServers: [],
    compression,
    onSignal: send,
    link: {
      onOpen: () => undefined,
      onMessage: (message) => s.received.push(message.slice()),
      onClose: () => s.closed++,
      onViolation: (reason) => s.violations.push(reason),
    },
  });
  s.link = () => {
    const link = s.connection.openLink;
    if (!link) throw new Error('link not open');
    return link;
  };
  s.inner = () => s.link().channel as unknown as FakeDataChannel;
  return s;
};

/** Two connected peers, signals passed straight across (as signaling would, JSON round trip included). */
const connectPair = async ({ compressA = true, compressB = true } = {}): Promise<[Side, Side]> => {
  let b: Side | null = null;
  const a = side(true, compressA, (signal) => b!.connection.signal(JSON.parse(JSON.stringify(signal)) as PeerSignal));
  b = side(false, compressB, (signal) => a.connection.signal(JSON.parse(JSON.stringify(signal)) as PeerSignal));
  await waitFor('both links open', () => a.connection.openLink !== null && b.connection.openLink !== null);
  return [a, b];
};

const sameBytes = (x: Uint8Array, y: Uint8Array): boolean => Buffer.from(x).equals(Buffer.from(y));

describe('PeerConnection and its DataChannelLink', () => {
  it.each([
    ['1 MB', 1024 * 1024],
    ['5 MB', 5 * 1024 * 1024],
  ])('carries %s in frames of at most MAX_FRAME_BYTES', async (_name, size) => {
    const [a, b] = await connectPair({ compressA: false, compressB: false });
    const message = randomBytes(size, SEED + size);
    message[0] = 0;
    a.link().send(message);
    await waitFor('the message', () => b.received.length === 1);
    expect(sameBytes(b.received[0]!, message)).toBe(true);
    const sent = a.inner().sent;
    expect(Math.max(...sent)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(sent.length).toBeGreaterThanOrEqual(size / MAX_FRAME_BYTES);
    // Small messages after a big one still arrive, in order, raw.
    b.link().send(Uint8Array.of(1, 2, 3));
    await waitFor('the small one', () => a.received.length === 1);
    expect(a.received[0]).toEqual(Uint8Array.of(1, 2, 3));
    expect(b.inner().sent.at(-1)).toBe(3);
    a.connection.destroy();
    expect(a.closed).toBe(1);
    await waitFor('the other side to see the close', () => b.closed === 1);
  });

  it('closes the link after MAX_PEER_STRIKES refused messages, and on an empty message only strikes', async () => {
    const [a, b] = await connectPair();
    const link = b.link();
    const inner = b.inner();
    inner.inject(new Uint8Array(0)); // strike 1: empty
    link.strike('refused'); // strike 2
    expect(b.violations).toEqual([]);
    inner.inject(Uint8Array.of(7));
    expect(b.received).toEqual([Uint8Array.of(7)]);
    link.strike('refused'); // strike 3
    expect(MAX_PEER_STRIKES).toBe(3);
    expect(b.violations).toEqual(['refused']);
    expect(b.connection.openLink).toBeNull();
    inner.inject(Uint8Array.of(9)); // closed: ignored
    expect(b.received).toHaveLength(1);
    expect(b.closed).toBe(1);
    a.connection.destroy();
  });

  it('closes at once on a framing violation', async () => {
    const [a, b] = await connectPair();
    const bad = new Uint8Array(20);
    bad[0] = FRAME_MARKER; // count 0
    b.inner().inject(bad);
    expect(b.violations).toEqual(['framing: bad-count']);
    expect(b.connection.openLink).toBeNull();
    a.connection.destroy();
  });

  it('queues frames while the real channel is congested and resumes on bufferedamountlow', async () => {
    const [a, b] = await connectPair({ compressA: false, compressB: false });
    const inner = a.inner();
    inner.bufferedAmount = SEND_HIGH_WATER_BYTES; // pretend the network is slow
    const message = randomBytes(100 * 1024, SEED);
    message[0] = 0;
    a.link().send(message);
    expect(inner.sent).toHaveLength(0);
    inner.bufferedAmount = 0;
    (inner.onbufferedamountlow as (e: unknown) => void)({});
    expect(inner.sent.length).toBeGreaterThan(1);
    await waitFor('the message', () => b.received.length === 1);
    expect(sameBytes(b.received[0]!, message)).toBe(true);
    a.connection.destroy();
  });

  it('hands a large message to the real channel in one go, up to the high water mark, and the rest on bufferedamountlow', async () => {
    const [a, b] = await connectPair({ compressA: false, compressB: false });
    const inner = a.inner();
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
    a.link().send(paste);
    expect(inner.sent).toHaveLength(frameCount(paste.length));
    // A message beyond the mark: the channel gets frames up to it, the rest waits for the drain.
    inner.sent.length = 0;
    inner.bufferedAmount = 0;
    const huge = randomBytes(SEND_HIGH_WATER_BYTES + 4 * MAX_FRAME_BYTES, SEED + 1);
    huge[0] = 0;
    a.link().send(huge);
    expect(inner.sent.length).toBeLessThan(frameCount(huge.length));
    expect(inner.bufferedAmount).toBeGreaterThanOrEqual(SEND_HIGH_WATER_BYTES);
    expect(inner.bufferedAmount).toBeLessThan(SEND_HIGH_WATER_BYTES + MAX_FRAME_BYTES);
    inner.bufferedAmount = SEND_LOW_WATER_BYTES - 1;
    (inner.onbufferedamountlow as (e: unknown) => void)({});
    expect(inner.sent).toHaveLength(frameCount(huge.length));
    a.connection.destroy();
    b.connection.destroy();
  });
});

describe('compression of large messages, negotiated per channel (compression.ts)', () => {
  const paste = pasteUpdate(4000, SEED); // ~250 KB of Yjs update, as a paste makes
  const sentBytes = (s: Side) => s.inner().sent.reduce((sum, n) => sum + n, 0);

  it('two Weft peers send large messages deflated both ways, and everything arrives whole and in order', async () => {
    const [a, b] = await connectPair();
    expect(a.inner().protocol).toBe(CHANNEL_PROTOCOL);
    // The answerer's hello has reached the offerer once B's first message arrives after it.
    b.link().send(Uint8Array.of(0, 1));
    await waitFor('the first message', () => a.received.length === 1);
    for (const [sender, receiver] of [[a, b], [b, a]] as const) {
      const before = sentBytes(sender);
      // A large message, then small ones at once: they wait behind its compression.
      sender.link().send(paste);
      sender.link().send(Uint8Array.of(0, 2));
      sender.link().send(Uint8Array.of(0, 3));
      const start = receiver.received.length;
      await waitFor('all three', () => receiver.received.length === start + 3);
      expect(sameBytes(receiver.received[start]!, paste)).toBe(true);
      expect(receiver.received.slice(start + 1)).toEqual([Uint8Array.of(0, 2), Uint8Array.of(0, 3)]);
      expect(sentBytes(sender) - before).toBeLessThan(paste.byteLength / 2);
    }
    a.connection.destroy();
  });

  it('an answerer without compression (an older Weft) gets none, and no hello', async () => {
    const [a, b] = await connectPair({ compressB: false });
    b.inner().recordMessages = true;
    b.link().send(Uint8Array.of(0, 1));
    await waitFor('the first message', () => a.received.length === 1);
    a.link().send(paste);
    b.link().send(paste);
    await waitFor('both pastes', () => a.received.length === 2 && b.received.length === 1);
    expect(sameBytes(b.received[0]!, paste) && sameBytes(a.received[1]!, paste)).toBe(true);
    expect(sentBytes(a)).toBeGreaterThan(paste.byteLength);
    expect(isHello(b.inner().sentMessages[0]!)).toBe(false);
    expect([...a.violations, ...b.violations]).toEqual([]);
    a.connection.destroy();
  });

  it('an offerer without compression (an older Weft) gets no hello and no compressed message', async () => {
    const [a, b] = await connectPair({ compressA: false });
    expect(a.inner().protocol).toBe('');
    b.inner().recordMessages = true;
    b.link().send(paste);
    await waitFor('the paste', () => a.received.length === 1);
    expect(sameBytes(a.received[0]!, paste)).toBe(true);
    expect(sentBytes(b)).toBeGreaterThan(paste.byteLength);
    expect(isHello(b.inner().sentMessages[0]!)).toBe(false);
    expect(a.violations).toEqual([]);
    a.connection.destroy();
  });

  it('closes the link of a peer whose compressed message is not what it declares', async () => {
    const [a, b] = await connectPair();
    const lying = new Uint8Array(5 + 100);
    lying[0] = COMPRESSED_MARKER;
    new DataView(lying.buffer).setUint32(1, 1000);
    a.inner().inject(lying);
    a.inner().inject(Uint8Array.of(0, 9)); // behind it: never delivered
    await waitFor('the violation', () => a.violations.length === 1);
    expect(a.violations).toEqual(['compression: corrupt']);
    expect(a.received).toEqual([]);
    expect(a.connection.openLink).toBeNull();
    b.connection.destroy();
  });
});

interface SimplePeerLike {
  on(event: string, listener: (...args: never[]) => void): void;
  send(data: Uint8Array): void;
  signal(data: unknown): void;
  destroy(): void;
}
const Peer = SimplePeer as new (opts: Record<string, unknown>) => SimplePeerLike;

describe('interop with simple-peer (what stock y-webrtc peers use)', () => {
  it.each([
    ['we offer, simple-peer answers', true],
    ['simple-peer offers, we answer', false],
  ])('%s: the connection opens and messages flow both ways', async (_name, weOffer) => {
    const stock = new Peer({ initiator: !weOffer, wrtc: fakeWrtc });
    const ours = side(weOffer, true, (signal) => stock.signal(JSON.parse(JSON.stringify(signal))));
    stock.on('signal', ((signal: unknown) => ours.connection.signal(JSON.parse(JSON.stringify(signal)) as PeerSignal)) as never);
    const fromStock: Uint8Array[] = [];
    stock.on('data', ((data: Uint8Array) => fromStock.push(new Uint8Array(data))) as never);
    let connected = false;
    stock.on('connect', (() => (connected = true)) as never);
    await waitFor('both sides connected', () => connected && ours.connection.openLink !== null);
    ours.link().send(Uint8Array.of(0, 0, 1, 0));
    stock.send(Uint8Array.of(1, 2, 3));
    await waitFor('a message each way', () => fromStock.length === 1 && ours.received.length === 1);
    // Nothing Weft-only reaches a stock peer: no hello, raw small messages.
    expect(fromStock[0]).toEqual(Uint8Array.of(0, 0, 1, 0));
    expect(ours.received[0]).toEqual(Uint8Array.of(1, 2, 3));
    stock.destroy();
    await waitFor('our side to see the close', () => ours.closed === 1);
  });
});
