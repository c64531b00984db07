/**
 * What every RelayStore adapter must do (server/RelayStore.ts): memory, SQLite, and
 * Redis (a real redis-server on a free loopback port, with AOF; see redisServer.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRelayStore } from '../../../server/MemoryRelayStore.js';
import { SqliteRelayStore } from '../../../server/SqliteRelayStore.js';
import { blobHash } from '../../../server/relayProtocol.js';
import type { BlobKind } from '../../../server/relayProtocol.js';
import type { RelayStore, RoomBounds } from '../../../server/RelayStore.js';
import { RedisRelayStore } from '../../../server/RedisRelayStore.js';
import { makeTempDir, cleanup } from './serverTestKit.js';
import { startRedis, type RedisProcess } from '../../redisServer.js';

const ROOM = 'r'.repeat(43);
const OTHER = 'o'.repeat(43);
const BOUNDS: RoomBounds = { maxBlobs: 100, maxBytes: 1 << 20 };
const bytes = (text: string) => new TextEncoder().encode(text);
const blob = (text: string, kind: BlobKind = 'update', replaces?: number) => {
  const data = bytes(text);
  return { kind, data, hash: blobHash(data), ...(replaces !== undefined ? { replaces } : {}) };
};
const texts = (page: { blobs: readonly { data: Uint8Array }[] }) => page.blobs.map((b) => new TextDecoder().decode(b.data));

export interface StoreHarness {
  name: string;
  open(): Promise<RelayStore>;
  /** Closes and reopens the same data (durable adapters). */
  reopen?(store: RelayStore): Promise<RelayStore>;
  dispose?(): Promise<void>;
}

const runContract = (harness: () => StoreHarness | null) => {
  const h = harness();
  if (h === null) return;
  describe(`RelayStore contract: ${h.name}`, () => {
    let store: RelayStore;
    beforeAll(async () => {
      store = await h.open();
    });
    afterAll(async () => {
      await store.close();
      await h.dispose?.();
    });
    afterEach(async () => {
      await store.deleteRoom(ROOM);
      await store.deleteRoom(OTHER);
    });

    it('appends blobs with increasing sequence numbers and reads them after a cursor', async () => {
      expect(await store.write(ROOM, blob('a'), BOUNDS, 1)).toEqual({ ok: true, seq: 1, duplicate: false });
      expect(await store.write(ROOM, blob('b'), BOUNDS, 2)).toEqual({ ok: true, seq: 2, duplicate: false });
      await store.write(OTHER, blob('x'), BOUNDS, 2);
      const all = await store.read(ROOM, 0, 1 << 20, 3);
      expect(texts(all)).toEqual(['a', 'b']);
      expect(all).toMatchObject({ head: 2, count: 2, bytes: 2, more: false });
      expect(texts(await store.read(ROOM, 1, 1 << 20, 3))).toEqual(['b']);
      expect(texts(await store.read(ROOM, 2, 1 << 20, 3))).toEqual([]);
    });

    it('keeps one copy of a blob written twice (a retried write)', async () => {
      await store.write(ROOM, blob('a'), BOUNDS, 1);
      expect(await store.write(ROOM, blob('a'), BOUNDS, 2)).toEqual({ ok: true, seq: 1, duplicate: true });
      expect((await store.read(ROOM, 0, 1 << 20, 3)).count).toBe(1);
    });

    it('answers concurrent writes in order, each checked against the bounds (SQLite commits them as one group)', async () => {
      const bounds: RoomBounds = { maxBlobs: 3, maxBytes: 1 << 20 };
      const results = await Promise.all(['a', 'b', 'c', 'd', 'a'].map((t) => store.write(ROOM, blob(t), bounds, 1)));
      expect(results).toEqual([
        { ok: true, seq: 1, duplicate: false },
        { ok: true, seq: 2, duplicate: false },
        { ok: true, seq: 3, duplicate: false },
        { ok: false, reason: 'room-blobs' },
        { ok: true, seq: 1, duplicate: true },
      ]);
      expect(texts(await store.read(ROOM, 0, 1 << 20, 2))).toEqual(['a', 'b', 'c']);
    });

    it('reads an unknown room as empty', async () => {
      expect(await store.read('u'.repeat(43), 0, 1 << 20, 1)).toEqual({ head: 0, count: 0, bytes: 0, blobs: [], more: false });
    });

    it('pages by bytes, always at least one blob', async () => {
      for (const t of ['aaaa', 'bbbb', 'cccc']) await store.write(ROOM, blob(t), BOUNDS, 1);
      const first = await store.read(ROOM, 0, 5, 2);
      expect(texts(first)).toEqual(['aaaa']);
      expect(first.more).toBe(true);
      const tiny = await store.read(ROOM, 1, 1, 2);
      expect(texts(tiny)).toEqual(['bbbb']);
      expect(tiny.more).toBe(true);
    });

    it('a snapshot replaces the blobs up to `replaces` and keeps later ones', async () => {
      for (const t of ['a', 'b', 'c']) await store.write(ROOM, blob(t), BOUNDS, 1);
      expect(await store.write(ROOM, blob('S', 'snapshot', 2), BOUNDS, 2)).toEqual({ ok: true, seq: 4, duplicate: false });
      const page = await store.read(ROOM, 0, 1 << 20, 3);
      expect(page.blobs.map((b) => [b.seq, b.kind])).toEqual([
        [3, 'update'],
        [4, 'snapshot'],
      ]);
      expect(page).toMatchObject({ head: 4, count: 2, bytes: 2 });
      expect(await store.write(ROOM, blob('T', 'snapshot', 9), BOUNDS, 2)).toEqual({ ok: false, reason: 'stale-snapshot' });
    });

    it('refuses a write past the room bounds, and lets a snapshot that shrinks the room through', async () => {
      const small: RoomBounds = { maxBlobs: 2, maxBytes: 10 };
      await store.write(ROOM, blob('aaaa'), small, 1);
      await store.write(ROOM, blob('bbbb'), small, 1);
      expect(await store.write(ROOM, blob('c'), small, 1)).toEqual({ ok: false, reason: 'room-blobs' });
      expect(await store.write(ROOM, blob('S'.repeat(11), 'snapshot', 2), small, 1)).toEqual({ ok: false, reason: 'room-bytes' });
      expect(await store.write(ROOM, blob('SSSS', 'snapshot', 2), small, 1)).toMatchObject({ ok: true, seq: 3 });
      expect((await store.read(ROOM, 0, 100, 2)).count).toBe(1);
    });

    it('deletes a room and expires rooms nobody touched', async () => {
      await store.write(ROOM, blob('a'), BOUNDS, 1000);
      await store.write(OTHER, blob('b'), BOUNDS, 5000);
      expect(await store.expire(2000)).toBe(1);
      expect((await store.read(ROOM, 0, 100, 6000)).count).toBe(0);
      expect((await store.read(OTHER, 0, 100, 6000)).count).toBe(1);
      expect(await store.deleteRoom(OTHER)).toBe(true);
      expect(await store.deleteRoom(OTHER)).toBe(false);
      expect((await store.read(OTHER, 0, 100, 6000)).head).toBe(0);
    });

    if (h.reopen) {
      it('keeps what it acknowledged across a reopen', async () => {
        await store.write(ROOM, blob('kept'), BOUNDS, 1);
        store = await h.reopen!(store);
        expect(texts(await store.read(ROOM, 0, 100, 2))).toEqual(['kept']);
        expect((await store.write(ROOM, blob('next'), BOUNDS, 3)).ok && (await store.read(ROOM, 0, 100, 4)).head).toBe(2);
      });
    }
  });
};

runContract(() => ({ name: 'memory', open: () => Promise.resolve(new MemoryRelayStore()) }));
runContract(() => {
  let dir = '';
  return {
    name: 'SQLite',
    open: () => {
      dir = makeTempDir();
      return Promise.resolve(new SqliteRelayStore(dir));
    },
    reopen: async (store) => {
      await store.close();
      return new SqliteRelayStore(dir);
    },
    dispose: () => cleanup(),
  };
});
runContract(() => {
  let redis: RedisProcess;
  return {
    name: 'Redis',
    open: async () => {
      redis = await startRedis();
      const store = new RedisRelayStore(redis.url);
      await store.ready();
      return store;
    },
    // kill -9 of Redis itself: what it acknowledged is in its AOF (appendfsync always).
    reopen: async (store) => {
      await store.close();
      await redis.kill();
      await redis.restart();
      const again = new RedisRelayStore(redis.url);
      await again.ready();
      return again;
    },
    dispose: () => redis.stop(),
  };
});
