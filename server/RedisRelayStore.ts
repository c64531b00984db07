/**
 * The relay store in Redis (REDIS_URL): several server instances share it, so any
 * instance serves any room. One Lua script per write keeps a room's sequence, quota and
 * snapshot replacement atomic across instances. Per room (hash-tagged, cluster-safe):
 *
 *   weft:relay:{room}:meta    hash  head, blobs, bytes, touched
 *   weft:relay:{room}:blobs   hash  seq → kind (1 byte) ‖ SHA-256 hex (64) ‖ blob
 *   weft:relay:{room}:hashes  hash  SHA-256 hex → seq (a blob written twice is stored once)
 *   weft:relay:{room}:seqs    zset  seq scored by seq (reads after a cursor)
 *   weft:relay:rooms          zset  room scored by last touch (the TTL sweep)
 *
 * Durability is Redis's: run it with `appendonly yes` and `appendfsync always` so a
 * reply means the write reached the AOF on disk (the server logs an error at start when
 * Redis says otherwise). Commands fail fast while Redis is down (no offline queue): the
 * client is told 503 and its changes wait on the device.
 */
import { Redis } from 'ioredis';
import type { BlobKind } from './relayProtocol.js';
import { TOUCH_GRANULARITY_MS, type BlobWrite, type RelayStore, type RoomBounds, type RoomPage, type StoredBlob, type WriteResult } from './RelayStore.js';

const ROOMS_KEY = 'weft:relay:rooms';
const HASH_CHARS = 64;
/** Blobs fetched per HMGET while paging a read. */
const READ_BATCH = 64;
const keysOf = (room: string) => [`weft:relay:{${room}}:meta`, `weft:relay:{${room}}:blobs`, `weft:relay:{${room}}:hashes`, `weft:relay:{${room}}:seqs`];

const WRITE_SCRIPT = `
local meta, blobs, hashes, seqs, rooms = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local room, kind, data, hash = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local replaces, maxBlobs, maxBytes, now = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local known = redis.call('HGET', hashes, hash)
if known then return {1, tonumber(known), 1} end
local head = tonumber(redis.call('HGET', meta, 'head') or '0')
local count = tonumber(redis.call('HGET', meta, 'blobs') or '0')
local bytes = tonumber(redis.call('HGET', meta, 'bytes') or '0')
local gone = {}
if kind == 's' then
  if replaces > head then return {0, 'stale-snapshot'} end
  gone = redis.call('ZRANGEBYSCORE', seqs, '-inf', replaces)
  for _, s in ipairs(gone) do
    local v = redis.call('HGET', blobs, s)
    if v then
      bytes = bytes - (string.len(v) - 1 - ${HASH_CHARS})
      count = count - 1
    end
  end
end
if count + 1 > maxBlobs then return {0, 'room-blobs'} end
if bytes + string.len(data) > maxBytes then return {0, 'room-bytes'} end
for _, s in ipairs(gone) do
  local v = redis.call('HGET', blobs, s)
  if v then redis.call('HDEL', hashes, string.sub(v, 2, 1 + ${HASH_CHARS})) end
  redis.call('HDEL', blobs, s)
  redis.call('ZREM', seqs, s)
end
head = head + 1
redis.call('HSET', blobs, head, kind .. hash .. data)
redis.call('HSET', hashes, hash, head)
redis.call('ZADD', seqs, head, head)
redis.call('HSET', meta, 'head', head, 'blobs', count + 1, 'bytes', bytes + string.len(data), 'touched', now)
redis.call('ZADD', rooms, now, room)
return {1, head, 0}
`;

export class RedisRelayStore implements RelayStore {
  private readonly redis: Redis;
  private closed = false;

  constructor(url: string) {
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    // Connection errors surface as failed commands (503 to clients); ioredis reconnects.
    this.redis.on('error', () => undefined);
  }

  /** Resolves once connected; says whether Redis fsyncs every write (`appendfsync always`). */
  async ready(): Promise<{ fsyncEveryWrite: boolean }> {
    if (this.redis.status !== 'ready') await new Promise<void>((resolve, reject) => {
      this.redis.once('ready', resolve);
      this.redis.once('end', () => reject(new Error('Redis connection ended')));
    });
    try {
      const [, aof] = (await this.redis.config('GET', 'appendonly')) as string[];
      const [, fsync] = (await this.redis.config('GET', 'appendfsync')) as string[];
      return { fsyncEveryWrite: aof === 'yes' && fsync === 'always' };
    } catch {
      return { fsyncEveryWrite: false }; // CONFIG disabled (managed Redis): cannot tell
    }
  }

  async write(room: string, blob: BlobWrite, bounds: RoomBounds, now: number): Promise<WriteResult> {
    const result = (await this.redis.eval(
      WRITE_SCRIPT,
      5,
      ...keysOf(room),
      ROOMS_KEY,
      room,
      blob.kind === 'snapshot' ? 's' : 'u',
      Buffer.from(blob.data.buffer, blob.data.byteOffset, blob.data.byteLength),
      blob.hash,
      String(blob.replaces ?? 0),
      String(bounds.maxBlobs),
      String(bounds.maxBytes),
      String(now),
    )) as [number, number | string, number?];
    if (result[0] === 1) return { ok: true, seq: Number(result[1]), duplicate: result[2] === 1 };
    return { ok: false, reason: result[1] as 'room-blobs' | 'room-bytes' | 'stale-snapshot' };
  }

  async read(room: string, after: number, maxBytes: number, now: number): Promise<RoomPage> {
    const [meta, blobsKey, , seqsKey] = keysOf(room) as [string, string, string, string];
    const info = await this.redis.hgetall(meta);
    if (info.head === undefined) return { head: 0, count: 0, bytes: 0, blobs: [], more: false };
    if (now - Number(info.touched ?? 0) >= TOUCH_GRANULARITY_MS) {
      await this.redis.multi().hset(meta, 'touched', now).zadd(ROOMS_KEY, now, room).exec();
    }
    const seqs = await this.redis.zrangebyscore(seqsKey, `(${after}`, '+inf');
    const blobs: StoredBlob[] = [];
    let size = 0;
    let more = false;
    outer: for (let i = 0; i < seqs.length; i += READ_BATCH) {
      const batch = seqs.slice(i, i + READ_BATCH);
      const values = await this.redis.hmgetBuffer(blobsKey, ...batch);
      for (let j = 0; j < batch.length; j++) {
        const value = values[j];
        if (!value) continue; // replaced by a snapshot between the two reads
        const data = new Uint8Array(value.subarray(1 + HASH_CHARS));
        if (blobs.length > 0 && size + data.byteLength > maxBytes) {
          more = true;
          break outer;
        }
        const kind: BlobKind = value[0] === 's'.charCodeAt(0) ? 'snapshot' : 'update';
        blobs.push({ seq: Number(batch[j]), kind, data });
        size += data.byteLength;
      }
    }
    return { head: Number(info.head), count: Number(info.blobs), bytes: Number(info.bytes), blobs, more };
  }

  async deleteRoom(room: string): Promise<boolean> {
    const [[, deleted]] = (await this.redis.multi().del(...keysOf(room)).zrem(ROOMS_KEY, room).exec()) as [[unknown, number], unknown];
    return deleted > 0;
  }

  async expire(before: number): Promise<number> {
    const rooms = await this.redis.zrangebyscore(ROOMS_KEY, '-inf', `(${before}`);
    for (const room of rooms) await this.deleteRoom(room);
    return rooms.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
