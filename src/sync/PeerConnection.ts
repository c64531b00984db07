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
 *
 * A connection that fails or stays disconnected gets an ICE restart (the
 * initiator sends a new offer with fresh ICE servers: new TURN credentials,
 * a new network interface; relay candidates only when a TURN server is
 * configured), {@link MAX_ICE_RESTARTS} times at most before it closes. It reports what ICE did (candidates gathered, ICE server errors,
 * the selected pair) for the connection status (ConnectionMonitor.ts).
 */

import type { PeerSignal } from './signalingMessage';
import { CANDIDATE_TYPES, type CandidateType, type PeerPath } from './ConnectionMonitor';
import { isTurnServer } from './syncConfig';
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

/**
 * ICE restarts a connection gets before it gives up and closes: one is what a
 * changed network or renewed TURN credentials need; more would only keep a
 * vanished peer listed as connected for longer.
 */
export const MAX_ICE_RESTARTS = 1;
/** A `disconnected` connection gets this long to come back by itself before an ICE restart. */
export const DISCONNECTED_GRACE_MS = 4_000;
/**
 * An ICE restart that has not reconnected within this is counted as failed (and restarted
 * again, within the bound). Short: a restart that works does within a second or two (the
 * NAT test's relayed ones: under one), and a peer whose browser is gone (no close ever
 * arrives) must not stay listed as connected for long.
 */
export const ICE_RESTART_TIMEOUT_MS = 8_000;

/** What a connection tells its owner about ICE, for the connection status. */
export type ConnectionEvent =
  | { readonly kind: 'candidate'; readonly type: CandidateType }
  | { readonly kind: 'error'; readonly message: string }
  /** The state or the selected pair changed. */
  | { readonly kind: 'state' };

/** Options of a {@link PeerConnection}. */
export interface PeerConnectionOptions {
  readonly initiator: boolean;
  readonly RTCPeerConnection: PeerConnectionClass;
  readonly iceServers: RTCIceServer[];
  /** The ICE servers now, for an ICE restart (TURN credentials may have been renewed); default `iceServers`. */
  readonly iceServersNow?: () => RTCIceServer[];
  /** `relay`: gather TURN relay candidates only, so peers never learn this device's addresses. */
  readonly iceTransportPolicy?: RTCIceTransportPolicy;
  /** ICE events for the connection status. */
  readonly onEvent?: (event: ConnectionEvent) => void;
  /** Offer / accept compression of large messages (DataChannelLink.ts). */
  readonly compression: boolean;
  /** A signal to publish to the remote peer. */
  readonly onSignal: (signal: PeerSignal) => void;
  /** The first channel's events; `onClose` also fires when negotiation fails before it opened. */
  readonly link: LinkHandlers;
  /** A further channel the remote side opened (multiplexing): accept it with {@link PeerConnection.acceptChannel} or close it. */
  readonly onChannel?: (channel: RTCDataChannel) => void;
}


const asCandidateType = (value: unknown): CandidateType | null =>
  typeof value === 'string' && (CANDIDATE_TYPES as readonly string[]).includes(value) ? (value as CandidateType) : null;

/** A gathered candidate's type: the platform's field, else the SDP attribute (`typ relay`). */
const candidateType = (candidate: RTCIceCandidate): CandidateType | null =>
  asCandidateType(candidate.type) ?? asCandidateType(/ typ (\w+)/.exec(candidate.candidate)?.[1]);

/**
 * `address:port` and type of a signaled candidate (`candidate:<foundation> <component> <protocol>
 * <priority> <address> <port> typ <type> …`), null when the line has another shape.
 */
const signaledCandidate = (line: string): { at: string; type: CandidateType } | null => {
  const match = /^(?:a=)?candidate:\S+ \d+ \S+ \d+ (\S+) (\d+) typ (\w+)/.exec(line);
  const type = asCandidateType(match?.[3]);
  return match && type ? { at: `${match[1]}:${match[2]}`, type } : null;
};

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
  private restarts = 0;
  /** Waiting for a disconnected connection to come back, or for a restart to work. */
  private recoveryTimer: ReturnType<typeof setTimeout> | null = null;
  private selected: PeerPath | null = null;
  /** Types of the candidates the remote peer signaled, by `address:port` (see {@link readPath}). */
  private readonly signaledTypes = new Map<string, CandidateType>();
  private everConnected = false;
  /** Why the connection ended without opening (or stopped working), for the status; null while fine. */
  private failureReason: string | null = null;

  constructor(private readonly options: PeerConnectionOptions) {
    this.initiator = options.initiator;
    this.pc = new options.RTCPeerConnection({
      iceServers: options.iceServers,
      ...(options.iceTransportPolicy ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
    });
    this.pc.onicecandidate = (event) => {
      const candidate = event.candidate;
      if (!candidate || this.closed) return;
      const type = candidateType(candidate);
      if (type !== null) options.onEvent?.({ kind: 'candidate', type });
      options.onSignal({
        type: 'candidate',
        candidate: { candidate: candidate.candidate, sdpMLineIndex: candidate.sdpMLineIndex, sdpMid: candidate.sdpMid },
      });
    };
    this.pc.onicecandidateerror = (event) => {
      if (this.closed) return;
      const { url, errorCode, errorText } = event as RTCPeerConnectionIceErrorEvent;
      options.onEvent?.({ kind: 'error', message: `${url || 'ICE server'}: ${errorCode} ${errorText}`.trim() });
    };
    this.pc.onconnectionstatechange = () => this.stateChanged();
    this.pc.oniceconnectionstatechange = () => this.stateChanged();
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

  /** The selected candidate pair while connected (null: not connected, or not known yet). */
  get path(): PeerPath | null {
    return this.selected;
  }

  /** True between a lost path and a new one: it had connected, and ICE is not connected now (a restart is due or under way). */
  get reconnecting(): boolean {
    return !this.closed && this.everConnected && this.state() !== 'connected';
  }

  /** Why it closed without working, or null. */
  get failure(): string | null {
    return this.failureReason;
  }

  /**
   * Restarts ICE now unless it is connected (the network changed, "Try again"):
   * within {@link MAX_ICE_RESTARTS}, like a failure would.
   */
  restartIfStalled(): void {
    if (this.closed || this.state() === 'connected' || this.state() === 'new') return;
    this.recover();
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
    this.clearRecovery();
    this.selected = null;
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
      this.failureReason = 'Setting up the connection failed (offer or answer refused)';
      this.destroy();
    }
  }

  private state(): string {
    // connectionState covers DTLS too; iceConnectionState where a platform lacks it.
    return this.pc.connectionState ?? this.pc.iceConnectionState;
  }

  private stateChanged(): void {
    if (this.closed) return;
    const state = this.state();
    if (state === 'closed') {
      this.destroy();
      return;
    }
    if (state === 'connected') {
      this.everConnected = true;
      this.clearRecovery();
      void this.readPath();
    } else if (state === 'failed') {
      this.selected = null;
      this.clearRecovery();
      this.recover();
    } else if (state === 'disconnected' && this.recoveryTimer === null) {
      // Often a blip (a lost packet burst, a Wi-Fi roam): give it a moment before restarting.
      this.recoverUnlessConnectedIn(DISCONNECTED_GRACE_MS);
    }
    this.options.onEvent?.({ kind: 'state' });
  }

  /**
   * An ICE restart, within the bound; past it the connection closes. Only the
   * initiator sends the new offer (two restart offers at once would collide);
   * both sides take fresh ICE servers for the candidates they gather next.
   */
  private recover(): void {
    if (this.closed) return;
    this.clearRecovery();
    if (this.restarts >= MAX_ICE_RESTARTS) {
      this.failureReason = !this.everConnected
        ? 'No network path to the peer was found (ICE failed): a TURN relay is needed between these networks'
        : 'The connection to the peer was lost and could not be restored';
      this.options.onEvent?.({ kind: 'error', message: this.failureReason });
      this.destroy();
      return;
    }
    this.restarts++;
    const iceServers = this.options.iceServersNow?.() ?? this.options.iceServers;
    try {
      // With a TURN server at hand, the restart goes through it only: the path ICE picked
      // failed, and a relayed pair is the one most likely to survive what broke it (a NAT
      // mapping or a firewall rule that changed under a direct pair).
      const relayOnly = iceServers.some(isTurnServer);
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers, ...(relayOnly ? { iceTransportPolicy: 'relay' as const } : {}) });
    } catch {
      // A configuration the platform refuses: restart with the one it has.
    }
    if (this.initiator && this.hasRemoteDescription) {
      // Candidates of the new ICE generation wait for the answer that introduces it.
      this.hasRemoteDescription = false;
      void this.negotiate(async () => {
        const offer = await this.pc.createOffer({ iceRestart: true });
        await this.pc.setLocalDescription(offer);
        return this.pc.localDescription ?? offer;
      });
    }
    this.recoverUnlessConnectedIn(ICE_RESTART_TIMEOUT_MS);
  }

  /** Restarts ICE (within the bound) unless the connection is connected again `ms` from now. */
  private recoverUnlessConnectedIn(ms: number): void {
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = null;
      if (this.state() !== 'connected') this.recover();
    }, ms);
  }

  private clearRecovery(): void {
    if (this.recoveryTimer !== null) clearTimeout(this.recoveryTimer);
    this.recoveryTimer = null;
  }

  /** Which candidate pair carries the connection (direct or relayed), from the platform's stats. */
  private async readPath(): Promise<void> {
    try {
      const stats = await this.pc.getStats();
      const entries = new Map<string, Record<string, unknown>>();
      stats.forEach((entry: Record<string, unknown>) => entries.set(String(entry.id), entry));
      let pairId: unknown;
      for (const entry of entries.values()) if (entry.type === 'transport' && entry.selectedCandidatePairId) pairId = entry.selectedCandidatePairId;
      if (pairId === undefined) {
        for (const entry of entries.values()) if (entry.type === 'candidate-pair' && entry.nominated === true && entry.state === 'succeeded') pairId = entry.id;
      }
      const pair = pairId === undefined ? undefined : entries.get(String(pairId));
      const local = asCandidateType(entries.get(String(pair?.localCandidateId))?.candidateType);
      const remoteEntry = entries.get(String(pair?.remoteCandidateId));
      let remote = asCandidateType(remoteEntry?.candidateType);
      // A check that arrives before the candidate's signal makes the platform name that
      // candidate peer-reflexive, and the name may stick: behind a relay-only peer this end
      // would say "direct" for a path through TURN. The signaled candidate at the same
      // address says what it really is.
      if (remote === 'prflx') remote = this.signaledTypes.get(`${String(remoteEntry?.address ?? remoteEntry?.ip)}:${String(remoteEntry?.port)}`) ?? remote;
      if (this.closed || local === null || remote === null) return;
      this.selected = { local, remote };
      this.options.onEvent?.({ kind: 'state' });
    } catch {
      // No stats (closing): the path stays unknown.
    }
  }

  private addCandidate(candidate: RTCIceCandidateInit): void {
    const signaled = signaledCandidate(candidate.candidate ?? '');
    if (signaled) this.signaledTypes.set(signaled.at, signaled.type);
    this.pc.addIceCandidate(candidate).then(
      () => {
        // The candidate behind a peer-reflexive pair may have just been named.
        if (this.selected?.remote === 'prflx') void this.readPath();
      },
      () => {
        // An unusable candidate (e.g. an mDNS name we cannot resolve): others may work.
      },
    );
  }
}
