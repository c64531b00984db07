/**
 * A minimal in-process WebRTC implementation, just enough for simple-peer
 * (offer/answer, one data channel, getStats with a selected candidate pair).
 * Its data channels enforce Chromium's 256 KiB message limit, so a test
 * using it fails the way a browser would if large messages were not split.
 */

/** Chromium's SCTP max message size. */
export const FAKE_MAX_MESSAGE_BYTES = 256 * 1024;

export class FakeDataChannel {
  readyState: RTCDataChannelState = 'connecting';
  bufferedAmount = 0;
  binaryType = 'blob';
  bufferedAmountLowThreshold = 0;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onbufferedamountlow: ((event: unknown) => void) | null = null;
  partner: FakeDataChannel | null = null;
  /** Size of every message this channel sent. */
  readonly sent: number[] = [];
  /** Every message this channel sent (copies), when `recordMessages` is on. */
  readonly sentMessages: Uint8Array[] = [];
  recordMessages = false;
  /**
   * Chromium's order on an in-band channel: the opener's channel may get the
   * other side's first messages while still `connecting`, before its `open`.
   * When set, messages are delivered while connecting and the channel waits
   * for the test to call {@link open}.
   */
  opensLate = false;
  /** Messages delivered while `connecting` (with {@link opensLate}). */
  receivedWhileConnecting = 0;

  constructor(
    readonly label: string,
    /** `RTCDataChannelInit.protocol`, as the offerer set it (the answerer's channel has the same). */
    readonly protocol = '',
  ) {}

  send(data: ArrayBufferView | ArrayBuffer): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError: channel not open');
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength > FAKE_MAX_MESSAGE_BYTES) throw new TypeError(`message of ${bytes.byteLength} bytes exceeds maxMessageSize`);
    this.sent.push(bytes.byteLength);
    if (this.recordMessages) this.sentMessages.push(bytes.slice());
    const copy = bytes.slice().buffer;
    const partner = this.partner;
    setImmediate(() => partner?.deliver(copy));
  }

  private deliver(data: ArrayBuffer): void {
    if (this.readyState === 'open') {
      this.onmessage?.({ data });
      return;
    }
    if (this.readyState !== 'connecting' || !this.opensLate) return;
    this.receivedWhileConnecting++;
    this.onmessage?.({ data });
  }

  /** Lets a test inject raw bytes as if the partner had sent them (bypassing any wrapper on the partner). */
  inject(bytes: Uint8Array): void {
    this.onmessage?.({ data: bytes.slice().buffer });
  }

  open(): void {
    this.readyState = 'open';
    this.onopen?.({});
  }

  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    setImmediate(() => this.onclose?.({}));
    this.partner?.close();
  }
}

const registry = new Map<string, FakePeerConnection>();
let nextId = 0;

export class FakePeerConnection {
  readonly id = `pc${nextId++}`;
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  signalingState = 'stable';
  iceConnectionState = 'new';
  iceGatheringState = 'new';
  connectionState = 'new';
  onicecandidate: ((event: { candidate: unknown }) => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  onicegatheringstatechange: (() => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  onsignalingstatechange: (() => void) | null = null;
  ondatachannel: ((event: { channel: unknown }) => void) | null = null;
  private readonly dataChannelListeners = new Set<(event: { channel: unknown }) => void>();
  ontrack: (() => void) | null = null;
  channel: FakeDataChannel | null = null;
  /** The selected pair's local candidate type in `getStats`. */
  localCandidateType = 'host';
  /** The selected pair's remote candidate in `getStats`. */
  remoteCandidate: { type: string; address: string; port: number } = { type: 'host', address: '127.0.0.1', port: 2 };
  /** Channels created after the connection was up (multiplexing), on either side. */
  readonly extraChannels: FakeDataChannel[] = [];
  /** Channels this side opens on the established connection open late (see {@link FakeDataChannel.opensLate}). */
  extraChannelsOpenLate = false;
  /** The other end, once connected. */
  remote: FakePeerConnection | null = null;
  private remoteId: string | null = null;

  /** The configuration it was made with, then as `setConfiguration` changed it. */
  configuration: RTCConfiguration;
  /** The options of every `createOffer` call (an ICE restart passes `iceRestart`). */
  readonly offers: (RTCOfferOptions | undefined)[] = [];

  constructor(config?: unknown) {
    this.configuration = { ...(config as RTCConfiguration | undefined) };
    registry.set(this.id, this);
  }

  getConfiguration(): RTCConfiguration {
    return this.configuration;
  }

  setConfiguration(config: RTCConfiguration): void {
    this.configuration = { ...config };
  }

  /** Test control: the platform reports `state` for both ICE and the connection. */
  setConnectionState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.iceConnectionState = state;
    this.onconnectionstatechange?.();
  }

  createDataChannel(label: string, init?: RTCDataChannelInit): FakeDataChannel {
    const channel = new FakeDataChannel(label, init?.protocol ?? '');
    const remote = this.remote;
    if (remote === null) {
      // Before the connection: the channel negotiated with the offer.
      this.channel = channel;
      return channel;
    }
    // On an established connection: in-band, announced to the other side (no renegotiation).
    const partner = new FakeDataChannel(label, channel.protocol);
    channel.partner = partner;
    partner.partner = channel;
    this.extraChannels.push(channel);
    remote.extraChannels.push(partner);
    channel.opensLate = this.extraChannelsOpenLate;
    setImmediate(() => {
      remote.announceChannel(partner);
      if (!channel.opensLate) channel.open();
      partner.open();
    });
    return channel;
  }

  async createOffer(options?: RTCOfferOptions): Promise<{ type: string; sdp: string }> {
    this.offers.push(options);
    return { type: 'offer', sdp: `fake ${this.id}\n` };
  }

  async createAnswer(): Promise<{ type: string; sdp: string }> {
    return { type: 'answer', sdp: `fake ${this.id}\n` };
  }

  async setLocalDescription(description: { type: string; sdp: string }): Promise<void> {
    this.localDescription = description;
    this.setSignalingState(description.type === 'offer' ? 'have-local-offer' : 'stable');
    setImmediate(() => {
      this.onicecandidate?.({ candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMLineIndex: 0, sdpMid: '0' } });
      this.iceGatheringState = 'complete';
      this.onicegatheringstatechange?.();
      this.onicecandidate?.({ candidate: null });
    });
    if (description.type === 'answer') setImmediate(() => this.connect());
  }

  async setRemoteDescription(description: { type: string; sdp: string }): Promise<void> {
    this.remoteDescription = { type: description.type, sdp: description.sdp };
    this.remoteId = description.sdp.split(/\s/)[1] ?? null;
    this.setSignalingState(description.type === 'offer' ? 'have-remote-offer' : 'stable');
  }

  async addIceCandidate(): Promise<void> {}

  /** `datachannel` listeners besides `ondatachannel` (the browser's EventTarget has both; other types are not fired). */
  addEventListener(type: string, listener: (event: { channel: unknown }) => void): void {
    if (type === 'datachannel') this.dataChannelListeners.add(listener);
  }

  getTransceivers(): unknown[] {
    return [];
  }

  async getStats(): Promise<Map<string, Record<string, unknown>>> {
    return new Map<string, Record<string, unknown>>([
      ['t', { id: 't', type: 'transport', selectedCandidatePairId: 'p' }],
      ['p', { id: 'p', type: 'candidate-pair', localCandidateId: 'l', remoteCandidateId: 'r' }],
      ['l', { id: 'l', type: 'local-candidate', ip: '127.0.0.1', port: 1, candidateType: this.localCandidateType }],
      ['r', { id: 'r', type: 'remote-candidate', address: this.remoteCandidate.address, port: this.remoteCandidate.port, candidateType: this.remoteCandidate.type }],
    ]);
  }

  close(): void {
    this.channel?.close();
    for (const channel of this.extraChannels) channel.close();
    registry.delete(this.id);
  }

  /** Called on the answerer: pairs the channels and opens everything. */
  private connect(): void {
    if (this.remote !== null) {
      // A renegotiation (an ICE restart): the channels stay, ICE connects again.
      for (const pc of [this, this.remote]) pc.setConnectionState('connected');
      return;
    }
    const initiator = this.remoteId ? registry.get(this.remoteId) : undefined;
    if (!initiator?.channel) return;
    const mine = new FakeDataChannel(initiator.channel.label, initiator.channel.protocol);
    mine.partner = initiator.channel;
    initiator.channel.partner = mine;
    this.channel = mine;
    this.remote = initiator;
    initiator.remote = this;
    this.announceChannel(mine);
    for (const pc of [this, initiator]) {
      pc.iceConnectionState = 'connected';
      pc.connectionState = 'connected';
      pc.oniceconnectionstatechange?.();
    }
    initiator.channel.open();
    mine.open();
  }

  private announceChannel(channel: FakeDataChannel): void {
    this.ondatachannel?.({ channel });
    for (const listener of this.dataChannelListeners) listener({ channel });
  }

  private setSignalingState(state: string): void {
    this.signalingState = state;
    this.onsignalingstatechange?.();
  }
}

class FakeSessionDescription {
  type: string;
  sdp: string;
  constructor(init: { type: string; sdp: string }) {
    this.type = init.type;
    this.sdp = init.sdp;
  }
}

class FakeIceCandidate {
  constructor(init: Record<string, unknown>) {
    Object.assign(this, init);
  }
}

/** The fake as a simple-peer `wrtc` option. */
export const fakeWrtc = {
  RTCPeerConnection: FakePeerConnection as unknown as new (config?: RTCConfiguration) => RTCPeerConnection,
  RTCSessionDescription: FakeSessionDescription,
  RTCIceCandidate: FakeIceCandidate,
};
