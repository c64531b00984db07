/**
 * The Transport contract (tests/contract/transport/transportContract.ts: the
 * scenarios, and how to add an adapter) in Node, against every adapter that
 * runs here:
 * - loopback (in-process, synchronous);
 * - the peer network over BroadcastChannel: each peer a tab of one browser;
 * - the peer network over WebRTC through a real Weft signaling server on
 *   127.0.0.1, each peer a browser of its own with the fake WebRTC of
 *   fakeWrtc.ts.
 * The same scenarios over real WebRTC between Chromium processes:
 * tests/e2e/transport-contract.spec.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { PeerNetwork, type PeerNetworkOptions } from '../../../src/sync/PeerNetwork';
import { createWeftServer } from '../../../server/createServer.js';
import { silentLogger } from '../../../server/logger.js';
import { fakeWrtc } from './fakeWrtc';
import { CONTRACT_ROOM as ROOM, SCENARIO_TIMEOUT_MS, contractCases, inProcessNetwork, type Device, type TransportAdapter } from '../../contract/transport/transportContract';
import { NetworkCut } from '../../contract/transport/NetworkCut';
import { httpRelayClient, type RelayClient } from '../../../src/sync/relayClient';
import { memoryRelayCursors } from '../../../src/sync/relayCursors';
import { RelayTransport } from '../../../src/sync/RelayTransport';
import { withRelay } from '../../../src/sync/withRelay';

/** A device on a peer network of its own (a tab, or a browser); the contract's docs are plain Y.Text, not notes: no schema firewall. */
const peerDevice = (options: PeerNetworkOptions, cut?: NetworkCut): Device => {
  const network = new PeerNetwork(options);
  return {
    factory: (doc, awareness, room) => network.join(doc, awareness, room, { firewall: false }),
    ...(cut ? { cut: () => cut.cut(), heal: () => cut.heal() } : {}),
    dispose: () => network.destroy(),
  };
};

/** Node's `ws` sends no Origin, and the server accepts only its own. */
class SameOriginWebSocket extends NodeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { origin: `http://${new URL(url).host}` });
  }
}

const loopback: TransportAdapter = {
  name: 'loopback',
  unsigned: 'an in-process test double: messages go from one doc to another in memory, there is no wire to sign',
  async open() {
    const network = new LoopbackNetwork({ firewall: false });
    // Offline, not just partitioned: a device that lost its network.
    const hub: Device = { factory: network.factory, cut: (t) => network.setOnline(t, false), heal: (t) => network.setOnline(t, true) };
    return inProcessNetwork(() => hub);
  },
};

const tabs: TransportAdapter = {
  name: 'peer network, tabs (BroadcastChannel)',
  cannotPartition: 'tabs of one browser have no network between them to lose',
  open: async () =>
    inProcessNetwork(() => peerDevice({ signaling: () => [], RTCPeerConnection: null, BroadcastChannel: globalThis.BroadcastChannel })),
};

const fakeWebRtc: TransportAdapter = {
  name: 'peer network, WebRTC (fake) through signaling',
  async open() {
    const staticDir = mkdtempSync(join(tmpdir(), 'weft-contract-'));
    const server = createWeftServer({ staticDir, host: '127.0.0.1', port: 0, logger: silentLogger });
    const signalingUrl = `ws://127.0.0.1:${(await server.listen()).port}/signal`;
    return inProcessNetwork(
      () => {
        const cut = new NetworkCut(SameOriginWebSocket as unknown as new (url: string) => WebSocket, fakeWrtc.RTCPeerConnection);
        return peerDevice({ signaling: () => [signalingUrl], WebSocket: cut.WebSocket, RTCPeerConnection: cut.RTCPeerConnection, BroadcastChannel: null }, cut);
      },
      async () => {
        await server.close();
        rmSync(staticDir, { recursive: true, force: true });
      },
    );
  },
};

/**
 * A shared note's transport as the app composes it: its peers (loopback here) and the
 * store-and-forward relay (RelayTransport through a real Weft server's /relay, a fresh server
 * per scenario so no room outlives it), joined by withRelay.
 */
const peersAndRelay: TransportAdapter = {
  name: 'peers + relay (withRelay: loopback peers, RelayTransport on a real relay)',
  cannotPartition: 'a device cut off from the relay only notices the relay again on its next pull (every 20 s), longer than a scenario waits',
  unsigned: 'its peers are loopback (no wire); the relay reader refusing unsigned and wrongly signed blobs is RelayTransport.test.ts',
  async open() {
    const network = new LoopbackNetwork({ firewall: false });
    const staticDir = mkdtempSync(join(tmpdir(), 'weft-contract-relay-'));
    const server = createWeftServer({ staticDir, host: '127.0.0.1', port: 0, logger: silentLogger });
    const client: RelayClient = httpRelayClient((await server.listen()).url);
    return inProcessNetwork(
      () => {
        const relays: RelayTransport[] = [];
        return {
          factory: (doc, awareness, room) => {
            const relay = new RelayTransport({
              doc,
              awareness,
              room,
              client,
              cursors: memoryRelayCursors(),
              shared: () => true,
              setShared: () => undefined,
              firewall: false,
              batchMs: 0,
            });
            relays.push(relay);
            return withRelay(network.factory(doc, awareness, room), relay);
          },
          dispose: () => {
            for (const relay of relays.splice(0)) relay.destroy();
          },
        };
      },
      async () => {
        await server.close();
        rmSync(staticDir, { recursive: true, force: true });
      },
    );
  },
};

/** Every adapter that runs in Node. A new one is one more entry (see transportContract.ts). */
const adapters: readonly TransportAdapter[] = [loopback, tabs, fakeWebRtc, peersAndRelay];

for (const adapter of adapters) {
  describe(`Transport contract: ${adapter.name}`, () => {
    for (const c of contractCases(adapter)) {
      if (c.skip) it.skip(`${c.title} (cannot: ${c.skip})`, () => c.run());
      else it(c.title, () => c.run(), SCENARIO_TIMEOUT_MS);
    }
  });
}

describe('LoopbackNetwork specifics', () => {
  it('holds messages until flush() when autoFlush is off, and drops them on a cut link', () => {
    const network = new LoopbackNetwork({ autoFlush: false, firewall: false });
    const da = new Y.Doc();
    const db = new Y.Doc();
    const a = network.join(da, new Awareness(da), ROOM);
    const b = network.join(db, new Awareness(db), ROOM);
    network.flush();
    da.getText('t').insert(0, 'x');
    expect(network.pending).toBe(1);
    expect(db.getText('t').toString()).toBe('');
    network.partition([a], [b]);
    network.flush();
    expect(db.getText('t').toString()).toBe('');
    network.heal();
    network.flush();
    expect(db.getText('t').toString()).toBe('x');
  });

  it('reports offline for a member taken off the network', () => {
    const network = new LoopbackNetwork();
    const da = new Y.Doc();
    const db = new Y.Doc();
    const a = network.join(da, new Awareness(da), ROOM);
    network.join(db, new Awareness(db), ROOM);
    network.setOnline(a, false);
    expect(a.status).toBe('offline');
    expect(a.peerCount).toBe(0);
    network.setOnline(a, true);
    expect(a.status).toBe('connected');
  });
});
