/**
 * The harness page of the Transport contract in real Chromium
 * (tests/e2e/transport-contract.spec.ts bundles it and loads it into one
 * Chromium process per device). It holds what the app's composition root
 * holds in a tab — one PeerNetwork, with the browser's own WebSocket,
 * RTCPeerConnection and BroadcastChannel — the first two wrapped by a
 * {@link NetworkCut} so the device can lose its network, and exposes
 * `window.weftContract` for the spec's page driver: members are joined by
 * it and called by id ({@link TransportMember.call}).
 */
import { PeerNetwork } from '../../../src/sync/PeerNetwork';
import { NetworkCut, type ConnectionCounts } from './NetworkCut';
import { TransportMember, type MemberMethod } from './TransportMember';
import { forgedRoom, type Forgery } from './forgedRoom';

/** What the page driver reaches as `window.weftContract`. */
export interface ContractPage {
  /** Joins a member to `noteId` / `secret` (with `text` written first); returns its id and the doc's client id. */
  join(noteId: string, secret: string, text: string, forge?: Forgery): { id: number; clientId: number };
  /**
   * Runs a member's operation; returns its result with the member's peer
   * count and this browser's WebRTC after it, read in the same task: the
   * driver checks that every peer counted has a live data channel.
   */
  call(id: number, method: MemberMethod, args: unknown[]): { result: unknown; peers: number } & ConnectionCounts;
  cut(): void;
  heal(): void;
  /** Destroys every member and the network. */
  dispose(): void;
}

const cut = new NetworkCut(WebSocket, RTCPeerConnection);
const network = new PeerNetwork({
  signaling: () => [`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signal`],
  WebSocket: cut.WebSocket,
  RTCPeerConnection: cut.RTCPeerConnection,
});
const members = new Map<number, TransportMember>();
let nextId = 0;

const member = (id: number): TransportMember => {
  const found = members.get(id);
  if (!found) throw new Error(`no member ${id} in this page`);
  return found;
};

const page: ContractPage = {
  join(noteId, secret, text, forge) {
    // Plain Y.Text docs, not notes: no schema firewall (it has its own tests).
    const joined = new TransportMember((doc, awareness, room) => network.join(doc, awareness, room, { firewall: false }), {
      room: forge ? forgedRoom({ noteId, secret }, forge) : { noteId, secret },
      text,
    });
    const id = nextId++;
    members.set(id, joined);
    return { id, clientId: joined.clientId };
  },
  call: (id, method, args) => ({ result: member(id).call(method, args), peers: member(id).peerCount(), ...cut.counts() }),
  cut: () => cut.cut(),
  heal: () => cut.heal(),
  dispose() {
    for (const joined of members.values()) joined.dispose();
    members.clear();
    network.destroy();
  },
};

(window as unknown as { weftContract: ContractPage }).weftContract = page;
