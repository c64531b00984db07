/** Compression of large peer messages (src/sync/compression.ts): round trips and refusals. */
import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import {
  COMPRESSED_MARKER,
  COMPRESS_ABOVE_BYTES,
  HELLO,
  compressMessage,
  compressionSupported,
  decompressMessage,
  isHello,
  shouldCompress,
} from '../../../src/sync/compression';
import { MAX_MESSAGE_BYTES } from '../../../src/sync/chunking';
import { pasteUpdate } from './pasteUpdate';
import { mulberry32, randomBytes, testSeed } from './prng';

const SEED = testSeed(7331);

/** `[marker][uint32 length][body]`, as a (possibly lying) peer would send it. */
const framed = (declared: number, body: Uint8Array): Uint8Array => {
  const out = new Uint8Array(5 + body.byteLength);
  out[0] = COMPRESSED_MARKER;
  new DataView(out.buffer).setUint32(1, declared);
  out.set(body, 5);
  return out;
};

describe('compression of large peer messages', () => {
  it('is supported here (Node ≥ 20.12, every current browser)', () => {
    expect(compressionSupported()).toBe(true);
  });

  it('round-trips a large Yjs update, at a fraction of its size', async () => {
    const update = pasteUpdate(3000, SEED);
    expect(shouldCompress(update, MAX_MESSAGE_BYTES)).toBe(true);
    const compressed = await compressMessage(update);
    expect(compressed).not.toBeNull();
    expect(compressed![0]).toBe(COMPRESSED_MARKER);
    expect(compressed!.byteLength).toBeLessThan(update.byteLength / 2);
    const back = await decompressMessage(compressed!, MAX_MESSAGE_BYTES);
    expect(back.ok && Buffer.from(back.data).equals(Buffer.from(update))).toBe(true);
  });

  it('leaves small messages alone, and what would not shrink', async () => {
    expect(shouldCompress(new Uint8Array(COMPRESS_ABOVE_BYTES - 1), MAX_MESSAGE_BYTES)).toBe(false);
    expect(shouldCompress(new Uint8Array(COMPRESS_ABOVE_BYTES), MAX_MESSAGE_BYTES)).toBe(true);
    expect(shouldCompress(new Uint8Array(COMPRESS_ABOVE_BYTES + 1), COMPRESS_ABOVE_BYTES)).toBe(false);
    expect(await compressMessage(randomBytes(COMPRESS_ABOVE_BYTES * 2, SEED))).toBeNull();
  });

  it('knows the hello, and nothing else, as a hello', () => {
    expect(isHello(HELLO)).toBe(true);
    expect(isHello(Uint8Array.of(HELLO[0]!, 2))).toBe(false);
    expect(isHello(Uint8Array.of(HELLO[0]!, HELLO[1]!, 0))).toBe(false);
    expect(isHello(Uint8Array.of(0, 1))).toBe(false);
  });

  it('refuses what a broken or hostile peer could send, with the reason', async () => {
    const body = deflateRawSync(Buffer.alloc(100_000, 'a'));
    const cases: Array<[string, Uint8Array, string]> = [
      ['no header', Uint8Array.of(COMPRESSED_MARKER, 0, 0), 'truncated-header'],
      ['not compressed at all', Uint8Array.of(0, 0, 0, 0, 1, 2), 'truncated-header'],
      ['a declared length of 0', framed(0, body), 'bad-length'],
      ['a declared length over the limit', framed(MAX_MESSAGE_BYTES + 1, body), 'bad-length'],
      ['a body that is not deflate', framed(1000, randomBytes(2000, SEED + 1)), 'corrupt'],
      ['more than declared', framed(99_999, body), 'longer-than-declared'],
      ['less than declared', framed(100_001, body), 'shorter-than-declared'],
      ['a cut-off body', framed(100_000, body.subarray(0, body.byteLength - 10)), 'corrupt'],
    ];
    for (const [what, message, error] of cases) {
      expect(await decompressMessage(message, MAX_MESSAGE_BYTES), what).toEqual({ ok: false, error });
    }
  });

  it('stops a deflate bomb at its declared length, long before it expands', async () => {
    // 256 MB of zeros deflates to ~250 KB; it claims 64 KB.
    const bomb = framed(64 * 1024, deflateRawSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 }));
    const before = process.memoryUsage().arrayBuffers;
    expect(await decompressMessage(bomb, MAX_MESSAGE_BYTES)).toEqual({ ok: false, error: 'longer-than-declared' });
    // At most a step's expansion was buffered (16 KB × 1032 ≈ 16 MB), never the 256 MB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('never throws on garbage after the marker (seed printed on failure)', async () => {
    const next = mulberry32(SEED);
    for (let i = 0; i < 200; i++) {
      const bytes = randomBytes(1 + Math.floor(next() * 300), SEED + i);
      bytes[0] = COMPRESSED_MARKER;
      const result = await decompressMessage(bytes, 1024 * 1024);
      if (result.ok) expect(result.data.byteLength, `seed ${SEED}, case ${i}`).toBeLessThanOrEqual(1024 * 1024);
    }
  });
});
