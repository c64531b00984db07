/**
 * The peer network of one tab: the one object that owns the signaling
 * connections, and through the rooms it hands out (PeerRoom.ts, one per open
 * note) the WebRTC connections and the BroadcastChannel to other tabs.
 *
 * One connection per remote Weft tab, whatever number of notes the two
 * share: every announce and signal carries this tab's id (`tab`, ignored by
 * stock y-webrtc). A connection negotiated through one note's signaling is
 * registered under the remote's tab id; a further note shared with that tab
 * gets a data channel of its own on it (label {@link MUX_LABEL_PREFIX} +
 * topic + opener's peer id), on which nothing of the note flows until both
 * sides proved they hold its secret (channelAuth.ts) — a tab id is only a
 * claim. Stock y-webrtc peers get one connection per note, as before.
 * Created by the composition root (src/main.tsx) and passed to the transport
 * factory; nothing about it is module-level, so two networks in one process
 * (tests: two "browsers") share nothing.
 *
 * Signaling: one {@link SignalingClient} per URL, opened with the first room
 * and closed with the last, shared by every room (each room is one topic).
 * On (re)connect every room subscribes and announces itself again.
 */

import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import type { ApplyHooks, SyncRoom, Transport, TransportFactory } from './Transport';
import { SignalingClient, type WebSocketClass } from './SignalingClient';
import { publishFrame, subscribeFrame, unsubscribeFrame } from './signalingMessage';
import type { PeerConnection, PeerConnectionClass } from './PeerConnection';
import { PeerRoom } from './PeerRoom';
import { MUX_LABEL_PREFIX } from './channelAuth';

/** Options of a {@link PeerNetwork}. */
export interface PeerNetworkOptions {
  /** The signaling URLs to use, read whenever a socket is opened (the deploy configuration may arrive late). */
  readonly signaling: () => readonly string[];
  /** ICE servers for new connections (read per connection, and again for an ICE restart). */
  readonly iceServers?: () => RTCIceServer[];
  /** `relay`: TURN relays only, peers never see this device's addresses ("Hide my IP address"); read per connection. */
  readonly iceTransportPolicy?: () => RTCIceTransportPolicy;
  /** WebRTC; default the browser's, none (no peers, only tabs) where it is missing. */
  readonly RTCPeerConnection?: PeerConnectionClass | null;
  /** WebSocket; default the platform's. */
  readonly WebSocket?: WebSocketClass | null;
  /** Tabs of this browser; default the platform's BroadcastChannel, null for none (tests of separate browsers). */
  readonly BroadcastChannel?: (new (name: string) => BroadcastChannel) | null;
  /** Offer and accept compression of large messages (default true where the platform has it). */
  readonly compression?: boolean;
  /** Whether the browser says it is online (default `navigator.onLine`). */
  readonly online?: () => boolean;
  /** One connection per remote tab for all shared notes (default true); false: one per note and peer. */
  readonly multiplex?: boolean;
  /** This tab's id on signaling (default random; tests use it to impersonate another tab). */
  readonly tabId?: string;
  /**
   * The most WebRTC connections a room opens itself (undefined: MAX_WEBRTC_CONNECTIONS, PeerRoom.ts),
   * read at each decision: the deployment's `/config.json` may set it, and it may arrive late.
   * A room answers offers up to twice this (routeSignal.ts): room for a newcomer when all are full.
   */
  readonly maxConnections?: () => number | undefined;
}


/** Options of one note's transport. */
export interface JoinOptions {
  /**
   * Check every received update with the note schema firewall (default true).
   * Off only for tests whose docs are not notes.
   */
  readonly firewall?: boolean;
  /** See {@link ApplyHooks}. */
  readonly hooks?: ApplyHooks;
}

/** What a room needs from its network (PeerRoom.ts). */
export interface RoomHost {
  readonly options: PeerNetworkOptions;
  /** True while at least one signaling socket is open. */
  readonly signalingConnected: boolean;
  /** Starts relaying `topic`'s publishes to `room`; subscribes on every open socket. */
  attach(topic: string, room: PeerRoom): void;
  /** Stops relaying; unsubscribes. */
  detach(topic: string, room: PeerRoom): void;
  /** Signaling sockets that are down try again now (back online, "Try again"), not after their backoff. */
  reconnectSignaling(): void;
  /** Publishes `data` (sealed payload) to `topic`, through `via` or every open socket. */
  publish(topic: string, data: string, via?: SignalingClient): void;
  /** The room's transport closed: its note may open again. */
  closed(noteId: string): void;
  /** This tab's id, or undefined when it does not offer to share connections. */
  readonly tabId: string | undefined;
  /** An open connection to `tab` that other notes may share. */
  sharedWith(tab: string): PeerConnection | undefined;
  /** Registers a connection negotiated through a note's signaling with the tab it leads to (the first one stays). */
  shareConnection(tab: string, connection: PeerConnection): void;
  /** Stops offering `connection` for `tab` (a note's proof failed on it: the tab id was not its own). */
  forgetShared(tab: string, connection: PeerConnection): void;
  /** A channel the remote side opened on one of our connections: to the room it names, or closed. */
  incomingChannel(connection: PeerConnection, channel: RTCDataChannel): void;
}

export class PeerNetwork implements RoomHost {
  private readonly clients = new Map<string, SignalingClient>();
  private readonly rooms = new Map<string, PeerRoom>();
  private readonly openNotes = new Set<string>();
  /** Connections other notes may share, by the remote tab's id. */
  private readonly shared = new Map<string, PeerConnection>();
  /** The tab each registered connection leads to (for channels the remote side opens). */
  private readonly tabOf = new WeakMap<PeerConnection, string>();
  private destroyed = false;
  readonly tabId: string | undefined;

  constructor(readonly options: PeerNetworkOptions) {
    this.tabId = options.multiplex === false ? undefined : (options.tabId ?? crypto.randomUUID());
  }

  /** The transport factory for the composition root. */
  readonly factory: TransportFactory = (doc, awareness, room, hooks) => this.join(doc, awareness, room, hooks ? { hooks } : {});

  /**
   * Joins `doc` to its note's room. Throws when the note is already open in
   * this network (the composition root must reuse or destroy the first).
   */
  join(doc: Y.Doc, awareness: Awareness, room: SyncRoom, options: JoinOptions = {}): Transport {
    if (this.destroyed) throw new Error('the peer network was destroyed');
    if (this.openNotes.has(room.noteId)) throw new Error(`a sync transport for note ${room.noteId} is already open in this tab`);
    this.openNotes.add(room.noteId);
    return new PeerRoom(this, doc, awareness, room, options);
  }

  get signalingConnected(): boolean {
    for (const client of this.clients.values()) if (client.connected) return true;
    return false;
  }

  attach(topic: string, room: PeerRoom): void {
    this.rooms.set(topic, room);
    this.openClients();
    for (const client of this.clients.values()) {
      client.send(subscribeFrame([topic]));
      if (client.connected) room.signalingOpened(client);
    }
  }

  detach(topic: string, room: PeerRoom): void {
    if (this.rooms.get(topic) !== room) return;
    this.rooms.delete(topic);
    for (const client of this.clients.values()) client.send(unsubscribeFrame([topic]));
    if (this.rooms.size === 0) this.closeClients();
  }

  reconnectSignaling(): void {
    for (const client of this.clients.values()) client.reconnectNow();
  }

  publish(topic: string, data: string, via?: SignalingClient): void {
    const frame = publishFrame(topic, data);
    if (via !== undefined && via.connected) via.send(frame);
    else for (const client of this.clients.values()) client.send(frame);
  }

  closed(noteId: string): void {
    this.openNotes.delete(noteId);
  }

  sharedWith(tab: string): PeerConnection | undefined {
    const connection = this.shared.get(tab);
    if (connection?.isClosed) this.shared.delete(tab);
    return connection?.isClosed ? undefined : connection;
  }

  shareConnection(tab: string, connection: PeerConnection): void {
    if (this.tabId === undefined) return;
    this.tabOf.set(connection, tab);
    if (this.sharedWith(tab) === undefined) this.shared.set(tab, connection);
  }

  forgetShared(tab: string, connection: PeerConnection): void {
    if (this.shared.get(tab) === connection) this.shared.delete(tab);
  }

  incomingChannel(connection: PeerConnection, channel: RTCDataChannel): void {
    const [prefix, topic, openerPeerId, ...rest] = channel.label.split(' ');
    const tab = this.tabOf.get(connection);
    const room = topic === undefined ? undefined : this.rooms.get(topic);
    if (prefix !== MUX_LABEL_PREFIX || rest.length > 0 || !openerPeerId || tab === undefined || !room) {
      channel.close();
      return;
    }
    room.acceptMux(connection, channel, openerPeerId, tab);
  }

  /** Closes every socket; rooms still open stay offline. */
  destroy(): void {
    this.destroyed = true;
    this.closeClients();
  }

  private openClients(): void {
    const WebSocketImpl = this.options.WebSocket === undefined ? globalThis.WebSocket : this.options.WebSocket;
    if (!WebSocketImpl) return;
    for (const url of this.options.signaling()) {
      if (this.clients.has(url)) continue;
      const client: SignalingClient = new SignalingClient(url, WebSocketImpl, {
        onOpen: () => {
          if (this.rooms.size > 0) client.send(subscribeFrame([...this.rooms.keys()]));
          for (const room of this.rooms.values()) room.signalingOpened(client);
          this.notifyRooms();
        },
        onPublish: (frame) => this.rooms.get(frame.topic)?.receiveSignal(client, frame.data),
        onClose: () => this.notifyRooms(),
      });
      this.clients.set(url, client);
    }
  }

  private closeClients(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
    this.notifyRooms();
  }

  private notifyRooms(): void {
    for (const room of this.rooms.values()) room.statusMayHaveChanged();
  }
}
