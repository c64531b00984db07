/**
 * In-memory {@link Transport} for tests and Node: a {@link LoopbackNetwork}
 * hub connects every transport of the same room (same note id *and* secret,
 * like the real topic derivation) in a full mesh and speaks the same y-protocols
 * messages y-webrtc does: sync step 1/2 when a link comes up, incremental
 * updates afterwards, awareness states both ways.
 *
 * Deterministic: no timers. Messages go through one FIFO queue that is drained
 * synchronously after each send (default) or only on {@link LoopbackNetwork.flush}
 * (`autoFlush: false`), which lets tests hold messages in flight. Partitions
 * cut links; messages in flight on a cut link are lost, as on a real network;
 * healing re-runs the sync handshake, which is what makes that safe.
 */

import type * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { Awareness } from 'y-protocols/awareness';
import { ORIGIN_LOOPBACK } from '../doc/origins';
import type { ApplyHooks, SyncRoom, SyncStatus, Transport, TransportFactory } from './Transport';
import { ChangeListeners } from './ChangeListeners';
import { MESSAGE_AWARENESS, MESSAGE_SYNC, readSyncUpdate } from './peerMessage';
import { checkNoteUpdate } from './updateFirewall';

/** Options of a {@link LoopbackNetwork}. */
export interface LoopbackOptions {
  /** Deliver queued messages right after each send (default true); otherwise only on `flush()`. */
  autoFlush?: boolean;
  /**
   * Check every received update with the note schema firewall
   * (updateFirewall.ts) before applying it, as the WebRTC transport does
   * (default true). Off for tests whose docs are not notes.
   */
  firewall?: boolean;
}

interface QueuedMessage {
  readonly from: LoopbackTransport;
  readonly to: LoopbackTransport;
  readonly data: Uint8Array;
}

/** Why a loopback awareness change happened; remote ones are not sent on. */
const AWARENESS_LEAVE = 'loopback:leave';

/** An in-process network of loopback transports. */
export class LoopbackNetwork {
  private readonly members = new Set<LoopbackTransport>();
  private readonly groups = new Map<LoopbackTransport, number>();
  private readonly queue: QueuedMessage[] = [];
  private readonly autoFlush: boolean;
  /** @internal */ readonly firewall: boolean;
  private flushing = false;
  /** Updates the firewall rejected, with the reason (tests). */
  readonly rejected: Array<{ readonly reason: string; readonly update: Uint8Array }> = [];
  /** Bytes delivered so far (for tests that check traffic). */
  deliveredBytes = 0;

  constructor(options: LoopbackOptions = {}) {
    this.autoFlush = options.autoFlush ?? true;
    this.firewall = options.firewall ?? true;
  }

  /** The factory to hand to the composition root. */
  readonly factory: TransportFactory = (doc, awareness, room, hooks) => this.join(doc, awareness, room, hooks);

  /** Joins `doc` to `room`; the returned transport is linked to every reachable member at once. */
  join(doc: Y.Doc, awareness: Awareness, room: SyncRoom, hooks?: ApplyHooks): LoopbackTransport {
    const transport = new LoopbackTransport(this, doc, awareness, `${room.noteId}\u0000${room.secret}`, hooks);
    this.members.add(transport);
    this.groups.set(transport, 0);
    this.relink();
    return transport;
  }

  /** Messages waiting for delivery. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Splits the network: transports in different groups cannot reach each
   * other; members not listed are isolated on their own. Replaces any
   * earlier partition.
   */
  partition(...groups: Transport[][]): void {
    let next = 1;
    for (const member of this.members) this.groups.set(member, -next++);
    groups.forEach((group, index) => {
      for (const transport of group) {
        if (this.members.has(transport as LoopbackTransport)) this.groups.set(transport as LoopbackTransport, index + 1);
      }
    });
    this.relink();
  }

  /** Undoes every partition: all members can reach each other again. */
  heal(): void {
    for (const member of this.members) this.groups.set(member, 0);
    this.relink();
  }

  /** Takes one member off the network (as if its browser went offline) or puts it back. */
  setOnline(transport: Transport, online: boolean): void {
    const member = transport as LoopbackTransport;
    if (!this.members.has(member)) return;
    member.online = online;
    this.relink();
  }

  /** Delivers queued messages (including those sent while delivering) until none are left. */
  flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let message = this.queue.shift(); message !== undefined; message = this.queue.shift()) {
        if (!message.from.isLinkedTo(message.to)) continue; // link cut while in flight
        this.deliveredBytes += message.data.byteLength;
        message.to.receive(message.from, message.data);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** @internal */
  send(from: LoopbackTransport, to: LoopbackTransport, data: Uint8Array): void {
    this.queue.push({ from, to, data });
    if (this.autoFlush) this.flush();
  }

  /** @internal */
  leave(transport: LoopbackTransport): void {
    this.members.delete(transport);
    this.groups.delete(transport);
    this.relink();
  }

  private reachable(a: LoopbackTransport, b: LoopbackTransport): boolean {
    return a !== b && a.roomKey === b.roomKey && a.online && b.online && this.groups.get(a) === this.groups.get(b);
  }

  /** Brings links in line with membership, partitions and online flags. */
  private relink(): void {
    const members = [...this.members];
    for (const a of members) {
      for (const b of [...a.links]) if (!this.members.has(b) || !this.reachable(a, b)) a.unlink(b);
    }
    for (const a of members) {
      for (const b of members) if (this.reachable(a, b) && !a.isLinkedTo(b)) a.link(b);
    }
    for (const member of members) member.notify();
  }
}

/** One doc's membership in a {@link LoopbackNetwork}. */
export class LoopbackTransport implements Transport {
  /** @internal */ readonly links = new Set<LoopbackTransport>();
  /** @internal */ online = true;
  private readonly listeners = new ChangeListeners();
  private destroyed = false;
  private lastStatus: SyncStatus | null = null;
  private lastPeerCount = -1;

  constructor(
    private readonly network: LoopbackNetwork,
    private readonly doc: Y.Doc,
    readonly awareness: Awareness,
    /** @internal */ readonly roomKey: string,
    private readonly hooks?: ApplyHooks,
  ) {
    doc.on('update', this.onDocUpdate);
    awareness.on('update', this.onAwarenessUpdate);
  }

  get status(): SyncStatus {
    if (!this.online || this.destroyed) return 'offline';
    return this.links.size > 0 ? 'connected' : 'connecting';
  }

  get peerCount(): number {
    return this.destroyed ? 0 : this.links.size;
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.doc.off('update', this.onDocUpdate);
    this.awareness.off('update', this.onAwarenessUpdate);
    this.destroyed = true;
    this.network.leave(this);
    this.listeners.clear();
  }

  /** @internal */
  isLinkedTo(other: LoopbackTransport): boolean {
    return this.links.has(other);
  }

  /** @internal Opens a link and runs the handshake from both ends, like a new WebRTC connection. */
  link(other: LoopbackTransport): void {
    this.links.add(other);
    other.links.add(this);
    this.greet(other);
    other.greet(this);
  }

  /** @internal Cuts a link; each side forgets the other's presence, as a closed connection would. */
  unlink(other: LoopbackTransport): void {
    this.links.delete(other);
    other.links.delete(this);
    this.forgetPresenceOf(other);
    other.forgetPresenceOf(this);
  }

  /** @internal Tells listeners if status or peer count changed. */
  notify(): void {
    if (this.destroyed) return;
    if (this.status === this.lastStatus && this.peerCount === this.lastPeerCount) return;
    this.lastStatus = this.status;
    this.lastPeerCount = this.peerCount;
    this.listeners.notify();
  }

  /** @internal Handles one message from a linked peer (same encoding as y-webrtc). */
  receive(from: LoopbackTransport, data: Uint8Array): void {
    if (this.destroyed) return;
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_SYNC) {
      const sync = readSyncUpdate(data);
      if (this.network.firewall) {
        const verdict = sync ? checkNoteUpdate(this.doc, sync.update, { kind: sync.kind }) : { ok: true as const };
        if (!verdict.ok) {
          this.network.rejected.push({ reason: verdict.reason, update: sync?.update ?? data });
          return;
        }
      }
      if (sync) this.hooks?.beforeApply?.(sync.update);
      const reply = encoding.createEncoder();
      encoding.writeVarUint(reply, MESSAGE_SYNC);
      syncProtocol.readSyncMessage(decoder, reply, this.doc, ORIGIN_LOOPBACK);
      // Only sync step 1 produces a reply (step 2) beyond the type byte.
      if (encoding.length(reply) > 1) this.network.send(this, from, encoding.toUint8Array(reply));
    } else if (type === MESSAGE_AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this);
    }
  }

  private greet(other: LoopbackTransport): void {
    const sync = encoding.createEncoder();
    encoding.writeVarUint(sync, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(sync, this.doc);
    this.network.send(this, other, encoding.toUint8Array(sync));
    if (this.awareness.getLocalState() !== null) {
      this.network.send(this, other, this.awarenessMessage([this.awareness.clientID]));
    }
  }

  private forgetPresenceOf(other: LoopbackTransport): void {
    if (this.destroyed) return;
    const id = other.awareness.clientID;
    if (id !== this.awareness.clientID && this.awareness.getStates().has(id)) {
      awarenessProtocol.removeAwarenessStates(this.awareness, [id], AWARENESS_LEAVE);
    }
  }

  private awarenessMessage(clients: number[]): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients));
    return encoding.toUint8Array(encoder);
  }

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    // Full mesh: every peer hears each change from its author, so updates
    // that came from a peer are not sent on.
    // Nobody to tell: encode nothing (a peer that links later gets the state in its greeting).
    if (origin === ORIGIN_LOOPBACK || this.links.size === 0) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeUpdate(encoder, update);
    const message = encoding.toUint8Array(encoder);
    for (const peer of this.links) this.network.send(this, peer, message);
  };

  private readonly onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === this || origin === AWARENESS_LEAVE || this.links.size === 0) return;
    const own = [...added, ...updated, ...removed].filter((id) => id === this.awareness.clientID);
    if (own.length === 0) return;
    const message = this.awarenessMessage(own);
    for (const peer of this.links) this.network.send(this, peer, message);
  };
}
