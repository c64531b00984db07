/**
 * SyncLink (src/app/SyncLink.ts) on its own, over the loopback network: it starts the
 * transport once, reports status and peer count, confirms on the first peer, says why when
 * the transport cannot start, and dispose destroys the transport.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { SyncLink, type SyncLinkOptions } from '../../../src/app/SyncLink';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import type { SyncStatus, Transport } from '../../../src/sync/Transport';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function link(network: LoopbackNetwork, overrides: Partial<SyncLinkOptions> = {}) {
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  const statuses: Array<[SyncStatus, number]> = [];
  const errors: string[] = [];
  let peers = 0;
  const transports: Transport[] = [];
  const sync = new SyncLink({
    noteId: 'note',
    doc,
    awareness,
    secret: () => 'secret',
    connect: (d, a, noteId, secret) => {
      const transport = network.join(d, a, { noteId, secret });
      transports.push(transport);
      return transport;
    },
    onStatus: (status, peerCount) => statuses.push([status, peerCount]),
    onPeer: () => peers++,
    onError: (message) => errors.push(message),
    ...overrides,
  });
  cleanups.push(() => {
    sync.dispose();
    awareness.destroy();
    doc.destroy();
  });
  return { sync, statuses, errors, transports, peers: () => peers };
}

describe('SyncLink', () => {
  it('starts once, reports status and peer count, and confirms when a peer connects', () => {
    const network = new LoopbackNetwork();
    const alice = link(network);
    expect(alice.sync.start()).toBe(true);
    expect(alice.sync.start()).toBe(true);
    expect(alice.transports).toHaveLength(1);
    expect(alice.statuses).toEqual([['connecting', 0]]);
    expect(alice.peers()).toBe(0);

    const bob = link(network);
    bob.sync.start();
    expect(alice.statuses.at(-1)).toEqual(['connected', 1]);
    expect(alice.peers()).toBeGreaterThan(0);
    expect(bob.statuses.at(-1)).toEqual(['connected', 1]);
  });

  it('does not sync a note without a secret', () => {
    const none = link(new LoopbackNetwork(), { secret: () => undefined });
    expect(none.sync.start()).toBe(false);
    expect(none.transports).toEqual([]);
    expect(none.statuses).toEqual([]);
  });

  it('says why when the transport cannot start', () => {
    const broken = link(new LoopbackNetwork(), {
      connect: () => {
        throw new Error('no WebRTC here');
      },
    });
    expect(broken.sync.start()).toBe(false);
    expect(broken.errors).toEqual(['Live sync could not start for this note: no WebRTC here']);
  });

  it('dispose destroys the transport and reports nothing more; a disposed link never starts', () => {
    const network = new LoopbackNetwork();
    const alice = link(network);
    alice.sync.start();
    alice.sync.dispose();
    expect(alice.transports[0]?.status).toBe('offline');
    const reports = alice.statuses.length;
    link(network).sync.start();
    expect(alice.statuses).toHaveLength(reports);

    const late = link(network);
    late.sync.dispose();
    expect(late.sync.start()).toBe(false);
    expect(late.transports).toEqual([]);
  });
});
