import type { StorageError } from './DocStore';

/**
 * Fans storage failures out to `onError` listeners, once per failure streak:
 * while the disk is full every keystroke fails to save, and the UI needs to
 * hear "quota" once, not once per keystroke. A successful write ends the streak.
 */
export class StorageErrorChannel {
  private readonly listeners = new Set<(error: StorageError) => void>();
  private lastKind: StorageError['kind'] | null = null;

  /** Adds a listener; returns its disposer. */
  on(listener: (error: StorageError) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Reports `error` unless the same kind was already reported in this streak. */
  report(error: StorageError): void {
    if (error.kind === this.lastKind) return;
    this.lastKind = error.kind;
    for (const listener of [...this.listeners]) {
      try {
        listener(error);
      } catch (listenerError) {
        // A throwing listener must not stop the others from hearing about the failure.
        queueMicrotask(() => {
          throw listenerError;
        });
      }
    }
  }

  /** A write went through: the next failure starts a new streak and is reported again. */
  recovered(): void {
    this.lastKind = null;
  }

  clear(): void {
    this.listeners.clear();
  }
}
