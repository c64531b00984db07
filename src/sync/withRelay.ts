import type { Awareness } from 'y-protocols/awareness';
import type { RelayTransport } from './RelayTransport';
import type { SyncStatus, Transport } from './Transport';

/**
 * One note's peers and its relay as one {@link Transport}: status and peer count are the
 * peers' (the relay is not a peer), `relay` is the relay's, and a change of either tells
 * the listeners. `destroy()` destroys both.
 */
export function withRelay(peers: Transport, relay: RelayTransport): Transport {
  return {
    get status(): SyncStatus {
      return peers.status;
    },
    get peerCount(): number {
      return peers.peerCount;
    },
    get awareness(): Awareness {
      return peers.awareness;
    },
    relay,
    get connection() {
      return peers.connection;
    },
    onChange(listener) {
      const a = peers.onChange(listener);
      const b = relay.onChange(listener);
      return () => {
        a();
        b();
      };
    },
    destroy() {
      peers.destroy();
      relay.destroy();
    },
  };
}
