/**
 * One WebRTC connection to a remote browser, negotiated through signaling in
 * simple-peer's signal JSON (signalingMessage.ts `PeerSignal`), so that a
 * stock y-webrtc peer (which uses simple-peer) interoperates:
 *
 * - the initiator creates one data channel, then an offer; the answerer takes
 *   the channel from `datachannel` and answers;
 * - ICE candidates trickle both ways; candidates that arrive before the
 *   remote description wait for it;
 * - the connection is up when that first channel opens.
 *
 * Between two Weft tabs further notes get channels of their own on the same
 * connection ({@link openChannel} on one side, {@link PeerConnectionOptions.onChannel}
 * on the other; in-band, no renegotiation): one connection per remote tab,
 * however many notes the two share. The connection closes when its last
 * channel closes, or when it fails.
 *
 * Every channel's messages go through a {@link DataChannelLink}.
 */

import type { PeerSignal } from './signalingMessage';
import {
  CHANNEL_PROTOCOL,
  DataChannelLink,
  answeringCompression,
  offeringCompression,
  type CompressionState,
  type LinkHandlers,
} from './DataChannelLink';

/** The RTCPeerConnection constructor (the browser's, or a test double). */
export type PeerConnectionClass = new (config?: RTCConfiguration) => RTCPeerConnection;

/** Options of a {@link PeerConnection}. */
export interface PeerConnectionOptions {
  readonly initiator: boolean;
  readonly RTCPeerConnection: PeerConnectionClass;
  readonly iceServers: RTCIceServer[];
  /** Offer / accept compression of large messages (DataChannelLink.ts). */
  readonly compression: boolean;
  /** A signal to publish to the remote peer. */
  readonly onSignal: (signal: PeerSignal) => void;
  /** The first channel's events; `onClose` also fires when negotiation fails before it opened. */
  readonly link: LinkHandlers;
  /** A further channel the remote side opened (multiplexing): accept it with {@link PeerConnection.acceptChannel} or close it. */
  readonly onChannel?: (channel: RTCDataChannel) => void;
}

/** Label of the initiator's data channel: random like simple-peer's (20 random bytes, hex). */
const channelLabel = (): string =>
  [...crypto.getRandomValues(new Uint8Array(20))].map((byte) => byte.toString(16).padStart(2, '0')).join('');

export class PeerConnection {
  readonly initiator: boolean;
  private readonly pc: RTCPeerConnection;
  /** The first channel's link. */
  private link: DataChannelLink | null = null;
  /** Every link not closed yet (the first one and the multiplexed ones). */
  private readonly links = new Set<DataChannelLink>();
  private pendingCandidates: RTCIceCandidateInit[] = [];
  private hasRemoteDescription = false;
  private closed = false;

  constructor(private readonly options: PeerConnectionOptions) {
    this.initiator = options.initiator;
    this.pc = new options.RTCPeerConnection({ iceServers: options.iceServers });
    this.pc.onicecandidate = (event) => {
      const candidate = event.candidate;
      if (!candidate || this.closed) return;
      options.onSignal({
        type: 'candidate',
        candidate: { candidate: candidate.candidate, sdpMLineIndex: candidate.sdpMLineIndex, sdpMid: candidate.sdpMid },
      });
    };
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === 'failed' || this.pc.connectionState === 'closed') this.destroy();
    };
    this.pc.oniceconnectionstatechange = () => {
      if (this.pc.iceConnectionState === 'failed' || this.pc.iceConnectionState === 'closed') this.destroy();
    };
    if (options.initiator) {
      const channel = this.pc.createDataChannel(channelLabel(), options.compression ? { protocol: CHANNEL_PROTOCOL } : {});
      this.link = this.wrap(channel, offeringCompression(options.compression));
      void this.negotiate(async () => {
        const offer = await this.pc.createOffer();
        await this.pc.setLocalDescription(offer);
        return this.pc.localDescription ?? offer;
      });
    }
    this.pc.ondatachannel = (event) => {
      if (this.closed) return;
      if (this.link === null && !options.initiator) {
        this.link = this.wrap(event.channel, answeringCompression(options.compression, event.channel));
      } else if (options.onChannel) {
        options.onChannel(event.channel);
      } else {
        event.channel.close();
      }
    };
  }

  /** The first channel's link while open, or null (not open yet, or closed). */
  get openLink(): DataChannelLink | null {
    return this.link?.isOpen ? this.link : null;
  }

  /** The first channel's link, open or not (null before the answerer received it). */
  get firstLink(): DataChannelLink | null {
    return this.link;
  }

  /** Both SDPs, for binding a channel proof to this connection (channelAuth.ts); empty before negotiation. */
  get descriptions(): { readonly local: string; readonly remote: string } {
    return { local: this.pc.localDescription?.sdp ?? '', remote: this.pc.remoteDescription?.sdp ?? '' };
  }

  /** True once closed (by either side, or failed). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens a further channel on this (open) connection for another note. */
  openChannel(label: string, handlers: LinkHandlers): DataChannelLink {
    const channel = this.pc.createDataChannel(label, this.options.compression ? { protocol: CHANNEL_PROTOCOL } : {});
    return this.track(channel, offeringCompression(this.options.compression), handlers);
  }

  /** Takes a channel the remote side opened (see {@link PeerConnectionOptions.onChannel}). */
  acceptChannel(channel: RTCDataChannel, handlers: LinkHandlers): DataChannelLink {
    return this.track(channel, answeringCompression(this.options.compression, channel), handlers);
  }

  /**
   * Closes one channel; the connection closes with its last one. (A link
   * closed before it opened reports nothing, so its owner releases it here.)
   */
  release(link: DataChannelLink | null): void {
    if (link === null) {
      // Negotiation still under way: the connection has no other channel yet.
      this.destroy();
      return;
    }
    link.close();
    this.linkGone(link);
  }

  /** A link whose close also takes the connection down once no other channel is left. */
  private track(channel: RTCDataChannel, compression: CompressionState, handlers: LinkHandlers): DataChannelLink {
    const link: DataChannelLink = new DataChannelLink(channel, compression, {
      ...handlers,
      onClose: () => {
        handlers.onClose();
        this.linkGone(link);
      },
    });
    this.links.add(link);
    return link;
  }

  /** A link closed: with no channel left, the connection goes too. */
  private linkGone(link: DataChannelLink): void {
    if (!this.links.delete(link)) return;
    if (this.links.size === 0) this.destroy();
  }

  /** Applies a signal from the remote peer. */
  signal(signal: PeerSignal): void {
    if (this.closed) return;
    if (signal.type === 'candidate') {
      if (this.hasRemoteDescription) this.addCandidate(signal.candidate);
      else this.pendingCandidates.push(signal.candidate);
      return;
    }
    // An offer to the initiator, or an answer to the answerer, is not ours to take.
    if ((signal.type === 'offer') === this.initiator) return;
    void this.negotiate(async () => {
      await this.pc.setRemoteDescription({ type: signal.type, sdp: signal.sdp });
      this.hasRemoteDescription = true;
      for (const candidate of this.pendingCandidates.splice(0)) this.addCandidate(candidate);
      if (signal.type !== 'offer') return null;
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      return this.pc.localDescription ?? answer;
    });
  }

  /** Closes the connection and its link. Idempotent. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    // Closing the peer connection closes its channels without firing their close events.
    for (const link of [...this.links]) link.markClosed();
    try {
      this.pc.close();
    } catch {
      // Already closed.
    }
    // An answerer whose channel never arrived: nobody else reports the end.
    if (this.link === null) this.options.link.onClose();
  }

  /** The first channel: the one negotiated with the offer. */
  private wrap(channel: RTCDataChannel, compression: CompressionState): DataChannelLink {
    const { link } = this.options;
    return this.track(channel, compression, link);
  }

  /** Runs one step of the offer/answer exchange; a description it returns is sent. Failure closes. */
  private async negotiate(step: () => Promise<RTCSessionDescriptionInit | null>): Promise<void> {
    try {
      const description = await step();
      if (description === null || this.closed) return;
      if (description.type === 'offer' || description.type === 'answer') {
        this.options.onSignal({ type: description.type, sdp: description.sdp ?? '' });
      }
    } catch {
      this.destroy();
    }
  }

  private addCandidate(candidate: RTCIceCandidateInit): void {
    this.pc.addIceCandidate(candidate).catch(() => {
      // An unusable candidate (e.g. an mDNS name we cannot resolve): others may work.
    });
  }
}
