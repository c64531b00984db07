/**
 * Where the relay keeps rooms: per opaque room id, an append-only list of opaque blobs
 * numbered by a per-room sequence, of which a snapshot may replace a prefix. Adapters:
 * memory (tests), SQLite (the default, under DATA_DIR), Redis (several instances). Every
 * adapter passes tests/unit/server/RelayStore.contract.test.ts. A write resolves only
 * once it is durable in the adapter's sense (fsynced for SQLite, AOF'd for Redis).
 */
import type { BlobKind } from './relayProtocol.js';

/** One stored blob. */
export interface StoredBlob {
  readonly seq: number;
  readonly kind: BlobKind;
  readonly data: Uint8Array;
}

/** A write: an update appended, or a snapshot replacing every blob up to `replaces`. */
export interface BlobWrite {
  readonly kind: BlobKind;
  readonly data: Uint8Array;
  /** SHA-256 of `data` (hex): a blob already in the room is not stored twice. */
  readonly hash: string;
  /** Snapshots only: the blobs with `seq ≤ replaces` are deleted with the write. */
  readonly replaces?: number;
}

/** Bounds a write must keep (per room). */
export interface RoomBounds {
  readonly maxBlobs: number;
  readonly maxBytes: number;
}

/** Outcome of a write. */
export type WriteResult =
  | { readonly ok: true; readonly seq: number; readonly duplicate: boolean }
  | { readonly ok: false; readonly reason: 'room-blobs' | 'room-bytes' | 'stale-snapshot' };

/** A page of a room, after a cursor. */
export interface RoomPage {
  /** The room's newest sequence number (0: no blob was ever written, or the room is gone). */
  readonly head: number;
  /** Blobs and bytes the room holds now. */
  readonly count: number;
  readonly bytes: number;
  readonly blobs: readonly StoredBlob[];
  /** More blobs follow (the page reached its byte bound). */
  readonly more: boolean;
}

export interface RelayStore {
  /** Stores a blob; touches the room. */
  write(room: string, blob: BlobWrite, bounds: RoomBounds, now: number): Promise<WriteResult>;
  /** Blobs with `seq > after`, oldest first, at least one and then up to `maxBytes`; touches the room. */
  read(room: string, after: number, maxBytes: number, now: number): Promise<RoomPage>;
  /** Deletes the room and its blobs; whether it existed. */
  deleteRoom(room: string): Promise<boolean>;
  /** Deletes rooms last touched before `before`; how many. */
  expire(before: number): Promise<number>;
  /** Releases the store (idempotent). */
  close(): Promise<void>;
}

/** Reads touch a room's time at most this often (a write per read would be wasteful). */
export const TOUCH_GRANULARITY_MS = 60 * 60_000;
