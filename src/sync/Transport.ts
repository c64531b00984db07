import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import type { RelayHandle } from './RelayTransport';
import type { ConnectionHandle } from './ConnectionMonitor';
import type { NoteKeys } from './noteKeys';

/**
 * What the status line says:
 * - `offline`: no way to reach anyone right now (browser offline, or no
 *   signaling connection) and no peer connected;
 * - `connecting`: reachable and looking for peers, none connected yet;
 * - `connected`: at least one peer (another device over WebRTC, or another
 *   tab of this browser) is connected; see {@link Transport.peerCount}.
 */
export type SyncStatus = 'offline' | 'connecting' | 'connected';

/** Which note to sync, straight from its share link (see shareLink.ts). */
export interface SyncRoom {
  readonly noteId: string;
  /** The note's capability: an edit secret, or a view-only `<readKey>.<publicKey>` (noteId.ts). */
  readonly secret: string;
  /**
   * The keys derived from `secret` (noteKeys.ts), when the caller derived them already:
   * the peers and the relay of one note share one derivation. Absent: each transport derives.
   */
  readonly keys?: Promise<NoteKeys>;
  /**
   * Whether the note is shared, i.e. kept on the store-and-forward relay (absent: never).
   * The composition root remembers it per note.
   */
  readonly sharing?: Sharing;
}

/** A note's "shared" flag: only shared notes are kept on the relay. */
export interface Sharing {
  shared(): boolean;
  set(shared: boolean): void;
}

/**
 * A live link between one note's Y.Doc and the other peers that have it open.
 * From creation until `destroy()` it relays doc updates and awareness states
 * both ways. It never owns the doc or the awareness: the caller creates and
 * destroys those.
 */
export interface Transport {
  readonly status: SyncStatus;
  /** Peers connected right now (WebRTC peers + tabs of this browser). */
  readonly peerCount: number;
  /** The awareness instance passed to the factory. */
  readonly awareness: Awareness;
  /**
   * The store-and-forward relay's side of this transport, when it has one: what the
   * relay holds and what waits, Share / Stop sharing.
   */
  readonly relay?: RelayHandle;
  /**
   * What the peer connections are doing (signaling, ICE candidates, paths, errors) and
   * "Try again", when the transport has peer connections (ConnectionMonitor.ts).
   */
  readonly connection?: ConnectionHandle;
  /** Calls `listener` after `status`, `peerCount` or the relay's status changed. Returns its disposer. */
  onChange(listener: () => void): () => void;
  /**
   * Stops syncing and releases everything the transport acquired; from then
   * on `status` is 'offline' and `peerCount` 0. Idempotent.
   */
  destroy(): void;
}

/** Creates a transport for `doc` in `room`; the composition root picks WebRTC or loopback. */
export type TransportFactory = (doc: Y.Doc, awareness: Awareness, room: SyncRoom, hooks?: ApplyHooks) => Transport;

/** What the doc's owner needs done when a transport applies a peer's update. */
export interface ApplyHooks {
  /**
   * Called with a peer's update (sync step 2 or an update) right before it is
   * applied to the doc, after every check passed. The editor binding commits
   * keystrokes not yet in the doc there, and reads what the peer deleted
   * (DocBinding.beforeRemoteUpdate).
   */
  beforeApply?(update: Uint8Array): void;
}
