/**
 * Behaviours every Transport adapter must have. Runs against the loopback
 * adapter here; its scenarios wait for a synchronous flush. The peer
 * network's transports (PeerRoom: WebRTC and BroadcastChannel) are
 * asynchronous: the same behaviours are checked for them, waiting on state,
 * in PeerNetwork.test.ts (Node: tabs, and WebRTC through a real signaling
 * server and the fake WebRTC) and tests/e2e/interop.spec.ts (real Chromium).
 * Making this one suite wait on state, so that every adapter runs it as is,
 * is the next step.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import type { SyncRoom, Transport, TransportFactory } from '../../../src/sync/Transport';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { randomBytes, seedFor } from '../../prng';

const ROOM: SyncRoom = { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: '__79_Pv6-fj39vX08_Lx8A' };
const SEED = seedFor('transport contract data');

interface Harness {
  /** A factory whose transports can reach each other. */
  factory: TransportFactory;
  /** Lets queued traffic through and waits until the adapter is idle. */
  settle(): Promise<void>;
  /** Cuts the given transports off from each other / reconnects everything. */
  partition(a: Transport[], b: Transport[]): void;
  heal(): void;
}

interface Peer {
  doc: Y.Doc;
  awareness: Awareness;
  transport: Transport;
}

const runContract = (name: string, makeHarness: () => Harness): void => {
  describe(`Transport contract: ${name}`, () => {
    let harness: Harness;
    const peers: Peer[] = [];
    const join = (room: SyncRoom = ROOM): Peer => {
      const doc = new Y.Doc();
      const awareness = new Awareness(doc);
      const transport = harness.factory(doc, awareness, room);
      const peer = { doc, awareness, transport };
      peers.push(peer);
      return peer;
    };

    afterEach(() => {
      for (const peer of peers.splice(0)) {
        peer.transport.destroy();
        peer.awareness.destroy();
        peer.doc.destroy();
      }
    });

    it('converges two docs both ways, including edits made before joining', async () => {
      harness = makeHarness();
      const a = join();
      a.doc.getText('t').insert(0, 'from a ');
      const bDoc = new Y.Doc();
      bDoc.getText('t').insert(0, 'from b ');
      const b = { doc: bDoc, awareness: new Awareness(bDoc), transport: undefined as unknown as Transport };
      b.transport = harness.factory(b.doc, b.awareness, ROOM);
      peers.push(b);
      await harness.settle();
      expect(a.doc.getText('t').toString()).toBe(b.doc.getText('t').toString());
      expect(a.doc.getText('t').toString()).toContain('from a');
      expect(a.doc.getText('t').toString()).toContain('from b');
      b.doc.getText('t').insert(0, 'live ');
      await harness.settle();
      expect(a.doc.getText('t').toString().startsWith('live ')).toBe(true);
    });

    it('reports status and peer count, and notifies listeners', async () => {
      harness = makeHarness();
      const a = join();
      let changes = 0;
      const off = a.transport.onChange(() => changes++);
      await harness.settle();
      expect(a.transport.peerCount).toBe(0);
      expect(a.transport.status).not.toBe('connected');
      const b = join();
      await harness.settle();
      expect(a.transport.status).toBe('connected');
      expect(a.transport.peerCount).toBe(1);
      expect(b.transport.peerCount).toBe(1);
      expect(changes).toBeGreaterThan(0);
      join();
      await harness.settle();
      expect(a.transport.peerCount).toBe(2);
      b.transport.destroy();
      await harness.settle();
      expect(a.transport.peerCount).toBe(1);
      off();
      const before = changes;
      harness.partition([a.transport], peers.slice(2).map((p) => p.transport));
      await harness.settle();
      expect(a.transport.peerCount).toBe(0);
      expect(changes).toBe(before); // disposer worked
    });

    it('stops syncing after destroy', async () => {
      harness = makeHarness();
      const a = join();
      const b = join();
      await harness.settle();
      b.transport.destroy();
      b.transport.destroy(); // idempotent
      a.doc.getText('t').insert(0, 'after');
      b.doc.getText('t').insert(0, 'local only');
      await harness.settle();
      expect(b.doc.getText('t').toString()).toBe('local only');
      expect(a.doc.getText('t').toString()).toBe('after');
    });

    it('propagates awareness states and removes them when a peer leaves', async () => {
      harness = makeHarness();
      const a = join();
      const b = join();
      a.awareness.setLocalState({ name: 'Ann' });
      await harness.settle();
      expect(b.awareness.getStates().get(a.doc.clientID)).toEqual({ name: 'Ann' });
      a.awareness.setLocalStateField('name', 'Anna');
      await harness.settle();
      expect(b.awareness.getStates().get(a.doc.clientID)).toEqual({ name: 'Anna' });
      a.transport.destroy();
      await harness.settle();
      expect(b.awareness.getStates().has(a.doc.clientID)).toBe(false);
    });

    it('does not connect peers with a different secret', async () => {
      harness = makeHarness();
      const a = join();
      const b = join({ ...ROOM, secret: 'AAAAAAAAAAAAAAAAAAAAAA' });
      a.doc.getText('t').insert(0, 'secret text');
      await harness.settle();
      expect(a.transport.peerCount).toBe(0);
      expect(b.doc.getText('t').toString()).toBe('');
    });

    it('merges edits made while partitioned', async () => {
      harness = makeHarness();
      const a = join();
      const b = join();
      a.doc.getText('t').insert(0, 'base');
      await harness.settle();
      harness.partition([a.transport], [b.transport]);
      a.doc.getText('t').insert(0, 'A');
      b.doc.getText('t').insert(4, 'B');
      await harness.settle();
      expect(a.doc.getText('t').toString()).toBe('Abase');
      harness.heal();
      await harness.settle();
      expect(a.doc.getText('t').toString()).toBe('AbaseB');
      expect(b.doc.getText('t').toString()).toBe('AbaseB');
    });

    it('carries a 1 MB paste', async () => {
      harness = makeHarness();
      const a = join();
      const b = join();
      const text = Array.from(randomBytes(1024 * 1024, SEED), (x) => String.fromCharCode(97 + (x % 26))).join('');
      a.doc.getText('t').insert(0, text);
      await harness.settle();
      expect(b.doc.getText('t').length).toBe(text.length);
      expect(b.doc.getText('t').toString() === text).toBe(true);
    });
  });
};

// The contract's docs hold a plain Y.Text, not a note: no schema firewall (it has its own tests).
runContract('loopback', () => {
  const network = new LoopbackNetwork({ firewall: false });
  return {
    factory: network.factory,
    settle: async () => network.flush(),
    partition: (a, b) => network.partition(a, b),
    heal: () => network.heal(),
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
