/**
 * One WebRTC connection to a remote browser, negotiated through signaling in
 * simple-peer's signal JSON (signalingMessage.ts `PeerSignal`), so that a
 * stock y-webrtc peer (which uses simple-peer) interoperates:
 *
 * - the initiator creates one data channel, then an offer; the answerer takes
 *   the channel from `datachannel` and answers;
 * - ICE candidates trickle both ways; candidates that arrive before the
 *   remote description wait for it;
 * - the connection is up when the data channel opens, and gone when the
 *   channel closes, or the connection fails or closes.
 *
 * The data channel's messages go through a {@link DataChannelLink}.
 */

import type { PeerSignal } from './signalingMessage';
import {
  CHANNEL_PROTOCOL,
  DataChannelLink,
  answeringCompression,
  offeringCompression,
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
  /** The link's events; `onClose` also fires when negotiation fails before it opened. */
  readonly link: LinkHandlers;
}

/** Label of the initiator's data channel: random like simple-peer's (20 random bytes, hex). */
const channelLabel = (): string =>
  [...crypto.getRandomValues(new Uint8Array(20))].map((byte) => byte.toString(16).padStart(2, '0')).join('');

export class PeerConnection {
  readonly initiator: boolean;
  private readonly pc: RTCPeerConnection;
  private link: DataChannelLink | null = null;
  private pendingCandidates: RTCIceCandidateInit[] = [];
  private hasRemoteDescription = false;
  private closed = false;
  /** The link opened (`onClose` is then the link's to report). */
  private opened = false;

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
    } else {
      this.pc.ondatachannel = (event) => {
        if (this.link !== null || this.closed) return;
        this.link = this.wrap(event.channel, answeringCompression(options.compression, event.channel));
      };
    }
  }

  /** The open link, or null (not open yet, or closed). */
  get openLink(): DataChannelLink | null {
    return this.link?.isOpen ? this.link : null;
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
    // Closing the peer connection closes its channel without firing its close event.
    this.link?.markClosed();
    try {
      this.pc.close();
    } catch {
      // Already closed.
    }
    if (!this.opened) this.options.link.onClose();
  }

  private wrap(channel: RTCDataChannel, compression: ReturnType<typeof offeringCompression>): DataChannelLink {
    const { link } = this.options;
    return new DataChannelLink(channel, compression, {
      onOpen: () => {
        this.opened = true;
        link.onOpen();
      },
      onMessage: (message) => link.onMessage(message),
      onClose: () => {
        link.onClose();
        this.destroy();
      },
      onViolation: (reason) => link.onViolation(reason),
    });
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
