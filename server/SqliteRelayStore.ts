/**
 * The relay store in SQLite (better-sqlite3): the default, under DATA_DIR, no setup.
 * WAL with `synchronous = FULL`: a write returns only after its commit is fsynced, so an
 * acknowledged blob survives `kill -9` and power loss. Group commit: writes that arrive in
 * the same turn of the event loop share one transaction (one fsync) and are all answered
 * after it; each is still checked against its room's bounds in arrival order.
 * better-sqlite3 is synchronous; a transaction of small writes is cheaper than a worker.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BlobKind } from './relayProtocol.js';
import { TOUCH_GRANULARITY_MS, type BlobWrite, type RelayStore, type RoomBounds, type RoomPage, type StoredBlob, type WriteResult } from './RelayStore.js';

/** The database file inside DATA_DIR. */
export const RELAY_DB_FILE = 'relay.sqlite';

const KINDS: Record<BlobKind, number> = { update: 1, snapshot: 2 };
const kindOf = (n: number): BlobKind => (n === KINDS.snapshot ? 'snapshot' : 'update');

interface QueuedWrite {
  readonly room: string;
  readonly blob: BlobWrite;
  readonly bounds: RoomBounds;
  readonly now: number;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (error: unknown) => void;
}

interface RoomRow {
  head: number;
  blobs: number;
  bytes: number;
  touched: number;
}

export class SqliteRelayStore implements RelayStore {
  private readonly db: Database.Database;
  private readonly stmt;
  private closed = false;
  private queue: QueuedWrite[] = [];

  /** Opens (creating if needed) `dir/relay.sqlite`. */
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, RELAY_DB_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS rooms (
        id TEXT PRIMARY KEY, head INTEGER NOT NULL, blobs INTEGER NOT NULL,
        bytes INTEGER NOT NULL, touched INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS rooms_touched ON rooms (touched);
      CREATE TABLE IF NOT EXISTS blobs (
        room TEXT NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL, hash TEXT NOT NULL,
        data BLOB NOT NULL, PRIMARY KEY (room, seq));
      CREATE UNIQUE INDEX IF NOT EXISTS blobs_hash ON blobs (room, hash);`);
    this.stmt = {
      room: this.db.prepare<[string], RoomRow>('SELECT head, blobs, bytes, touched FROM rooms WHERE id = ?'),
      byHash: this.db.prepare<[string, string], { seq: number }>('SELECT seq FROM blobs WHERE room = ? AND hash = ?'),
      prefix: this.db.prepare<[string, number], { n: number; bytes: number }>(
        'SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(data)), 0) AS bytes FROM blobs WHERE room = ? AND seq <= ?',
      ),
      deletePrefix: this.db.prepare<[string, number]>('DELETE FROM blobs WHERE room = ? AND seq <= ?'),
      insert: this.db.prepare<[string, number, number, string, Buffer]>('INSERT INTO blobs (room, seq, kind, hash, data) VALUES (?, ?, ?, ?, ?)'),
      upsertRoom: this.db.prepare<[string, number, number, number, number]>(
        'INSERT INTO rooms (id, head, blobs, bytes, touched) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (id) DO UPDATE SET head = excluded.head, blobs = excluded.blobs, bytes = excluded.bytes, touched = excluded.touched',
      ),
      page: this.db.prepare<[string, number], { seq: number; kind: number; data: Buffer }>(
        'SELECT seq, kind, data FROM blobs WHERE room = ? AND seq > ? ORDER BY seq',
      ),
      touch: this.db.prepare<[number, string]>('UPDATE rooms SET touched = ? WHERE id = ?'),
      deleteBlobs: this.db.prepare<[string]>('DELETE FROM blobs WHERE room = ?'),
      deleteRoom: this.db.prepare<[string]>('DELETE FROM rooms WHERE id = ?'),
      idle: this.db.prepare<[number], { id: string }>('SELECT id FROM rooms WHERE touched < ?'),
    };
  }

  write(room: string, blob: BlobWrite, bounds: RoomBounds, now: number): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      if (this.queue.push({ room, blob, bounds, now, resolve, reject }) === 1) setImmediate(() => this.commit());
    });
  }

  /** Writes every queued blob in one transaction, then answers them all. */
  private commit(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let results: WriteResult[];
    try {
      results = this.db.transaction(() => batch.map((w) => this.writeOne(w.room, w.blob, w.bounds, w.now))).immediate();
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i] as WriteResult));
  }

  private writeOne(room: string, blob: BlobWrite, bounds: RoomBounds, now: number): WriteResult {
    const known = this.stmt.byHash.get(room, blob.hash);
    if (known) return { ok: true, seq: known.seq, duplicate: true };
    const row = this.stmt.room.get(room) ?? { head: 0, blobs: 0, bytes: 0, touched: now };
    let { blobs, bytes } = row;
    if (blob.kind === 'snapshot') {
      const replaces = blob.replaces ?? 0;
      if (replaces > row.head) return { ok: false, reason: 'stale-snapshot' };
      const gone = this.stmt.prefix.get(room, replaces) ?? { n: 0, bytes: 0 };
      blobs -= gone.n;
      bytes -= gone.bytes;
    }
    if (blobs + 1 > bounds.maxBlobs) return { ok: false, reason: 'room-blobs' };
    if (bytes + blob.data.byteLength > bounds.maxBytes) return { ok: false, reason: 'room-bytes' };
    if (blob.kind === 'snapshot') this.stmt.deletePrefix.run(room, blob.replaces ?? 0);
    const seq = row.head + 1;
    this.stmt.insert.run(room, seq, KINDS[blob.kind], blob.hash, Buffer.from(blob.data.buffer, blob.data.byteOffset, blob.data.byteLength));
    this.stmt.upsertRoom.run(room, seq, blobs + 1, bytes + blob.data.byteLength, now);
    return { ok: true, seq, duplicate: false };
  }

  read(room: string, after: number, maxBytes: number, now: number): Promise<RoomPage> {
    const row = this.stmt.room.get(room);
    if (!row) return Promise.resolve({ head: 0, count: 0, bytes: 0, blobs: [], more: false });
    if (now - row.touched >= TOUCH_GRANULARITY_MS) this.stmt.touch.run(now, room);
    const blobs: StoredBlob[] = [];
    let size = 0;
    let more = false;
    for (const b of this.stmt.page.iterate(room, after)) {
      if (blobs.length > 0 && size + b.data.byteLength > maxBytes) {
        more = true;
        break;
      }
      blobs.push({ seq: b.seq, kind: kindOf(b.kind), data: new Uint8Array(b.data) });
      size += b.data.byteLength;
    }
    return Promise.resolve({ head: row.head, count: row.blobs, bytes: row.bytes, blobs, more });
  }

  deleteRoom(room: string): Promise<boolean> {
    const run = this.db.transaction(() => {
      this.stmt.deleteBlobs.run(room);
      return this.stmt.deleteRoom.run(room).changes > 0;
    });
    return Promise.resolve(run.immediate());
  }

  expire(before: number): Promise<number> {
    const ids = this.stmt.idle.all(before).map((r) => r.id);
    for (const id of ids) void this.deleteRoom(id);
    return Promise.resolve(ids.length);
  }

  close(): Promise<void> {
    if (!this.closed) {
      // Writes still queued are committed and answered first, not left hanging.
      if (this.queue.length > 0) this.commit();
      this.closed = true;
      this.db.close();
    }
    return Promise.resolve();
  }
}
