import type * as Y from 'yjs';

/** Why storage could not do its job; each kind gets its own message in the UI. */
export type StorageErrorKind =
  /** IndexedDB is missing or refused to open (private mode, disabled by policy). */
  | 'unavailable'
  /** Another tab holds an older/newer version of the database open and will not let go. */
  | 'blocked'
  /** The browser refused a write because the origin is out of space. */
  | 'quota'
  /** A stored record could not be decoded; the rest was loaded. */
  | 'corrupt'
  /** The connection was closed under us (another tab deleted/upgraded the database). */
  | 'closed'
  /** Anything else a write or read failed with. */
  | 'unknown';

export class StorageError extends Error {
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/**
 * A Y.Doc attached to durable storage. Created by {@link DocStore.open}; from
 * then on every update of the doc is written, and `destroy()` detaches.
 */
export interface PersistedDoc {
  /** Resolves once everything stored has been applied to the doc; rejects with a StorageError. */
  readonly whenLoaded: Promise<void>;
  /**
   * The transaction origin of updates this attachment applies from storage,
   * the same for its whole life, so update listeners can tell loading apart
   * from editing.
   */
  readonly origin: unknown;
  /** Called for every storage failure after opening (quota, closed connection, ...). Returns its disposer. */
  onError(listener: (error: StorageError) => void): () => void;
  /** Resolves once every update made so far is durably written (or its failure reported). */
  flush(): Promise<void>;
  /** Rewrites the stored log as one merged update. */
  compact(): Promise<void>;
  /** Waits for pending writes, then detaches from the doc. Does not delete anything. */
  destroy(): Promise<void>;
}

/** Where Y.Docs live between sessions: IndexedDB in the browser, memory in tests. */
export interface DocStore {
  /** Attaches `doc` to the stored document `name`: loads what is stored into it, then saves every update. */
  open(name: string, doc: Y.Doc): PersistedDoc;
  /** Deletes everything stored under `name`. */
  remove(name: string): Promise<void>;
  /**
   * False when nothing is stored under `name`, found without creating it (opening would);
   * true when something is, or when the store cannot tell.
   */
  mayExist(name: string): Promise<boolean>;
}
