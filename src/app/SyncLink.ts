/**
 * Links an open note to its peers once storage has loaded (the sync
 * handshake then only asks for what this device lacks), and reports the
 * link's status and peer count. Every note has its secret from creation, so
 * a note written offline and shared later syncs the same way.
 */
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import type { RelayHandle, RelayStatus } from '../sync/RelayTransport';
import type { SyncStatus, Transport } from '../sync/Transport';
import type { ConnectionDetails } from '../sync/ConnectionMonitor';

export interface SyncLinkOptions {
  noteId: string;
  doc: Y.Doc;
  awareness: Awareness;
  /** The note's secret now, or undefined when the note is not in the index (then nothing syncs). */
  secret: () => string | undefined;
  /** Creates the transport (the app's TransportFactory). May throw. */
  connect: (doc: Y.Doc, awareness: Awareness, noteId: string, secret: string) => Transport;
  /** The link's status, peer count and relay status (null: no relay), at start and after every change. */
  onStatus: (sync: SyncStatus, peerCount: number, relay: RelayStatus | null) => void;
  /**
   * A peer connected (it decrypted our offers) or the relay sent a change that decrypted
   * with the note's key: the secret is right (a note
   * opened from a share link is confirmed by this, see PendingShares).
   */
  onPeer: () => void;
  /** The transport could not start; `message` is for the user. */
  onError: (message: string) => void;
  /** What the peer connections are doing (null: this transport has none), at start and after every change. */
  onConnection?: (details: ConnectionDetails | null) => void;
}

export class SyncLink {
  private transport: Transport | null = null;
  private unsubscribe: (() => void) | null = null;
  private unsubscribeDetails: (() => void) | null = null;
  private started = false;
  private disposed = false;

  constructor(private readonly options: SyncLinkOptions) {}

  /** Starts the transport (once). Returns whether it runs. */
  start(): boolean {
    if (this.started || this.disposed) return this.transport !== null;
    this.started = true;
    const { noteId, doc, awareness, connect, onStatus, onPeer, onError } = this.options;
    const secret = this.options.secret();
    if (!secret) return false;
    let transport: Transport;
    try {
      transport = connect(doc, awareness, noteId, secret);
    } catch (error) {
      onError(`Live sync could not start for this note: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
    this.transport = transport;
    const onChange = () => {
      onStatus(transport.status, transport.peerCount, transport.relay?.relayStatus ?? null);
      if (transport.peerCount > 0 || transport.relay?.relayStatus.verified === true) onPeer();
      // A transport loaded late (deferredTransport) has its connection details from then on.
      const connection = transport.connection;
      if (connection && this.unsubscribeDetails === null && !this.disposed) {
        this.unsubscribeDetails = connection.onDetails(() => this.options.onConnection?.(connection.details));
      }
      this.options.onConnection?.(connection?.details ?? null);
    };
    onChange();
    this.unsubscribe = transport.onChange(onChange);
    return true;
  }

  /** Stops the transport and starts a new one with the secret as it is now (after "Revoke links"). */
  restart(): boolean {
    if (this.disposed) return false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.transport?.destroy();
    this.transport = null;
    this.started = false;
    return this.start();
  }

  /** The relay side of the running transport, if it has one. */
  relay(): RelayHandle | null {
    return this.transport?.relay ?? null;
  }

  /** "Try again" on the peer connections (see ConnectionHandle.retry). */
  retry(options?: { reconnectAll?: boolean }): void {
    this.transport?.connection?.retry(options);
  }

  /** Stops syncing: unsubscribes, then destroys the transport. */
  dispose(): void {
    this.disposed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unsubscribeDetails?.();
    this.unsubscribeDetails = null;
    this.transport?.destroy();
    this.transport = null;
  }
}
