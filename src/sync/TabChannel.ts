/**
 * One room's link to the other tabs of this browser: y-webrtc's
 * BroadcastChannel messages, encrypted with the room key (signalingCrypto.ts)
 * and decrypted in order, and the tab peer ids they announce
 * ({@link MESSAGE_BC_PEER_ID}). The room (PeerRoom.ts) syncs with those tabs
 * here and ignores their signaling, so two tabs never also connect over
 * WebRTC. Messages are verified (an update must be signed by the note's key,
 * signedUpdate.ts: the channel's key is the view key too, so encryption alone
 * does not prove an editor wrote it) and decoded with the same strict decoder
 * as a peer's (peerMessage.ts); the room handles all but the peer ids.
 */

import * as encoding from 'lib0/encoding';
import { decryptBytes, encryptBytes } from './signalingCrypto';
import { MESSAGE_BC_PEER_ID, decodePeerMessage, peerMessage, type DecodedPeerMessage } from './peerMessage';
import { carriesUpdate, isSignedMessage } from './signedUpdate';

/** The BroadcastChannel constructor (the platform's, or a test's). */
export type BroadcastChannelClass = new (name: string) => BroadcastChannel;

/** What a {@link TabChannel} reports to its room. */
export interface TabHandlers {
  /** The doc's client id now (awareness entries for it are dropped). */
  localClientId(): number;
  /** The sync message inside a signed one, or null when its signature is missing or wrong (NoteKeys.openUpdate). */
  openUpdate(signed: Uint8Array): Promise<Uint8Array | null>;
  /** A message from another tab (never a peer id); `signed`: the verified message an update came in. */
  onMessage(message: DecodedPeerMessage, signed: Uint8Array | null): void;
  /** A tab joined or left the room. */
  onPeersChanged(): void;
  /** A tab we did not know joined the room (called before onPeersChanged). */
  onPeerJoined?(): void;
}

export class TabChannel {
  private readonly channel: BroadcastChannel;
  /** Peer ids of the other tabs in the room. */
  private readonly peers = new Set<string>();
  /** Messages encrypted and posted in order, and received ones decrypted in order. */
  private outbound: Promise<void> = Promise.resolve();
  private inbound: Promise<void> = Promise.resolve();
  private closed = false;
  /** Messages from other tabs refused for a missing or wrong signature (no sender to drop: tabs are anonymous). */
  refused = 0;

  constructor(
    BroadcastChannelImpl: BroadcastChannelClass,
    topic: string,
    private readonly key: CryptoKey,
    /** The room's peer id, announced to the other tabs. */
    private readonly peerId: string,
    private readonly handlers: TabHandlers,
  ) {
    this.channel = new BroadcastChannelImpl(topic);
    this.channel.onmessage = (event: MessageEvent) => this.receive(event.data);
  }

  /** Tabs in the room right now. */
  get size(): number {
    return this.peers.size;
  }

  /** True when `peerId` is another tab of this browser. */
  has(peerId: string): boolean {
    return this.peers.has(peerId);
  }

  /** Tells the other tabs who we are (they answer with their ids). */
  announce(): void {
    this.post(this.peerIdMessage(true));
  }

  post(message: Uint8Array): void {
    if (this.closed) return;
    const { channel, key } = this;
    this.outbound = this.outbound
      .then(async () => channel.postMessage(await encryptBytes(message, key)))
      .catch(() => undefined); // Closed meanwhile.
  }

  /** Says goodbye (our peer id removed, then `goodbye` if any) and closes once that is posted. Idempotent. */
  close(goodbye: Uint8Array | null): void {
    if (this.closed) return;
    this.post(this.peerIdMessage(false));
    if (goodbye) this.post(goodbye);
    this.closed = true;
    const channel = this.channel;
    void this.outbound.then(() => channel.close());
  }

  private peerIdMessage(add: boolean): Uint8Array {
    return peerMessage(MESSAGE_BC_PEER_ID, (e) => {
      encoding.writeUint8(e, add ? 1 : 0);
      encoding.writeVarString(e, this.peerId);
    });
  }

  private receive(data: unknown): void {
    if (!(data instanceof Uint8Array) && !(data instanceof ArrayBuffer)) return;
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    this.inbound = this.inbound.then(async () => {
      const decrypted = await decryptBytes(bytes, this.key);
      if (decrypted === null || this.closed) return;
      // Verified before it is decoded; an unsigned update is refused unread.
      const signed = isSignedMessage(decrypted) ? decrypted : null;
      const message = signed === null ? (carriesUpdate(decrypted) ? null : decrypted) : await this.handlers.openUpdate(signed);
      if (message === null) {
        this.refused++;
        return;
      }
      if (this.closed) return;
      const decoded = decodePeerMessage(message, { localClientId: this.handlers.localClientId(), allowPeerId: true });
      // Another tab of ours sent something unreadable (e.g. an older build): ignore it, keep the doc.
      if (!decoded.ok) return;
      if (decoded.message.kind === 'peer-id') {
        this.peerChanged(decoded.message.peerId, decoded.message.add);
        return;
      }
      this.handlers.onMessage(decoded.message, signed);
    }).catch(() => undefined);
  }

  private peerChanged(peerId: string, add: boolean): void {
    if (peerId === this.peerId || this.peers.has(peerId) === add) return;
    if (add) this.peers.add(peerId);
    else this.peers.delete(peerId);
    // A new tab learns about us in turn.
    if (add) {
      this.announce();
      this.handlers.onPeerJoined?.();
    }
    this.handlers.onPeersChanged();
  }
}
