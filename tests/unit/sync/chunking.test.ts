import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import {
  FRAME_HEADER_BYTES,
  FRAME_MARKER,
  FRAME_PAYLOAD_BYTES,
  MAX_FRAME_BYTES,
  MAX_MESSAGE_BYTES,
  Reassembler,
  encodeMessage,
  type FrameResult,
} from '../../../src/sync/chunking';
import { mulberry32, randomBytes, seedFor, seedsFor } from '../../prng';
import { oracleCounter } from '../../oracle';

/** Byte equality without vitest's element-by-element diffing (slow for megabytes). */
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && Buffer.from(a).equals(Buffer.from(b));

/** The seed of the bulk test data (the garbage fuzz has its own seeds). */
const SEED = seedFor('chunking data');

/** Feeds frames and returns the messages that came out; fails on any error. */
const reassemble = (frames: Uint8Array[], reassembler = new Reassembler()): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (const frame of frames) {
    const result = reassembler.push(frame);
    if (result.kind === 'error') throw new Error(`unexpected ${result.error} (seed ${SEED})`);
    if (result.kind === 'message') out.push(result.data);
  }
  return out;
};

const frame = (id: number, index: number, count: number, payload: Uint8Array | number[]): Uint8Array => {
  const bytes = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, FRAME_MARKER);
  view.setUint32(1, id);
  view.setUint32(5, index);
  view.setUint32(9, count);
  bytes.set(payload, FRAME_HEADER_BYTES);
  return bytes;
};

const errorOf = (result: FrameResult): string | null => (result.kind === 'error' ? result.error : null);

describe('chunking round trip', () => {
  const sizes: [string, number][] = [
    ['0 B', 0],
    ['1 B', 1],
    ['exactly one frame', MAX_FRAME_BYTES],
    ['one byte over one frame', MAX_FRAME_BYTES + 1],
    ['exactly two payloads', 2 * FRAME_PAYLOAD_BYTES],
    ['1 MB', 1024 * 1024],
    ['5 MB', 5 * 1024 * 1024],
  ];

  it.each(sizes)('%s of seeded random bytes', (_name, size) => {
    const message = randomBytes(size, SEED + size);
    if (size > 0 && message[0] === FRAME_MARKER) message[0] = 0;
    const frames = encodeMessage(message, 7);
    for (const f of frames) expect(f.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    if (size > 0 && size <= MAX_FRAME_BYTES) expect(frames).toEqual([message]); // small messages travel raw
    if (size === 0) expect(frames).toHaveLength(1); // the empty message is framed
    const out = reassemble(frames);
    expect(out).toHaveLength(1);
    expect(sameBytes(out[0], message)).toBe(true);
  });

  it('frames a small message that starts with the marker byte, so it cannot be mistaken for a frame', () => {
    const message = Uint8Array.of(FRAME_MARKER, 1, 2, 3);
    const frames = encodeMessage(message, 1);
    expect(frames).toHaveLength(1);
    expect(frames[0]).not.toEqual(message);
    expect(reassemble(frames)).toEqual([message]);
  });

  it('reassembles a stream of many messages of random sizes', () => {
    const next = mulberry32(SEED);
    const messages = Array.from({ length: 40 }, (_, i) => {
      const m = randomBytes(Math.floor(next() * 3 * MAX_FRAME_BYTES), SEED + i);
      if (m.length > 0 && m[0] === FRAME_MARKER) m[0] = 0;
      return m;
    });
    const frames = messages.flatMap((m, i) => encodeMessage(m, i));
    const out = reassemble(frames);
    expect(out).toHaveLength(messages.length);
    out.forEach((m, i) => expect(sameBytes(m, messages[i]!), `message ${i}, seed ${SEED}`).toBe(true));
  });

  it('wraps message ids at 2^32', () => {
    const message = randomBytes(3 * FRAME_PAYLOAD_BYTES, SEED);
    message[0] = 0;
    const frames = encodeMessage(message, 2 ** 32 + 5);
    expect(new DataView(frames[0]!.buffer).getUint32(1)).toBe(5);
    expect(sameBytes(reassemble(frames)[0], message)).toBe(true);
  });

  it('refuses to encode more than MAX_MESSAGE_BYTES', () => {
    expect(() => encodeMessage(new Uint8Array(MAX_MESSAGE_BYTES + 1), 0)).toThrow(RangeError);
  });

  it('carries a 1 MB Yjs update (a paste) intact into another doc', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const text = Array.from(randomBytes(1024 * 1024, SEED), (x) => String.fromCharCode(32 + (x % 90))).join('');
    a.getText('t').insert(0, text);
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0);
    syncProtocol.writeSyncStep2(encoder, a);
    const message = encoding.toUint8Array(encoder);
    expect(message.byteLength).toBeGreaterThan(1024 * 1024);
    const frames = encodeMessage(message, 1);
    expect(frames.length).toBeGreaterThan(64);
    const [out] = reassemble(frames);
    const decoder = decoding.createDecoder(out!);
    expect(decoding.readVarUint(decoder)).toBe(0);
    syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), b, 'test');
    expect(b.getText('t').toString() === text).toBe(true);
  });
});

describe('Reassembler rejects bad frames without throwing', () => {
  const payload = new Array(FRAME_PAYLOAD_BYTES).fill(1) as number[];

  it('rejects malformed frames', () => {
    const r = new Reassembler();
    expect(errorOf(r.push(new Uint8Array(0)))).toBe('empty');
    expect(errorOf(r.push(Uint8Array.of(FRAME_MARKER, 0, 0)))).toBe('truncated-header');
    expect(errorOf(r.push(new Uint8Array(MAX_FRAME_BYTES + 1).fill(FRAME_MARKER)))).toBe('frame-too-large');
    expect(errorOf(r.push(frame(1, 0, 0, [1])))).toBe('bad-count');
    expect(errorOf(r.push(frame(1, 0, 0xffffffff, [1])))).toBe('bad-count');
    expect(errorOf(r.push(frame(1, 3, 3, [1])))).toBe('bad-index');
    expect(errorOf(r.push(frame(1, 0, 2, [])))).toBe('empty-payload');
    expect(errorOf(r.push(frame(9, 1, 2, [1])))).toBe('unknown-message');
    expect(r.inFlight).toBe(0);
  });

  it('rejects out-of-order and duplicate frames and forgets the message', () => {
    const r = new Reassembler();
    expect(r.push(frame(1, 0, 3, payload)).kind).toBe('pending');
    expect(errorOf(r.push(frame(1, 2, 3, payload)))).toBe('out-of-order');
    expect(r.inFlight).toBe(0);
    expect(r.push(frame(2, 0, 3, payload)).kind).toBe('pending');
    expect(r.push(frame(2, 1, 3, payload)).kind).toBe('pending');
    expect(errorOf(r.push(frame(2, 1, 3, payload)))).toBe('out-of-order');
    expect(r.push(frame(3, 0, 3, payload)).kind).toBe('pending');
    expect(errorOf(r.push(frame(3, 0, 3, payload)))).toBe('duplicate-start');
    expect(r.push(frame(4, 0, 3, payload)).kind).toBe('pending');
    expect(errorOf(r.push(frame(4, 1, 4, payload)))).toBe('out-of-order'); // count changed mid-message
    expect(r.inFlight).toBe(0);
  });

  const garbageSeeds = seedsFor('chunking garbage fuzz', { pinned: [20240501], fresh: 1 });

  it('survives seeded garbage frames, never holding more than 2 messages in flight', () => {
    const hits = oracleCounter('chunking garbage fuzz', ['never-throws', 'in-flight-at-limit', 'rejected', 'message']);
    for (const seed of garbageSeeds) {
      const next = mulberry32(seed);
      const r = new Reassembler();
      for (let i = 0; i < 5000; i++) {
        let bytes: Uint8Array;
        if (next() < 0.5) {
          bytes = randomBytes(Math.floor(next() * 64), seed + i);
          if (next() < 0.7 && bytes.length > 0) bytes[0] = FRAME_MARKER;
        } else {
          // A plausible frame: small ids, indexes and counts, so messages start, continue and collide.
          const count = 1 + Math.floor(next() * 3);
          bytes = frame(Math.floor(next() * 4), Math.floor(next() * (count + 1)), count, randomBytes(Math.floor(next() * 40), seed + i));
        }
        let result!: FrameResult;
        expect(() => { result = r.push(bytes); }, `seed ${seed}, frame ${i}`).not.toThrow();
        hits.hit('never-throws');
        if (result.kind === 'error') hits.hit('rejected');
        if (result.kind === 'message') hits.hit('message');
        expect(r.inFlight, `seed ${seed}, frame ${i}`).toBeLessThanOrEqual(2);
        if (r.inFlight === 2) hits.hit('in-flight-at-limit');
      }
    }
    hits.assertAtLeast({ 'in-flight-at-limit': 100 * garbageSeeds.length, rejected: 500 * garbageSeeds.length, message: 50 * garbageSeeds.length });
  });

  it('bounds in-flight messages and message size', () => {
    const r = new Reassembler({ maxInFlightMessages: 2, maxMessageBytes: 3 * FRAME_PAYLOAD_BYTES });
    expect(r.push(frame(1, 0, 3, payload)).kind).toBe('pending');
    expect(r.push(frame(2, 0, 3, payload)).kind).toBe('pending');
    expect(errorOf(r.push(frame(3, 0, 3, payload)))).toBe('too-many-in-flight');
    expect(r.bufferedBytes).toBe(2 * FRAME_PAYLOAD_BYTES);
    expect(errorOf(r.push(frame(4, 0, 4, payload)))).toBe('bad-count'); // claims more than the limit allows
    r.reset();
    expect(r.inFlight).toBe(0);
    expect(r.bufferedBytes).toBe(0);
  });

  it('still reassembles correctly after rejecting garbage', () => {
    const r = new Reassembler();
    r.push(frame(1, 5, 2, [1]));
    const message = randomBytes(2 * MAX_FRAME_BYTES, SEED);
    message[0] = 0;
    const out = reassemble(encodeMessage(message, 1), r);
    expect(out).toHaveLength(1);
    expect(sameBytes(out[0], message)).toBe(true);
  });
});
