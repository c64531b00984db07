/**
 * The real {@link Transport}: y-webrtc's `WebrtcProvider`, configured for
 * Weft and hardened.
 *
 * - Signaling: our own server only (same-origin `/signal` plus configured
 *   extras; see syncConfig.ts), never y-webrtc's public defaults.
 * - Topic and key: room name from keys.ts, `password` = the link's secret.
 * - ICE: `peerOpts.config.iceServers` from the deploy configuration (default
 *   none: LAN and loopback peers still connect).
 * - Data channels: through chunkedWrtc.ts (large messages framed, every
 *   received message checked by peerMessage.ts and every update by the schema
 *   firewall, updateFirewall.ts; misbehaving peers dropped and
 *   their signaling ignored for {@link BLOCK_DURATION_MS}); large messages
 *   deflated between Weft peers (compression.ts); no update is sent back to
 *   the peer it came from (EchoFilter.ts).
 * - Signaling frames: through signalingGuard.ts.
 * - Same-browser tabs: BroadcastChannel (`filterBcConns: true`, so two tabs
 *   sync over BroadcastChannel and do not also open WebRTC to each other).
 *
 * Remote updates are applied by y-webrtc with its `Room` object as the
 * transaction origin.
 */

import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { WebrtcProvider, type Room } from 'y-webrtc';
import * as bc from 'lib0/broadcastchannel';
import * as decoding from 'lib0/decoding';
import { removeAwarenessStates } from 'y-protocols/awareness';
import type { SyncRoom, SyncStatus, Transport, TransportFactory } from './Transport';
import { ChangeListeners } from './ChangeListeners';
import { deriveRoomName, roomPassword } from './keys';
import { createChunkedWrtc, type WrtcImplementation } from './chunkedWrtc';
import { AwarenessOwnership } from './awarenessOwnership';
import { EchoFilter } from './EchoFilter';
import { TokenBucket } from './TokenBucket';
import { MESSAGE_AWARENESS, checkPeerMessage, readSyncUpdate } from './peerMessage';
import { checkNoteUpdate } from './updateFirewall';
import { guardSignalingSocket, registerGuardedRoom } from './signalingGuard';
import { DEFAULT_SYNC_CONFIG, resolveSignalingUrls, type SyncConfig } from './syncConfig';

/** Transaction origin of presence removed because the connection that carried it closed. */
export const ORIGIN_PEER_GONE = 'weft:peer-gone';

/**
 * Presence messages per connection: a burst of {@link AWARENESS_BURST}, then
 * {@link AWARENESS_PER_SECOND} a second (token bucket). A connection carries
 * its peer's caret moves and those it relays for the rest of the room; the
 * excess is dropped (no strike: a busy honest room can reach it briefly).
 */
export const AWARENESS_PER_SECOND = 60;
/** See {@link AWARENESS_PER_SECOND}. */
export const AWARENESS_BURST = 120;

/** How long a peer dropped for misbehaviour is ignored on signaling. */
export const BLOCK_DURATION_MS = 60_000;
/** y-webrtc's connection cap per room (its default is random in 20..34; a fixed cap is easier to reason about). */
export const MAX_WEBRTC_CONNECTIONS = 20;

/** Options of {@link createWebrtcTransportFactory}. */
export interface WebrtcTransportOptions {
  /** Deploy configuration (syncConfig.ts `loadSyncConfig`). */
  config?: SyncConfig;
  /** Where the app runs, for the same-origin signaling URL; default `globalThis.location`. */
  location?: { protocol: string; host: string };
  /** Full signaling list, replacing the one derived from `location` + `config` (tests). */
  signaling?: string[];
  /** WebRTC implementation; default the browser's. */
  wrtc?: WrtcImplementation;
  /**
   * Check every received update with the note schema firewall (default true).
   * Off only for tests whose docs are not notes.
   */
  firewall?: boolean;
  /** The provider class (tests load a second y-webrtc instance to simulate a second browser). */
  WebrtcProvider?: typeof WebrtcProvider;
}

/** Minimal view of y-webrtc's signaling connection (lib0 WebsocketClient). */
interface SignalingConnView {
  readonly connected: boolean;
  readonly ws: WebSocket | null;
  on(event: 'connect' | 'disconnect', listener: () => void): void;
  off(event: 'connect' | 'disconnect', listener: () => void): void;
}

/** The origin lib0 gives a message that came from another tab (its own `publish` calls pass none). */
const FROM_OTHER_TAB = 'broadcastchannel';

/**
 * lib0's `publish` hands a message to this tab's own subscribers as well as to
 * the other tabs, so y-webrtc's room decrypted and applied everything it sent
 * to other tabs a second time itself: every local update and caret move, and
 * on connecting the whole note (its sync step 2) — about 50 ms of decoding on
 * the 1,173-paragraph automerge-paper note, in the middle of a new peer's
 * initial sync (bench scenario 5 profile). One room per name per tab, so
 * whatever reaches its subscriber from this tab is its own echo. Swaps the
 * subscriber (the new one first, so the channel never closes in between);
 * y-webrtc's disconnect/connect use the property, so the swap sticks.
 */
function ignoreOwnBroadcasts(room: Room): void {
  const fromAnyone = room._bcSubscriber;
  const fromOtherTabs = (data: ArrayBuffer, origin?: unknown): PromiseLike<unknown> =>
    origin === FROM_OTHER_TAB ? fromAnyone(data) : Promise.resolve();
  room._bcSubscriber = fromOtherTabs;
  // (Tests that stub the property out keep their stub.)
  if (room._bcSubscriber !== fromOtherTabs || !room.bcconnected) return;
  bc.subscribe(room.name, fromOtherTabs);
  bc.unsubscribe(room.name, fromAnyone);
}

/** Notes with a live WebRTC transport in this tab. y-webrtc allows one provider per room per tab. */
const openNotes = new Set<string>();
/**
 * Teardown of the last transport per room name: y-webrtc deletes a room
 * asynchronously, and opening the same room before that finished throws
 * (unhandled) inside its constructor. A new transport waits for this.
 */
const closingRooms = new Map<string, Promise<void>>();

const browserWrtc = (): WrtcImplementation | undefined => {
  const g = globalThis as unknown as Partial<WrtcImplementation>;
  return g.RTCPeerConnection && g.RTCSessionDescription && g.RTCIceCandidate
    ? { RTCPeerConnection: g.RTCPeerConnection, RTCSessionDescription: g.RTCSessionDescription, RTCIceCandidate: g.RTCIceCandidate }
    : undefined;
};

const browserOnline = (): boolean => typeof navigator === 'undefined' || navigator.onLine !== false;

/**
 * Returns a {@link TransportFactory} that syncs over WebRTC. Throws when a
 * transport for the same note is already open in this tab (y-webrtc cannot
 * have two providers for one room; the composition root must reuse or
 * destroy the first).
 */
export const createWebrtcTransportFactory =
  (options: WebrtcTransportOptions = {}): TransportFactory =>
  (doc, awareness, room) =>
    new WebrtcTransport(doc, awareness, room, options);

class WebrtcTransport implements Transport {
  private readonly listeners = new ChangeListeners();
  private readonly disposers: (() => void)[] = [];
  private readonly blocked = new Map<string, number>();
  private provider: WebrtcProvider | null = null;
  private webrtcPeers = 0;
  private bcPeers = 0;
  private destroyed = false;
  private lastStatus: SyncStatus;
  private lastPeerCount = 0;
  /**
   * Awareness clients heard on each data channel. y-webrtc never removes a
   * peer's presence when its connection closes (only the peer itself can, on
   * a clean unload), so a crashed or disconnected peer stayed listed, caret
   * included, for awareness' 30 s timeout. With this map the states only that
   * channel vouched for are removed as soon as it closes.
   */
  private readonly awarenessByChannel = new Map<RTCDataChannel, Set<number>>();

  constructor(
    private readonly doc: Y.Doc,
    readonly awareness: Awareness,
    private readonly room: SyncRoom,
    private readonly options: WebrtcTransportOptions,
  ) {
    if (openNotes.has(room.noteId)) {
      throw new Error(`a sync transport for note ${room.noteId} is already open in this tab`);
    }
    openNotes.add(room.noteId);
    this.lastStatus = this.computeStatus();
    if (typeof globalThis.addEventListener === 'function') {
      const onNetwork = (): void => this.update();
      globalThis.addEventListener('online', onNetwork);
      globalThis.addEventListener('offline', onNetwork);
      this.disposers.push(() => {
        globalThis.removeEventListener('online', onNetwork);
        globalThis.removeEventListener('offline', onNetwork);
      });
    }
    void this.start();
  }

  get status(): SyncStatus {
    return this.lastStatus;
  }

  get peerCount(): number {
    return this.lastPeerCount;
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const dispose of this.disposers.splice(0).reverse()) dispose();
    this.listeners.clear();
    openNotes.delete(this.room.noteId);
  }

  private async start(): Promise<void> {
    let roomName: string;
    try {
      roomName = await deriveRoomName(this.room.noteId, this.room.secret);
      await closingRooms.get(roomName);
    } catch {
      return; // WebCrypto unavailable: stay offline rather than throw later.
    }
    if (this.destroyed) return;
    const { config = DEFAULT_SYNC_CONFIG } = this.options;
    const signaling =
      this.options.signaling ??
      resolveSignalingUrls(this.options.location ?? globalThis.location ?? { protocol: '', host: '' }, config);
    const baseWrtc = this.options.wrtc ?? browserWrtc();
    // Presence: a peer may only speak for client ids it introduced first (awarenessOwnership.ts).
    const ownership = new AwarenessOwnership<RTCDataChannel>((channel) => channel.readyState === 'open');
    // y-webrtc sends every update it applies back to the peer it came from as well (EchoFilter.ts).
    const echoes = new WeakMap<RTCDataChannel, EchoFilter>();
    const presenceRates = new WeakMap<RTCDataChannel, TokenBucket>();
    const wrtc = baseWrtc
      ? createChunkedWrtc(baseWrtc, {
          filter: (message, channel) => {
            const checked = checkPeerMessage(message, this.doc.clientID, (clientId) => ownership.claim(channel, clientId));
            if (!checked.ok) return null;
            if (checked.message[0] === MESSAGE_AWARENESS) {
              let rate = presenceRates.get(channel);
              if (!rate) presenceRates.set(channel, (rate = new TokenBucket(AWARENESS_BURST, AWARENESS_PER_SECOND, Date.now())));
              if (!rate.take(Date.now())) return undefined;
            }
            // The schema firewall (updateFirewall.ts): a rejected update is a
            // strike, like a malformed message; it never reaches the doc.
            // y-webrtc applies on a later tick, hence appliedLater.
            const sync = readSyncUpdate(checked.message);
            if (sync && this.options.firewall !== false && !checkNoteUpdate(this.doc, sync.update, { kind: sync.kind, appliedLater: true }).ok) return null;
            this.noteAwarenessClients(checked.message, channel);
            let echo = echoes.get(channel);
            if (!echo) echoes.set(channel, (echo = new EchoFilter()));
            echo.noteReceived(checked.message);
            return checked.message;
          },
          skipSend: (message, channel) => echoes.get(channel)?.isEcho(message) ?? false,
          onChannelClosed: (channel) => {
            ownership.release(channel);
            this.forgetClosedChannels();
          },
          onOpenChannelsChange: (count) => {
            this.webrtcPeers = count;
            this.update();
          },
          onViolation: (channel) => this.blockPeerOf(channel),
        })
      : undefined;
    const Provider = this.options.WebrtcProvider ?? WebrtcProvider;
    const provider = new Provider(roomName, this.doc, {
      signaling,
      password: roomPassword(this.room.secret),
      awareness: this.awareness,
      maxConns: MAX_WEBRTC_CONNECTIONS,
      filterBcConns: true,
      peerOpts: { config: { iceServers: config.iceServers }, ...(wrtc ? { wrtc } : {}) },
    });
    this.provider = provider;
    // y-webrtc creates the room and connects it in its own callback on this
    // promise, which runs before this one (and before any broadcast: they are
    // encrypted first, asynchronously).
    void provider.key.then(() => {
      if (provider.room) ignoreOwnBroadcasts(provider.room);
    });

    this.disposers.push(
      registerGuardedRoom(roomName, {
        key: provider.key,
        context: {
          hasConnection: (peerId) => provider.room?.webrtcConns.has(peerId) ?? false,
          get connectionCount() {
            return provider.room?.webrtcConns.size ?? 0;
          },
          maxConnections: MAX_WEBRTC_CONNECTIONS,
          isBlocked: (peerId) => this.isBlocked(peerId),
        },
        openRoom: () => provider.room,
      }),
    );

    const onPeers = ({ bcPeers }: { bcPeers: string[] }): void => {
      this.bcPeers = bcPeers.length;
      this.update();
    };
    provider.on('peers', onPeers);
    this.disposers.push(() => provider.off('peers', onPeers));

    for (const conn of provider.signalingConns as SignalingConnView[]) {
      const onConnect = (): void => {
        if (conn.ws) guardSignalingSocket(conn.ws);
        this.update();
      };
      const onDisconnect = (): void => this.update();
      if (conn.ws) guardSignalingSocket(conn.ws);
      conn.on('connect', onConnect);
      conn.on('disconnect', onDisconnect);
      this.disposers.push(() => {
        conn.off('connect', onConnect);
        conn.off('disconnect', onDisconnect);
      });
    }

    this.disposers.push(() => {
      // y-webrtc's destroy() leaves the provider registered with its
      // signaling connections (sockets stay open): disconnect first.
      provider.disconnect();
      provider.destroy();
      // Signaling frames already handed to y-webrtc are still being decrypted
      // (async) and then run against this room: an answer for a connection
      // that disconnect() just destroyed makes y-webrtc throw an unhandled
      // rejection, an announce would open a new connection on a dead room.
      // With a fresh peer id nothing in flight is addressed to us any more,
      // and with no connection slots announces are ignored.
      const room = provider.room;
      if (room) room.peerId = `closed:${roomName.slice(0, 8)}:${Math.random()}`;
      provider.maxConns = 0;
      // destroy() deletes the room once the key promise settles; make the
      // next transport for this room wait for that.
      const closed = Promise.resolve(provider.key).then(
        () => undefined,
        () => undefined,
      );
      closingRooms.set(roomName, closed);
      void closed.then(() => {
        if (closingRooms.get(roomName) === closed) closingRooms.delete(roomName);
      });
      this.provider = null;
    });
    this.update();
  }

  /** Records which awareness clients `channel` announced (a null state means that client left). */
  private noteAwarenessClients(message: Uint8Array, channel: RTCDataChannel): void {
    if (message[0] !== MESSAGE_AWARENESS) return;
    // checkPeerMessage has validated the whole message, so this decodes.
    const outer = decoding.createDecoder(message);
    decoding.readVarUint(outer);
    const update = decoding.createDecoder(decoding.readVarUint8Array(outer));
    let clients = this.awarenessByChannel.get(channel);
    if (!clients) this.awarenessByChannel.set(channel, (clients = new Set()));
    for (let count = decoding.readVarUint(update); count > 0; count--) {
      const clientId = decoding.readVarUint(update);
      decoding.readVarUint(update); // clock
      const removed = decoding.readVarString(update) === 'null';
      if (clientId === this.doc.clientID) continue;
      if (removed) clients.delete(clientId);
      else clients.add(clientId);
    }
  }

  /**
   * Removes the presence of clients whose only channel closed. A client also
   * heard on a channel that is still open stays: y-webrtc relays every
   * awareness change, so in a mesh each peer hears others both directly and
   * relayed.
   */
  private forgetClosedChannels(): void {
    const gone = new Set<number>();
    for (const [channel, clients] of this.awarenessByChannel) {
      if (channel.readyState === 'open') continue;
      this.awarenessByChannel.delete(channel);
      for (const clientId of clients) gone.add(clientId);
    }
    if (gone.size === 0) return;
    for (const clients of this.awarenessByChannel.values()) for (const clientId of clients) gone.delete(clientId);
    const states = this.awareness.getStates();
    const stale = [...gone].filter((clientId) => states.has(clientId));
    if (stale.length > 0) removeAwarenessStates(this.awareness, stale, ORIGIN_PEER_GONE);
  }

  private isBlocked(peerId: string): boolean {
    const until = this.blocked.get(peerId);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.blocked.delete(peerId);
    return false;
  }

  /** Finds the y-webrtc connection that owns `channel` and ignores its peer for a while. */
  private blockPeerOf(channel: RTCDataChannel): void {
    const conns = this.provider?.room?.webrtcConns;
    if (!conns) return;
    for (const [peerId, conn] of conns) {
      if ((conn.peer as { _channel?: unknown } | null)?._channel === channel) {
        this.blocked.set(peerId, Date.now() + BLOCK_DURATION_MS);
      }
    }
  }

  private computeStatus(): SyncStatus {
    if (this.webrtcPeers + this.bcPeers > 0) return 'connected';
    if (!browserOnline() || this.provider === null) return 'offline';
    const signalingUp = (this.provider.signalingConns as SignalingConnView[]).some((conn) => conn.connected);
    return signalingUp ? 'connecting' : 'offline';
  }

  private update(): void {
    if (this.destroyed) return;
    const status = this.computeStatus();
    const peerCount = this.webrtcPeers + this.bcPeers;
    if (status === this.lastStatus && peerCount === this.lastPeerCount) return;
    this.lastStatus = status;
    this.lastPeerCount = peerCount;
    this.listeners.notify();
  }
}
