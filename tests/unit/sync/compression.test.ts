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
import { mulberry32, randomBytes, seedFor, seedsFor } from '../../prng';
import { oracleCounter } from '../../oracle';

/** The seed of the bulk test data (the fuzz below has its own seeds). */
const SEED = seedFor('compression data');

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
    // Random bytes are valid raw deflate often enough to matter (a fixed-Huffman block decodes
    // 13 seeds in 3,000 into something shorter than declared): the first byte here announces the
    // reserved block type 11 (RFC 1951), which no inflater accepts, whatever follows.
    const notDeflate = randomBytes(2000, SEED + 1);
    notDeflate[0] = 0b111;
    const cases: Array<[string, Uint8Array, string]> = [
      ['no header', Uint8Array.of(COMPRESSED_MARKER, 0, 0), 'truncated-header'],
      ['not compressed at all', Uint8Array.of(0, 0, 0, 0, 1, 2), 'truncated-header'],
      ['a declared length of 0', framed(0, body), 'bad-length'],
      ['a declared length over the limit', framed(MAX_MESSAGE_BYTES + 1, body), 'bad-length'],
      ['a body that is not deflate', framed(1000, notDeflate), 'corrupt'],
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

  const fuzzSeeds = seedsFor('compression fuzz', { pinned: [7331], fresh: 1 });

  it('never throws on garbage after the marker, and what it accepts is the declared length within the limit (seed printed)', async () => {
    const limit = 64 * 1024;
    const hits = oracleCounter('compression fuzz', ['never-throws', 'accepted-within-limit', 'intact-round-trips', 'rejected']);
    for (const seed of fuzzSeeds) {
      const next = mulberry32(seed);
      for (let i = 0; i < 200; i++) {
        const at = `seed ${seed}, case ${i}`;
        const original = randomBytes(1 + Math.floor(next() * 2000), seed + i).map((x) => 97 + (x % 4)); // compressible
        const kind = Math.floor(next() * 3);
        let bytes: Uint8Array;
        if (kind === 0) {
          bytes = randomBytes(1 + Math.floor(next() * 300), seed + i); // garbage
          bytes[0] = COMPRESSED_MARKER;
        } else {
          // A real compressed message; kind 2 then lies about its length or damages its body.
          const declared = kind === 1 ? original.byteLength : [0, original.byteLength - 1, original.byteLength + 1, limit + 1][Math.floor(next() * 4)]!;
          bytes = framed(declared, deflateRawSync(original));
          if (kind === 2 && next() < 0.5) {
            const pos = 5 + Math.floor(next() * (bytes.byteLength - 5));
            bytes[pos] = bytes[pos]! ^ (1 + Math.floor(next() * 255));
          }
        }
        let result: Awaited<ReturnType<typeof decompressMessage>> | undefined;
        try {
          result = await decompressMessage(bytes, limit);
        } catch (error) {
          expect.fail(`${at}: threw ${String(error)}`);
        }
        hits.hit('never-throws');
        if (!result.ok) {
          expect(kind, `${at}: an intact message was refused (${result.error})`).not.toBe(1);
          hits.hit('rejected');
          continue;
        }
        const declared = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1);
        expect(result.data.byteLength, at).toBe(declared);
        expect(result.data.byteLength, at).toBeLessThanOrEqual(limit);
        hits.hit('accepted-within-limit');
        if (kind === 1) {
          expect(Buffer.from(result.data).equals(Buffer.from(original)), at).toBe(true);
          hits.hit('intact-round-trips');
        }
      }
    }
    hits.assertAtLeast({ 'accepted-within-limit': 40 * fuzzSeeds.length, 'intact-round-trips': 40 * fuzzSeeds.length, rejected: 40 * fuzzSeeds.length });
  });
});
