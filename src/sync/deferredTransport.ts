import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import type { ApplyHooks, SyncRoom, SyncStatus, Transport, TransportFactory } from './Transport';
import { ChangeListeners } from './ChangeListeners';
import type { ConnectionHandle } from './ConnectionMonitor';

/**
 * A {@link Transport} whose real implementation is still being loaded (the
 * WebRTC transport and its dependencies are a separate chunk, imported when
 * the first note opens, so the first screen does not ship them). Until the
 * factory arrives it reports `offline` with no peers; then it creates the
 * real transport, forwards its state and tells its listeners. Destroyed
 * before that, it never creates one. A factory that fails to load or throws
 * is reported to `onError` and the transport stays offline.
 */
export function deferredTransport(
  factory: Promise<TransportFactory>,
  doc: Y.Doc,
  awareness: Awareness,
  room: SyncRoom,
  onError: (error: unknown) => void,
  hooks?: ApplyHooks,
): Transport {
  return new DeferredTransport(factory, doc, awareness, room, onError, hooks);
}

class DeferredTransport implements Transport {
  private real: Transport | null = null;
  private destroyed = false;
  private readonly listeners = new ChangeListeners();
  private unsubscribe: (() => void) | null = null;

  constructor(
    factory: Promise<TransportFactory>,
    doc: Y.Doc,
    readonly awareness: Awareness,
    room: SyncRoom,
    onError: (error: unknown) => void,
    hooks?: ApplyHooks,
  ) {
    factory.then(
      (create) => {
        if (this.destroyed) return;
        try {
          this.real = create(doc, awareness, room, hooks);
        } catch (error) {
          onError(error);
          return;
        }
        this.unsubscribe = this.real.onChange(() => this.listeners.notify());
        this.listeners.notify();
      },
      (error: unknown) => {
        if (!this.destroyed) onError(error);
      },
    );
  }

  get status(): SyncStatus {
    return this.real?.status ?? 'offline';
  }

  get peerCount(): number {
    return this.real?.peerCount ?? 0;
  }

  /** The real transport's, once it exists (its arrival is a change: listeners look again). */
  get connection(): ConnectionHandle | undefined {
    return this.real?.connection;
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.listeners.clear();
    this.unsubscribe?.();
    this.real?.destroy();
  }
}
