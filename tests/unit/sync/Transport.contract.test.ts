/**
 * Behaviours every Transport adapter must have, run against each adapter:
 * loopback (synchronous, in-process), the peer network over BroadcastChannel
 * (two tabs), and the peer network over WebRTC (two browsers: a real Weft
 * signaling server on 127.0.0.1 and the fake WebRTC of fakeWrtc.ts). Every
 * scenario waits on state, never on time; "nothing arrives" is checked
 * against a positive marker (a third peer that does get the message).
 * The WebRTC adapter in real Chromium: tests/e2e/interop.spec.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import type { SyncRoom, Transport, TransportFactory } from '../../../src/sync/Transport';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { PeerNetwork, type PeerNetworkOptions } from '../../../src/sync/PeerNetwork';
import { createWeftServer, type WeftServer } from '../../../server/createServer.js';
import { silentLogger } from '../../../server/logger.js';
import { fakeWrtc } from './fakeWrtc';
import { httpRelayClient, type RelayClient } from '../../../src/sync/relayClient';
import { memoryRelayCursors } from '../../../src/sync/relayCursors';
import { RelayTransport } from '../../../src/sync/RelayTransport';
import { withRelay } from '../../../src/sync/withRelay';
import { randomBytes, seedFor } from '../../prng';
import { waitFor } from '../waitFor';

const ROOM: SyncRoom = { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: '__79_Pv6-fj39vX08_Lx8A' };
const SEED = seedFor('transport contract data');

interface Harness {
  /** A factory whose transports can reach each other (each call: another tab or browser). */
  factory: TransportFactory;
  /** Lets queued traffic through (synchronous adapters); waiting is done by the scenarios. */
  flush(): void;
  /** Cuts the given transports off from each other / reconnects everything (adapters that can). */
  partition?(a: Transport[], b: Transport[]): void;
  heal?(): void;
  /** Releases what the harness holds. */
  dispose?(): void;
}

interface Peer {
  doc: Y.Doc;
  awareness: Awareness;
  transport: Transport;
}

const text = (peer: Peer): string => peer.doc.getText('t').toString();

/** `canPartition`: the adapter can cut links on demand (the in-process one); the others skip that scenario. */
const runContract = (name: string, makeHarness: () => Harness, canPartition = false): void => {
  describe(`Transport contract: ${name}`, () => {
    let harness: Harness;
    const peers: Peer[] = [];
    const join = (room: SyncRoom = ROOM, doc = new Y.Doc()): Peer => {
      const awareness = new Awareness(doc);
      const transport = harness.factory(doc, awareness, room);
      const peer = { doc, awareness, transport };
      peers.push(peer);
      return peer;
    };
    /** Waits until `condition` holds (flushing a synchronous adapter first). */
    const until = (what: string, condition: () => boolean): Promise<void> =>
      waitFor(`${name}: ${what}`, () => {
        harness.flush();
        return condition();
      }, 15_000);

    afterEach(() => {
      for (const peer of peers.splice(0)) {
        peer.transport.destroy();
        peer.awareness.destroy();
        peer.doc.destroy();
      }
      harness.dispose?.();
    });

    it('converges two docs both ways, including edits made before joining', async () => {
      harness = makeHarness();
      const a = join();
      a.doc.getText('t').insert(0, 'from a ');
      const bDoc = new Y.Doc();
      bDoc.getText('t').insert(0, 'from b ');
      const b = join(ROOM, bDoc);
      await until('both edits on both sides', () => text(a) === text(b) && text(a).includes('from a') && text(a).includes('from b'));
      b.doc.getText('t').insert(0, 'live ');
      await until('the live edit', () => text(a).startsWith('live '));
    });

    it('reports status and peer count, and notifies listeners until its disposer runs', async () => {
      harness = makeHarness();
      const a = join();
      let changes = 0;
      const off = a.transport.onChange(() => changes++);
      harness.flush();
      expect(a.transport.peerCount).toBe(0);
      expect(a.transport.status).not.toBe('connected');
      const b = join();
      await until('a and b connected', () => a.transport.status === 'connected' && a.transport.peerCount === 1 && b.transport.peerCount === 1);
      expect(changes).toBeGreaterThan(0);
      const c = join();
      await until('a sees two peers', () => a.transport.peerCount === 2);
      b.transport.destroy();
      await until('a sees one peer', () => a.transport.peerCount === 1);
      off();
      const before = changes;
      c.transport.destroy();
      await until('a alone', () => a.transport.peerCount === 0);
      expect(changes).toBe(before); // disposer worked
    });

    it('stops syncing after destroy', async () => {
      harness = makeHarness();
      const a = join();
      const b = join();
      await until('a and b connected', () => a.transport.peerCount === 1);
      b.transport.destroy();
      b.transport.destroy(); // idempotent
      a.doc.getText('t').insert(0, 'after');
      b.doc.getText('t').insert(0, 'local only');
      // A third peer gets a's edit: it went out, and b did not take it.
      const c = join();
      await until('the third peer to get the edit', () => text(c) === 'after');
      expect(text(b)).toBe('local only');
      expect(text(a)).toBe('after');
    });

    it('propagates awareness states and removes them when a peer leaves', async () => {
      harness = makeHarness();
      const a = join();
      const b = join();
      a.awareness.setLocalState({ name: 'Ann' });
      await until('Ann on b', () => (b.awareness.getStates().get(a.doc.clientID) as { name?: string } | undefined)?.name === 'Ann');
      a.awareness.setLocalStateField('name', 'Anna');
      await until('Anna on b', () => (b.awareness.getStates().get(a.doc.clientID) as { name?: string } | undefined)?.name === 'Anna');
      a.transport.destroy();
      await until('a gone from b', () => !b.awareness.getStates().has(a.doc.clientID));
    });

    it('does not connect peers with a different secret', async () => {
      harness = makeHarness();
      const a = join();
      const b = join({ ...ROOM, secret: 'AAAAAAAAAAAAAAAAAAAAAA' });
      a.doc.getText('t').insert(0, 'secret text');
      // A peer with the right secret gets it; the other one never does.
      const c = join();
      await until('the right peer to get the text', () => text(c) === 'secret text' && a.transport.peerCount === 1);
      expect(b.transport.peerCount).toBe(0);
      expect(text(b)).toBe('');
    });

    it.runIf(canPartition)('merges edits made while partitioned', async () => {
      harness = makeHarness();
      if (!harness.partition || !harness.heal) throw new Error('the harness cannot partition');
      const a = join();
      const b = join();
      a.doc.getText('t').insert(0, 'base');
      await until('base on b', () => text(b) === 'base');
      harness.partition([a.transport], [b.transport]);
      a.doc.getText('t').insert(0, 'A');
      b.doc.getText('t').insert(4, 'B');
      harness.flush();
      expect(text(a)).toBe('Abase');
      harness.heal();
      await until('merged', () => text(a) === 'AbaseB' && text(b) === 'AbaseB');
    });

    it('carries a 1 MB paste', async () => {
      harness = makeHarness();
      const a = join();
      const b = join();
      await until('a and b connected', () => a.transport.peerCount === 1);
      const pasted = Array.from(randomBytes(1024 * 1024, SEED), (x) => String.fromCharCode(97 + (x % 26))).join('');
      a.doc.getText('t').insert(0, pasted);
      await until('the paste on b', () => b.doc.getText('t').length === pasted.length);
      expect(text(b) === pasted).toBe(true);
    });
  });
};

// The contract's docs hold a plain Y.Text, not a note: no schema firewall (it has its own tests).
runContract('loopback', () => {
  const network = new LoopbackNetwork({ firewall: false });
  return {
    factory: network.factory,
    flush: () => network.flush(),
    partition: (a, b) => network.partition(a, b),
    heal: () => network.heal(),
  };
}, true);

/** Peer networks, one per transport (each a tab or a browser of its own). */
const peerNetworks = (options: () => PeerNetworkOptions): Harness => {
  const networks: PeerNetwork[] = [];
  return {
    factory: (doc, awareness, room) => {
      const network = new PeerNetwork(options());
      networks.push(network);
      return network.join(doc, awareness, room, { firewall: false });
    },
    flush: () => undefined,
    dispose: () => {
      for (const network of networks.splice(0)) network.destroy();
    },
  };
};

runContract('peer network, tabs (BroadcastChannel)', () =>
  peerNetworks(() => ({ signaling: () => [], RTCPeerConnection: null, BroadcastChannel: globalThis.BroadcastChannel })),
);

/** Node's `ws` sends no Origin, and the server accepts only its own. */
class SameOriginWebSocket extends NodeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { origin: `http://${new URL(url).host}` });
  }
}

describe('over a real signaling server', () => {
  let server: WeftServer;
  let signalingUrl = '';
  let staticDir = '';
  beforeAll(async () => {
    staticDir = mkdtempSync(join(tmpdir(), 'weft-contract-'));
    server = createWeftServer({ staticDir, host: '127.0.0.1', port: 0, logger: silentLogger });
    signalingUrl = `ws://127.0.0.1:${(await server.listen()).port}/signal`;
  });
  afterAll(async () => {
    await server.close();
    rmSync(staticDir, { recursive: true, force: true });
  });
  runContract('peer network, WebRTC (fake) through signaling', () =>
    peerNetworks(() => ({
      signaling: () => [signalingUrl],
      WebSocket: SameOriginWebSocket as unknown as new (url: string) => WebSocket,
      RTCPeerConnection: fakeWrtc.RTCPeerConnection,
      BroadcastChannel: null,
    })),
  );
});

/**
 * A note's transport as the app composes it for a shared note: its peers (loopback here) and
 * the store-and-forward relay (RelayTransport through a real Weft server's /relay, a fresh
 * server per harness so no room outlives its test), joined by withRelay.
 */
runContract('peers + relay (withRelay: loopback peers, RelayTransport on a real relay)', () => {
  const network = new LoopbackNetwork({ firewall: false });
  const staticDir = mkdtempSync(join(tmpdir(), 'weft-contract-relay-'));
  const server = createWeftServer({ staticDir, host: '127.0.0.1', port: 0, logger: silentLogger });
  const url = server.listen().then(({ url }) => url);
  const client: RelayClient = {
    read: async (...args) => httpRelayClient(await url).read(...args),
    write: async (...args) => httpRelayClient(await url).write(...args),
    deleteRoom: async (...args) => httpRelayClient(await url).deleteRoom(...args),
  };
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
    flush: () => network.flush(),
    dispose: () => {
      for (const relay of relays.splice(0)) relay.destroy();
      void server.close().finally(() => rmSync(staticDir, { recursive: true, force: true }));
    },
  };
});

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
