/**
 * The relay store in memory: for tests and for a server started without DATA_DIR
 * persistence in mind. Same contract as the durable adapters (RelayStore.contract.test.ts).
 */
import { TOUCH_GRANULARITY_MS, type BlobWrite, type RelayStore, type RoomBounds, type RoomPage, type StoredBlob, type WriteResult } from './RelayStore.js';

interface Room {
  head: number;
  bytes: number;
  touched: number;
  blobs: Array<StoredBlob & { hash: string }>;
}

export class MemoryRelayStore implements RelayStore {
  private readonly rooms = new Map<string, Room>();

  write(id: string, blob: BlobWrite, bounds: RoomBounds, now: number): Promise<WriteResult> {
    const room = this.rooms.get(id) ?? { head: 0, bytes: 0, touched: now, blobs: [] };
    const known = room.blobs.find((b) => b.hash === blob.hash);
    if (known) return Promise.resolve({ ok: true, seq: known.seq, duplicate: true });
    const kept = blob.kind === 'snapshot' ? room.blobs.filter((b) => b.seq > (blob.replaces ?? 0)) : room.blobs;
    if (blob.kind === 'snapshot' && (blob.replaces ?? 0) > room.head) return Promise.resolve({ ok: false, reason: 'stale-snapshot' });
    const bytes = kept.reduce((sum, b) => sum + b.data.byteLength, 0) + blob.data.byteLength;
    if (kept.length + 1 > bounds.maxBlobs) return Promise.resolve({ ok: false, reason: 'room-blobs' });
    if (bytes > bounds.maxBytes) return Promise.resolve({ ok: false, reason: 'room-bytes' });
    const seq = room.head + 1;
    room.blobs = [...kept, { seq, kind: blob.kind, data: blob.data.slice(), hash: blob.hash }];
    room.head = seq;
    room.bytes = bytes;
    room.touched = now;
    this.rooms.set(id, room);
    return Promise.resolve({ ok: true, seq, duplicate: false });
  }

  read(id: string, after: number, maxBytes: number, now: number): Promise<RoomPage> {
    const room = this.rooms.get(id);
    if (!room) return Promise.resolve({ head: 0, count: 0, bytes: 0, blobs: [], more: false });
    if (now - room.touched >= TOUCH_GRANULARITY_MS) room.touched = now;
    const blobs: StoredBlob[] = [];
    let size = 0;
    let more = false;
    for (const b of room.blobs) {
      if (b.seq <= after) continue;
      if (blobs.length > 0 && size + b.data.byteLength > maxBytes) {
        more = true;
        break;
      }
      blobs.push({ seq: b.seq, kind: b.kind, data: b.data.slice() });
      size += b.data.byteLength;
    }
    return Promise.resolve({ head: room.head, count: room.blobs.length, bytes: room.bytes, blobs, more });
  }

  deleteRoom(id: string): Promise<boolean> {
    return Promise.resolve(this.rooms.delete(id));
  }

  expire(before: number): Promise<number> {
    let n = 0;
    for (const [id, room] of this.rooms) {
      if (room.touched < before) {
        this.rooms.delete(id);
        n++;
      }
    }
    return Promise.resolve(n);
  }

  close(): Promise<void> {
    this.rooms.clear();
    return Promise.resolve();
  }
}
