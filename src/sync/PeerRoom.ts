/**
 * One note's part of the peer network: the {@link Transport} the composition
 * root gets for a note. It finds the note's peers through signaling (topic
 * and key from the link: keys.ts, signalingCrypto.ts), holds one
 * {@link PeerConnection} per remote browser and a {@link TabChannel} to the
 * other tabs of this browser, and runs every received message through the
 * same stages, parsed once:
 *
 *   link (frame → decompress: DataChannelLink.ts) → rate limit (presence)
 *   → verify (signedUpdate.ts: an update must be signed by the note's key;
 *     unsigned or badly signed is a strike, never decoded)
 *   → decode (peerMessage.ts `decodePeerMessage`, awareness ownership)
 *   → check (schema firewall, updateFirewall.ts) → apply with the link's
 *   origin: ORIGIN_PEER (WebRTC) or ORIGIN_TAB (BroadcastChannel).
 *
 * Outbound: the doc's `update` and the awareness' `update` are encoded once
 * and sent on every link but the one the change came from (so a peer never
 * gets its own update back; the other peers do, for partial meshes). Updates
 * are signed first, in order (one chain per room). A view-only room cannot
 * sign: it sends no update of its own and answers no sync step 1; it
 * forwards the signed updates it received verbatim (so partial meshes still
 * carry editors' changes through it). A view-only peer's own state therefore
 * never reaches anyone: everything it could pass on is an editor's signature.
 *
 * Wire format: y-webrtc's plus signed updates (a stock y-webrtc client with
 * the room's password reads presence but neither reads nor writes the note): its
 * signaling payloads (announce / signal with simple-peer's JSON and glare
 * tokens), its data-channel messages (y-protocols sync and awareness), its
 * encrypted BroadcastChannel messages (including the tab peer-id message, so
 * tabs do not also connect over WebRTC).
 */

import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates, type Awareness } from 'y-protocols/awareness';
import { ORIGIN_PEER, ORIGIN_TAB } from '../doc/origins';
import type { ApplyHooks, SyncRoom, SyncStatus, Transport } from './Transport';
import { ConnectionMonitor, type ConnectionDetails, type ConnectionHandle } from './ConnectionMonitor';
import { ChangeListeners } from './ChangeListeners';
import { deriveNoteKeys, type NoteKeys } from './noteKeys';
import { carriesUpdate, isSignedMessage } from './signedUpdate';
import { deriveRoomKey, openSignal, sealSignal } from './signalingCrypto';
import { parseSignalPayload, type PeerSignal, type SignalPayload } from './signalingMessage';
import type { SignalingClient } from './SignalingClient';
import { routeSignal } from './routeSignal';
import { PeerConnection, type ConnectionEvent, type PeerConnectionClass } from './PeerConnection';
import type { DataChannelLink, LinkHandlers } from './DataChannelLink';
import { ChannelAuth, channelBinding, deriveChannelAuthKey, muxLabel, type ChannelRole } from './channelAuth';
import { AwarenessOwnership } from './awarenessOwnership';
import { TokenBucket } from './TokenBucket';
import {
  MESSAGE_AWARENESS,
  MESSAGE_QUERY_AWARENESS,
  MESSAGE_SYNC,
  decodePeerMessage,
  encodeAwarenessEntries,
  isRemoval,
  peerMessage,
  validateUpdate,
  type DecodedPeerMessage,
} from './peerMessage';
import { checkNoteUpdate } from './updateFirewall';
import { compressionSupported } from './compression';
import type { JoinOptions, RoomHost } from './PeerNetwork';
import { TabChannel } from './TabChannel';

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
/**
 * Most WebRTC connections a room opens itself (y-webrtc's default is random in
 * 20..34; a fixed cap is easier to reason about). It answers up to twice as
 * many (routeSignal.ts): room for newcomers when everyone is full. A
 * deployment may lower it (PeerNetworkOptions.maxConnections).
 */
export const MAX_WEBRTC_CONNECTIONS = 20;

/** One remote browser in this room. */
interface Remote {
  readonly peerId: string;
  /** The signaling socket its signals came through (answers go back the same way); null for a multiplexed channel. */
  readonly via: SignalingClient | null;
  connection: PeerConnection;
  /** This note's channel on the connection (null until the answerer receives it). */
  link: DataChannelLink | null;
  /** The remote tab's id, when it is a Weft peer that sent one (a claim: channelAuth.ts). */
  readonly tab: string | undefined;
  /** A channel on a connection another note opened: no note message until the proof is done. */
  readonly auth: ChannelAuth | null;
  /** Received messages waiting behind the (asynchronous) proof. */
  authQueue: Promise<void>;
  /** Signed updates being verified, in arrival order. */
  verifyQueue: Promise<void>;
  /** y-webrtc's glare token of our offer (the higher one wins when both sides offer). */
  token: number | undefined;
  open: boolean;
  /** Replaced (glare: by an answer to its offer, or by the other side's channel): closing it is not news. */
  replaced: boolean;
  readonly presenceRate: TokenBucket;
  /** Awareness clients this connection vouched for (removed when it closes). */
  readonly clients: Set<number>;
  /** Whether the peer answered our sync step 1 (its step 2 arrived) on this link. */
  answered: boolean;
  /** Asks again for a step 2 that has not come (see startNote); null when none is due. */
  reask: ReturnType<typeof setTimeout> | null;
}

/** Where a received message came from. */
type Source = Remote | 'tab';

/** A remote as it starts: no link yet, not open, a fresh presence budget. */
const newRemote = (peerId: string, via: SignalingClient | null, connection: PeerConnection, tab: string | undefined, auth: ChannelAuth | null): Remote => ({
  peerId,
  via,
  connection,
  link: null,
  tab,
  auth,
  authQueue: Promise.resolve(),
  verifyQueue: Promise.resolve(),
  token: undefined,
  open: false,
  replaced: false,
  presenceRate: new TokenBucket(AWARENESS_BURST, AWARENESS_PER_SECOND, Date.now()),
  clients: new Set(),
  answered: false,
  reask: null,
});

/**
 * When a peer's answer to our sync step 1 has not come, we ask again: after
 * SYNC_REASK_MS, then twice that, MAX_SYNC_REASKS times in all. The protocol
 * asks once per connection, so one lost step 1 or step 2 would otherwise leave
 * this side without the peer's edits until the next connection (seen once in
 * the three-note interop test: each side showed "1 peer", one held both texts).
 */
export const SYNC_REASK_MS = 3_000;
export const MAX_SYNC_REASKS = 3;

const browserPeerConnection = () => (globalThis as { RTCPeerConnection?: typeof RTCPeerConnection }).RTCPeerConnection ?? null;
const browserOnline = (): boolean => typeof navigator === 'undefined' || navigator.onLine !== false;

export class PeerRoom implements Transport {
  /** This room's peer id on signaling (a fresh one per transport: nothing in flight for an old one reaches it). */
  private readonly peerId = crypto.randomUUID();
  private readonly listeners = new ChangeListeners();
  private readonly remotes = new Map<string, Remote>();
  private readonly blocked = new Map<string, number>();
  private readonly ownership = new AwarenessOwnership<Remote>((remote) => remote.open);
  private readonly disposers: (() => void)[] = [];
  private readonly firewall: boolean;
  private readonly hooks: ApplyHooks | undefined;
  private readonly compression: boolean;
  private topic: string | null = null;
  private keys: NoteKeys | null = null;
  /** Outbound updates signed and sent in order. */
  private outbound: Promise<void> = Promise.resolve();
  /** The signed message whose update is being applied (a view-only room forwards it as it came). */
  private applyingSigned: Uint8Array | null = null;
  private key: CryptoKey | null = null;
  private authKey: CryptoKey | null = null;
  /** The other tabs of this browser (their signaling is ignored: they sync here). */
  private tabs: TabChannel | null = null;
  /** Received signaling payloads, decrypted and handled in arrival order. */
  private signals: Promise<void> = Promise.resolve();
  /** The link whose message is being applied (its change is not sent back to it). */
  private applyingFrom: Source | null = null;
  private destroyed = false;
  private lastStatus: SyncStatus = 'offline';
  private lastPeerCount = 0;
  /** What the connections are doing, for the status line and "Connection details". */
  private readonly monitor = new ConnectionMonitor({ onChange: () => this.detailsListeners.notify() });
  private readonly detailsListeners = new ChangeListeners();

  constructor(
    private readonly host: RoomHost,
    private readonly doc: Y.Doc,
    readonly awareness: Awareness,
    private readonly room: SyncRoom,
    options: JoinOptions,
  ) {
    this.firewall = options.firewall !== false;
    this.hooks = options.hooks;
    this.compression = host.options.compression !== false && compressionSupported();
    if (typeof globalThis.addEventListener === 'function') {
      const onNetwork = (): void => this.statusMayHaveChanged();
      // Back online, or on another network: signaling now, not after its backoff; ICE again on what stalled.
      const onOnline = (): void => {
        this.host.reconnectSignaling();
        for (const remote of this.remotes.values()) remote.connection.restartIfStalled();
        this.statusMayHaveChanged();
      };
      globalThis.addEventListener('online', onOnline);
      globalThis.addEventListener('offline', onNetwork);
      this.disposers.push(() => {
        globalThis.removeEventListener('online', onOnline);
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

  /** The connection status' details and "Try again" (ConnectionMonitor.ts). */
  readonly connection: ConnectionHandle = ((room: PeerRoom): ConnectionHandle => ({
    get details(): ConnectionDetails {
      return room.monitor.details;
    },
    onDetails: (listener) => room.detailsListeners.add(listener),
    retry: (options) => room.retry(options?.reconnectAll === true),
  }))(this);

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    // Tell everyone we left (without touching the caller's awareness), then close.
    const goodbye = this.ownPresenceRemoval();
    if (goodbye) for (const remote of this.remotes.values()) if (remote.open) remote.link?.send(goodbye);
    this.tabs?.close(goodbye);
    this.tabs = null;
    for (const dispose of this.disposers.splice(0).reverse()) dispose();
    // Our channels only: a connection other notes still use stays open for them.
    for (const remote of [...this.remotes.values()]) {
      if (remote.reask !== null) clearTimeout(remote.reask);
      remote.connection.release(remote.link);
    }
    this.remotes.clear();
    if (this.topic !== null) this.host.detach(this.topic, this);
    this.listeners.clear();
    this.monitor.dispose();
    this.detailsListeners.clear();
    // Nothing connects it any more (the listeners are gone: nobody to tell).
    this.lastStatus = 'offline';
    this.lastPeerCount = 0;
    this.host.closed(this.room.noteId);
  }

  // ------------------------------------------------------------ start-up

  private async start(): Promise<void> {
    try {
      const keys = await (this.room.keys ?? deriveNoteKeys(this.room.noteId, this.room.secret));
      const topic = keys.roomId;
      [this.key, this.authKey] = await Promise.all([deriveRoomKey(keys.password, topic), deriveChannelAuthKey(keys.password, topic)]);
      this.keys = keys;
      this.topic = topic;
    } catch {
      return; // WebCrypto unavailable: stay offline rather than throw later.
    }
    if (this.destroyed) return;
    this.doc.on('update', this.onDocUpdate);
    this.awareness.on('update', this.onAwarenessUpdate);
    this.disposers.push(() => {
      this.doc.off('update', this.onDocUpdate);
      this.awareness.off('update', this.onAwarenessUpdate);
    });
    this.openTabs(this.topic);
    this.host.attach(this.topic, this);
    this.statusMayHaveChanged();
  }

  // ------------------------------------------------------------ signaling

  /** A signaling socket opened (or the room attached to an open one): announce ourselves. */
  signalingOpened(via?: SignalingClient): void {
    if (this.destroyed || this.remotes.size >= this.maxConnections()) return;
    this.publishPayload({ type: 'announce', from: this.peerId, ...this.tabField() }, via);
  }

  /** A `publish` frame for our topic: decrypted and handled in arrival order. */
  receiveSignal(via: SignalingClient, data: string): void {
    this.signals = this.signals.then(async () => {
      if (this.destroyed || this.key === null) return;
      const payload = parseSignalPayload(await openSignal(data, this.key));
      if (typeof payload !== 'string' && !this.destroyed) this.handleSignal(via, payload);
    }).catch(() => undefined); // (A failure must not stop the chain: the next frame still runs.)
  }

  private handleSignal(via: SignalingClient, payload: SignalPayload): void {
    if (this.peerConnectionClass() === null) return; // No WebRTC here: tabs only.
    const existing = this.remotes.get(payload.from);
    const route = routeSignal(payload, {
      ownPeerId: this.peerId,
      isTabPeer: (peerId) => this.tabs?.has(peerId) ?? false,
      isBlocked: (peerId) => this.isBlocked(peerId),
      // A multiplexed channel is not negotiated through signaling: for routing it is an answered connection.
      connectionWith: () => existing && { initiator: existing.auth === null && existing.connection.initiator, token: existing.token },
      connectionCount: this.remotes.size,
      maxConnections: this.maxConnections(),
    });
    switch (route.action) {
      case 'ignore':
        return;
      case 'connect': {
        // A Weft tab we already have a connection with (through another note): a channel on it.
        const shared = payload.tab === undefined ? undefined : this.host.sharedWith(payload.tab);
        if (shared && payload.tab !== undefined && !this.hasRemoteOnTab(payload.tab)) this.openMux(payload.from, shared, payload.tab);
        else this.connect(payload.from, via, true, payload.tab);
        return;
      }
      case 'invite':
        this.publishPayload({ type: 'announce', from: this.peerId, to: payload.from, ...this.tabField() }, via);
        return;
      case 'answer':
        if (existing && route.replace) {
          existing.replaced = true;
          existing.connection.release(existing.link);
        }
        if (payload.type === 'signal') this.connect(payload.from, via, false, payload.tab).connection.signal(payload.signal);
        return;
      case 'forward':
        if (payload.type !== 'signal' || !existing || existing.auth !== null) return;
        if (payload.signal.type === 'answer') existing.token = undefined;
        existing.connection.signal(payload.signal);
    }
  }

  private connect(peerId: string, via: SignalingClient, initiator: boolean, tab: string | undefined): Remote {
    // The connection is set right below: its callbacks need `remote`.
    const remote = newRemote(peerId, via, null as unknown as PeerConnection, tab, null);
    remote.connection = new PeerConnection({
      initiator,
      RTCPeerConnection: this.peerConnectionClass()!,
      iceServers: this.host.options.iceServers?.() ?? [],
      iceServersNow: () => this.host.options.iceServers?.() ?? [],
      ...(this.relayOnly() ? { iceTransportPolicy: 'relay' as const } : {}),
      onEvent: (event) => this.connectionEvent(event),
      compression: this.compression,
      onSignal: (signal) => this.sendSignal(remote, signal),
      onChannel: (channel) => this.host.incomingChannel(remote.connection, channel),
      link: {
        onOpen: () => this.linkOpened(remote),
        onMessage: (message) => this.receiveFromPeer(remote, message),
        onClose: () => this.linkClosed(remote),
        onViolation: () => this.blocked.set(peerId, Date.now() + BLOCK_DURATION_MS),
      },
    });
    this.remotes.set(peerId, remote);
    return remote;
  }

  /** Our tab id for announces and signals (Weft's extension), when we share connections. */
  private tabField(): { tab?: string } {
    return this.host.tabId === undefined ? {} : { tab: this.host.tabId };
  }

  /** True when a peer in this room already claims `tab` (a second claim gets a connection of its own). */
  private hasRemoteOnTab(tab: string): boolean {
    for (const remote of this.remotes.values()) if (remote.tab === tab) return true;
    return false;
  }

  /** A multiplexed remote: this note's channel on a connection another note opened. */
  private muxRemote(peerId: string, connection: PeerConnection, tab: string, role: ChannelRole, label: string): Remote {
    const auth = new ChannelAuth(this.authKey!, label, channelBinding(connection.descriptions.local, connection.descriptions.remote, role), role);
    const remote = newRemote(peerId, null, connection, tab, auth);
    this.remotes.set(peerId, remote);
    return remote;
  }

  private muxHandlers(remote: Remote): LinkHandlers {
    return {
      onOpen: () => this.linkOpened(remote),
      onMessage: (message) => this.receiveFromPeer(remote, message),
      onClose: () => this.linkClosed(remote),
      onViolation: () => undefined, // (the connection is someone else's too: nothing to block on signaling)
    };
  }

  /** Opens this note's channel on a shared connection to `tab` (we heard `peerId` announce). */
  private openMux(peerId: string, connection: PeerConnection, tab: string): void {
    const label = muxLabel(this.topic!, this.peerId);
    const remote = this.muxRemote(peerId, connection, tab, 'opener', label);
    remote.link = connection.openChannel(label, this.muxHandlers(remote));
  }

  /** The remote tab opened this note's channel on a shared connection. */
  acceptMux(connection: PeerConnection, channel: RTCDataChannel, openerPeerId: string, tab: string): void {
    if (this.destroyed || this.authKey === null || this.remotes.has(openerPeerId)) {
      channel.close();
      return;
    }
    // Both sides opened a channel for this note at once: the one opened by the higher tab id stays.
    for (const remote of this.remotes.values()) {
      if (remote.tab !== tab || remote.connection !== connection) continue;
      if (this.host.tabId !== undefined && this.host.tabId > tab) {
        channel.close();
        return;
      }
      remote.replaced = true;
      connection.release(remote.link);
    }
    const remote = this.muxRemote(openerPeerId, connection, tab, 'acceptor', channel.label);
    remote.link = connection.acceptChannel(channel, this.muxHandlers(remote));
  }

  /** Messages on a multiplexed channel before the proof: only the handshake, in order. */
  private receiveDuringProof(remote: Remote, message: Uint8Array): void {
    const auth = remote.auth!;
    remote.authQueue = remote.authQueue
      .then(async () => {
        if (this.destroyed || remote.link === null) return;
        if (remote.open) {
          // The proof finished while this message waited behind it.
          this.receiveFromPeer(remote, message);
          return;
        }
        const step = await auth.receive(message);
        if (this.destroyed) return;
        if (step.kind === 'send') remote.link.send(step.message);
        else if (step.kind === 'done') this.startNote(remote);
        else if (step.kind === 'failed') remote.link.violate(`channel proof: ${step.reason}`);
      })
      .catch(() => undefined);
  }

  private relayOnly(): boolean {
    return this.host.options.iceTransportPolicy?.() === 'relay';
  }

  private connectionEvent(event: ConnectionEvent): void {
    if (this.destroyed) return;
    if (event.kind === 'candidate') this.monitor.candidate(event.type);
    else if (event.kind === 'error') this.monitor.error(event.message);
    this.statusMayHaveChanged();
  }

  /**
   * "Try again": signaling reconnects now, connections that never opened (all
   * of them with `reconnectAll`) are dropped, stalled ones restart ICE, and we
   * announce ourselves again.
   */
  private retry(reconnectAll: boolean): void {
    if (this.destroyed) return;
    this.monitor.reset();
    this.host.reconnectSignaling();
    for (const remote of [...this.remotes.values()]) {
      if (remote.open && !reconnectAll) remote.connection.restartIfStalled();
      else {
        remote.replaced = true; // (not a failure to report: we dropped it)
        // Made again: the whole connection goes, for every note of this tab on it. Releasing
        // our channel alone would leave it to the others, and our new channel would join it.
        if (reconnectAll) remote.connection.destroy();
        else remote.connection.release(remote.link);
        if (this.remotes.get(remote.peerId) === remote) this.remotes.delete(remote.peerId);
      }
    }
    this.signalingOpened();
    this.statusMayHaveChanged();
  }

  /** The network's cap (a deployment may set it); the default for none or nonsense. */
  private maxConnections(): number {
    const configured = this.host.options.maxConnections?.() ?? MAX_WEBRTC_CONNECTIONS;
    return Number.isInteger(configured) && configured >= 1 ? configured : MAX_WEBRTC_CONNECTIONS;
  }

  private peerConnectionClass(): PeerConnectionClass | null {
    const configured = this.host.options.RTCPeerConnection;
    return configured === undefined ? browserPeerConnection() : configured;
  }

  private sendSignal(remote: Remote, signal: PeerSignal): void {
    remote.token ??= Date.now() + Math.random();
    this.publishPayload({ type: 'signal', from: this.peerId, to: remote.peerId, token: remote.token, signal, ...this.tabField() }, remote.via ?? undefined);
  }

  private publishPayload(payload: object, via?: SignalingClient): void {
    const { key, topic } = this;
    if (key === null || topic === null) return;
    void sealSignal(payload, key).then((data) => {
      if (!this.destroyed) this.host.publish(topic, data, via);
    });
  }

  private isBlocked(peerId: string): boolean {
    const until = this.blocked.get(peerId);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.blocked.delete(peerId);
    return false;
  }

  // ------------------------------------------------------------ links

  private linkOpened(remote: Remote): void {
    if (this.destroyed) return;
    if (remote.auth !== null) {
      // A multiplexed channel: prove we hold the note's secret first; the note waits.
      remote.link?.send(remote.auth.hello());
      return;
    }
    remote.link = remote.connection.firstLink;
    // Its first channel was negotiated through this note's (encrypted) signaling: other notes may share it.
    if (remote.tab !== undefined) this.host.shareConnection(remote.tab, remote.connection);
    this.startNote(remote);
  }

  /** The channel may carry the note: greet the peer as y-webrtc does. */
  private startNote(remote: Remote): void {
    remote.open = true;
    const link = remote.link;
    const askForSync = () => link?.send(peerMessage(MESSAGE_SYNC, (e) => syncProtocol.writeSyncStep1(e, this.doc)));
    askForSync();
    const reask = (attempt: number): void => {
      remote.reask = setTimeout(() => {
        remote.reask = null;
        if (this.destroyed || !remote.open || remote.answered || remote.link !== link) return;
        console.warn(`[weft] no sync answer from peer ${remote.peerId.slice(0, 8)} after ${(SYNC_REASK_MS * (2 ** attempt - 1)) / 1000} s: asking again`);
        askForSync();
        if (attempt < MAX_SYNC_REASKS) reask(attempt + 1);
      }, SYNC_REASK_MS * 2 ** (attempt - 1));
    };
    reask(1);
    const states = this.awareness.getStates();
    if (states.size > 0) link?.send(this.awarenessMessage([...states.keys()]));
    this.statusMayHaveChanged();
  }

  private linkClosed(remote: Remote): void {
    if (remote.reask !== null) clearTimeout(remote.reask);
    remote.reask = null;
    // A multiplexed channel that never carried the note: the connection is not (or no longer) the tab it claimed.
    if (remote.auth !== null && !remote.auth.done && remote.tab !== undefined) this.host.forgetShared(remote.tab, remote.connection);
    if (!remote.open && !remote.replaced && !this.destroyed) {
      this.monitor.attemptFailed(remote.connection.failure ?? 'A connection to a peer closed before it opened');
    }
    remote.open = false;
    if (this.remotes.get(remote.peerId) === remote) this.remotes.delete(remote.peerId);
    this.ownership.release(remote);
    this.forgetPresenceOf(remote);
    if (this.destroyed) return;
    this.statusMayHaveChanged();
    // Look for peers again (the peer may still be there, on a new connection).
    if (!remote.replaced) this.signalingOpened(remote.via ?? undefined);
  }

  /**
   * Removes the presence of clients only `remote` vouched for. A client also
   * heard on a connection that is still open stays (each change is relayed,
   * so in a mesh a peer is heard both directly and through others).
   */
  private forgetPresenceOf(remote: Remote): void {
    const gone = new Set(remote.clients);
    remote.clients.clear();
    for (const other of this.remotes.values()) for (const clientId of other.clients) gone.delete(clientId);
    const states = this.awareness.getStates();
    const stale = [...gone].filter((clientId) => states.has(clientId));
    if (stale.length > 0) removeAwarenessStates(this.awareness, stale, ORIGIN_PEER_GONE);
  }

  /** The inbound pipeline for one whole message from a WebRTC peer (after DataChannelLink's stages). */
  private receiveFromPeer(remote: Remote, message: Uint8Array): void {
    if (this.destroyed) return;
    if (remote.auth !== null && !remote.open) {
      this.receiveDuringProof(remote, message);
      return;
    }
    const link = remote.link;
    if (!remote.open || !link) return;
    // Rate limit first: over the limit, presence is dropped unparsed (no strike).
    if (message[0] === MESSAGE_AWARENESS && !remote.presenceRate.take(Date.now())) return;
    // Verify before decoding: an update must carry the note's signature.
    if (isSignedMessage(message)) {
      this.verifyFromPeer(remote, link, message);
      return;
    }
    if (carriesUpdate(message)) {
      link.strike('unsigned update');
      return;
    }
    this.decodeFromPeer(remote, link, message, null);
  }

  /** The verify stage: signed updates in arrival order; a bad signature is a strike. */
  private verifyFromPeer(remote: Remote, link: DataChannelLink, signed: Uint8Array): void {
    const keys = this.keys!;
    remote.verifyQueue = remote.verifyQueue
      .then(async () => {
        const message = await keys.openUpdate(signed);
        if (this.destroyed || !remote.open) return;
        if (message === null) link.strike('bad signature');
        else this.decodeFromPeer(remote, link, message, signed);
      })
      .catch(() => undefined);
  }

  /** The decode, check and apply stages. `signed`: the verified message `message` came in (null: not signed). */
  private decodeFromPeer(remote: Remote, link: DataChannelLink, message: Uint8Array, signed: Uint8Array | null): void {
    const decoded = decodePeerMessage(message, {
      localClientId: this.doc.clientID,
      // Presence: a peer may only speak for client ids it introduced first (awarenessOwnership.ts).
      mayWrite: (clientId) => this.ownership.claim(remote, clientId),
    });
    if (!decoded.ok) {
      link.strike(decoded.error);
      return;
    }
    if (decoded.message.kind === 'awareness') {
      for (const entry of decoded.message.entries) {
        if (isRemoval(entry)) remote.clients.delete(entry.clientId);
        else remote.clients.add(entry.clientId);
      }
    }
    const accepted = this.handle(decoded.message, remote, signed, (reply) => {
      if (remote.open) link.send(reply);
    });
    if (!accepted) link.strike('refused update');
  }

  /**
   * The check and apply stages, for a message from a peer or a tab. `signed`
   * is the verified signed message an update came in (an update without one
   * is refused). Replies go to `reply` (a sync answer once signed). Returns
   * false when the message was refused (a strike for a peer).
   */
  private handle(message: DecodedPeerMessage, source: Source, signed: Uint8Array | null, reply: (message: Uint8Array) => void): boolean {
    const origin = source === 'tab' ? ORIGIN_TAB : ORIGIN_PEER;
    switch (message.kind) {
      case 'sync-step-1':
        // View-only: no answer (it cannot sign what it holds).
        this.sendSigned(peerMessage(MESSAGE_SYNC, (e) => syncProtocol.writeSyncStep2(e, this.doc, message.stateVector)), reply);
        return true;
      case 'sync-step-2':
      case 'update': {
        if (signed === null) return false;
        const kind = message.kind === 'sync-step-2' ? 'sync' : 'update';
        if (kind === 'sync' && source !== 'tab') source.answered = true;
        // The schema firewall (updateFirewall.ts): a rejected update never reaches the doc.
        const accepted = this.firewall ? checkNoteUpdate(this.doc, message.update, { kind }).ok : validateUpdate(message.update);
        if (!accepted) return false;
        this.hooks?.beforeApply?.(message.update);
        this.applyFrom(source, () => Y.applyUpdate(this.doc, message.update, origin), signed);
        return true;
      }
      case 'awareness':
        if (message.entries.length > 0) {
          this.applyFrom(source, () => applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(message.entries), origin));
        }
        return true;
      case 'query-awareness':
        reply(this.awarenessMessage([...this.awareness.getStates().keys()]));
        return true;
      case 'peer-id':
        return true; // (TabChannel's own; a data channel never decodes one)
    }
  }

  private applyFrom(source: Source, apply: () => void, signed: Uint8Array | null = null): void {
    this.applyingFrom = source;
    this.applyingSigned = signed;
    try {
      apply();
    } finally {
      this.applyingFrom = null;
      this.applyingSigned = null;
    }
  }

  /**
   * Signs `message` (a sync step 2 or update) and hands it to `send`, in the
   * order of the calls. Nothing for a view-only room.
   */
  private sendSigned(message: Uint8Array, send: (signed: Uint8Array) => void): void {
    const keys = this.keys;
    if (keys === null || !keys.canWrite) return;
    this.outbound = this.outbound
      .then(async () => {
        const signed = await keys.sealUpdate(message);
        if (signed !== null && !this.destroyed) send(signed);
      })
      .catch(() => undefined);
  }

  // ------------------------------------------------------------ outbound

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (this.destroyed) return;
    // Only the peer's own change goes back nowhere it came from: what this
    // device writes while applying it (the editor's write-back of what
    // rendering it normalized, typing put back after a rewrite) is new to
    // that peer as well.
    const from = origin === ORIGIN_PEER || origin === ORIGIN_TAB ? this.applyingFrom : null;
    const targets = this.openRemotes(from);
    const toTabs = from !== 'tab' && (this.tabs?.size ?? 0) > 0;
    if (targets.length === 0 && !toTabs) return;
    const send = (signed: Uint8Array): void => {
      for (const remote of targets) if (remote.open) remote.link?.send(signed);
      if (toTabs) this.tabs?.post(signed);
    };
    // View-only: an editor's change passes on with the editor's signature, as it came.
    if (from !== null && this.applyingSigned !== null && this.keys?.canWrite === false) send(this.applyingSigned);
    else this.sendSigned(peerMessage(MESSAGE_SYNC, (e) => syncProtocol.writeUpdate(e, update)), send);
  };

  private readonly onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    // What we learnt from a closed connection is ours alone: the others know it first-hand.
    if (this.destroyed || origin === ORIGIN_PEER_GONE) return;
    const from = this.applyingFrom;
    const targets = this.openRemotes(from);
    const toTabs = from !== 'tab' && this.tabs !== null;
    if (targets.length === 0 && !toTabs) return;
    const message = this.awarenessMessage([...added, ...updated, ...removed]);
    for (const remote of targets) remote.link?.send(message);
    if (toTabs) this.tabs?.post(message);
  };

  private openRemotes(except: Source | null): Remote[] {
    const open: Remote[] = [];
    for (const remote of this.remotes.values()) if (remote.open && remote !== except) open.push(remote);
    return open;
  }

  private awarenessMessage(clients: number[]): Uint8Array {
    return peerMessage(MESSAGE_AWARENESS, (e) => encoding.writeVarUint8Array(e, encodeAwarenessUpdate(this.awareness, clients)));
  }

  /** "Our client left" (state null, next clock), as removeAwarenessStates would send it. */
  private ownPresenceRemoval(): Uint8Array | null {
    const clientId = this.awareness.clientID;
    const meta = this.awareness.meta.get(clientId);
    if (!meta || this.awareness.getLocalState() === null) return null;
    const update = encodeAwarenessEntries([{ clientId, clock: meta.clock + 1, json: new TextEncoder().encode('null') }]);
    return peerMessage(MESSAGE_AWARENESS, (e) => encoding.writeVarUint8Array(e, update));
  }

  // ------------------------------------------------------------ tabs

  /** Joins the other tabs of this browser (TabChannel.ts). */
  private openTabs(topic: string): void {
    const BroadcastChannelImpl =
      this.host.options.BroadcastChannel === undefined ? globalThis.BroadcastChannel : this.host.options.BroadcastChannel;
    if (!BroadcastChannelImpl || this.key === null) return;
    const keys = this.keys!;
    const tabs = new TabChannel(BroadcastChannelImpl, topic, this.key, this.peerId, {
      localClientId: () => this.doc.clientID,
      openUpdate: (signed) => keys.openUpdate(signed),
      onMessage: (message, signed) => this.handle(message, 'tab', signed, (reply) => tabs.post(reply)),
      onPeersChanged: () => this.statusMayHaveChanged(),
      // Our whole state goes to the other tabs once one is there, not on open as y-webrtc
      // sends it: a tab alone (every first visit, every note opened from a link) would encode
      // and sign its whole note for nobody, on the way to showing it.
      onPeerJoined: () => {
        this.sendSigned(peerMessage(MESSAGE_SYNC, (e) => syncProtocol.writeSyncStep2(e, this.doc)), (signed) => tabs.post(signed));
      },
    });
    this.tabs = tabs;
    // Who we are, what we hold (answered with what we lack), presence both ways.
    tabs.announce();
    tabs.post(peerMessage(MESSAGE_SYNC, (e) => syncProtocol.writeSyncStep1(e, this.doc)));
    tabs.post(peerMessage(MESSAGE_QUERY_AWARENESS, () => undefined));
    tabs.post(this.awarenessMessage([this.awareness.clientID]));
  }

  // ------------------------------------------------------------ status

  /** Recomputes status and peer count; tells the listeners when either changed. */
  statusMayHaveChanged(): void {
    if (this.destroyed) return;
    const open = this.openRemotes(null);
    const peers = open.length + (this.tabs?.size ?? 0);
    const online = (this.host.options.online ?? browserOnline)();
    this.monitor.update({
      online,
      signalingConnected: this.host.signalingConnected,
      paths: open.map((remote) => remote.connection.path),
      reconnecting: open.filter((remote) => remote.connection.reconnecting).length,
      tabs: this.tabs?.size ?? 0,
      pending: this.remotes.size - open.length,
      relayOnly: this.relayOnly(),
    });
    const status: SyncStatus =
      peers > 0 ? 'connected' : !online || this.topic === null ? 'offline' : this.host.signalingConnected ? 'connecting' : 'offline';
    if (status === this.lastStatus && peers === this.lastPeerCount) return;
    this.lastStatus = status;
    this.lastPeerCount = peers;
    this.listeners.notify();
  }
}
