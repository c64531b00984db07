/**
 * A device losing its network, for the contract's partition scenario: wraps
 * the WebSocket and RTCPeerConnection classes one PeerNetwork is given (its
 * constructor options; no global patch) so that `cut()` takes the device off
 * the network and `heal()` puts it back.
 *
 * What `cut()` does is what a real partition ends in, minus the wait for its
 * detection: the signaling sockets close (a socket cut off by a real network
 * is given up after SignalingClient's 30 s silence limit) and every data
 * channel of the device's peer connections closes, on both ends (ICE consent
 * failure closes a real connection after ~30 s). While cut, no socket opens
 * and a channel that opens anyway is closed at once. The app sees the same
 * events it sees on a real network loss (socket `close`, channel `close`) and
 * takes its own code path from there; `heal()` only lets sockets open again:
 * reconnecting, announcing and resyncing are the app's.
 *
 * Chromium's own offline emulation (Playwright's `setOffline`) cannot do
 * this: it cuts WebSockets but not WebRTC.
 */

/** The WebSocket constructor PeerNetwork takes. */
type WebSocketClass = new (url: string) => WebSocket;
/** The RTCPeerConnection constructor PeerNetwork takes. */
type PeerConnectionClass = new (config?: RTCConfiguration) => RTCPeerConnection;

/** WebSocket ready states (the constants are on the browser's class, not on every WebSocket class). */
const CONNECTING = 0;
const OPEN = 1;

/** The device's WebRTC, as the page harness reports it (to prove WebRTC carried the peers). */
export interface ConnectionCounts {
  /** RTCPeerConnections created so far. */
  readonly peerConnections: number;
  /**
   * Data channels on them that are open or closing: what carries a peer the
   * app counts (a channel's state and its open / close events change in one
   * task, so it is never counted without one).
   */
  readonly liveChannels: number;
}

export class NetworkCut {
  private isCut = false;
  private readonly sockets = new Set<WebSocket>();
  private readonly channels = new Set<RTCDataChannel>();
  private connections = 0;
  /** Pass to PeerNetwork's `WebSocket` option. */
  readonly WebSocket: WebSocketClass;
  /** Pass to PeerNetwork's `RTCPeerConnection` option. */
  readonly RTCPeerConnection: PeerConnectionClass;

  constructor(BaseWebSocket: WebSocketClass, BasePeerConnection: PeerConnectionClass) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper classes below report to this cut
    const cut = this;
    this.WebSocket = class extends BaseWebSocket {
      constructor(url: string) {
        // A device without a network cannot open a socket (SignalingClient retries with backoff).
        if (cut.isCut) throw new Error('the network is cut');
        super(url);
        cut.sockets.add(this);
      }
    };
    this.RTCPeerConnection = class extends BasePeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config);
        cut.connections++;
        this.addEventListener('datachannel', (event) => cut.track(event.channel));
      }

      override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
        return cut.track(super.createDataChannel(label, init));
      }
    };
  }

  /** Takes the device off the network: closes its sockets and its channels (see the module comment). */
  cut(): void {
    this.isCut = true;
    for (const socket of this.sockets) if (socket.readyState === CONNECTING || socket.readyState === OPEN) socket.close();
    // (The channels stay listed: counts() reports them until they are closed.)
    for (const channel of this.channels) if (channel.readyState !== 'closed') channel.close();
    this.sockets.clear();
  }

  /** Puts the device back: sockets may open again (the app reconnects on its own schedule). */
  heal(): void {
    this.isCut = false;
  }

  counts(): ConnectionCounts {
    let liveChannels = 0;
    for (const channel of this.channels) {
      if (channel.readyState === 'closed') this.channels.delete(channel);
      else if (channel.readyState !== 'connecting') liveChannels++;
    }
    return { peerConnections: this.connections, liveChannels };
  }

  private track(channel: RTCDataChannel): RTCDataChannel {
    // Negotiated before the cut and arriving after it: a cut network carries nothing.
    if (this.isCut) channel.close();
    else this.channels.add(channel);
    return channel;
  }
}
