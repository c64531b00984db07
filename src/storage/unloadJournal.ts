/**
 * The unload journal: a reload or a closed tab can abort IndexedDB write
 * transactions that were issued but not yet committed (Chromium drops them
 * with the page), losing the last keystrokes. On `pagehide` the attachment
 * copies the updates still in flight into localStorage (synchronous, and
 * kept by the browser across the navigation); the next load of the doc
 * applies and stores them, then deletes the entries. Applying an update
 * twice is harmless.
 */
import { fromBase64, toBase64 } from 'lib0/buffer';
import { isDecodableUpdate } from './updateLog';

/** localStorage key prefix of the journal: `prefix + dbName + ':' + writer`. */
export const UNLOAD_JOURNAL_PREFIX = 'weft:unload-journal:';

/** This realm's localStorage, or null where there is none or it throws (Node, blocked storage). */
function currentLocalStorage(): Storage | null {
  try {
    return (globalThis as { localStorage?: Storage }).localStorage ?? null;
  } catch {
    return null;
  }
}

/** One attachment's journal entry for the database `databaseName`, plus reading what earlier pages left. */
export class UnloadJournal {
  /** This writer's key, once it wrote an entry. */
  private key: string | null = null;

  constructor(
    private readonly databaseName: string,
    /** Tells writers to the same database apart (the doc's client id). */
    private readonly writer: number,
  ) {}

  /** Keeps `update` for the next load, replacing what this writer kept before. Best effort: the page is going away. */
  write(update: Uint8Array): void {
    const storage = currentLocalStorage();
    if (!storage) return;
    this.key ??= `${this.prefix()}${this.writer}-${Math.random().toString(36).slice(2)}`;
    try {
      storage.setItem(this.key, toBase64(update));
    } catch {
      // Out of space or blocked: nothing more can be done while the page unloads.
    }
  }

  /** The page stayed alive (bfcache) and everything reached IndexedDB: this writer's entry is obsolete. */
  discard(): void {
    if (this.key === null) return;
    try {
      currentLocalStorage()?.removeItem(this.key);
    } catch {
      // ignore: replaying it later is harmless
    }
    this.key = null;
  }

  /** Whether this writer has an entry to discard once its writes settle. */
  get written(): boolean {
    return this.key !== null;
  }

  /** The decodable updates earlier pages left for this database, with the keys to delete once they are stored. */
  leftovers(): { keys: string[]; updates: Uint8Array[] } {
    const storage = currentLocalStorage();
    const found = { keys: [] as string[], updates: [] as Uint8Array[] };
    if (!storage) return found;
    const prefix = this.prefix();
    try {
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key !== null && key.startsWith(prefix)) found.keys.push(key);
      }
    } catch {
      return found;
    }
    for (const key of found.keys) {
      try {
        const value = storage.getItem(key);
        const update = value === null ? null : fromBase64(value);
        if (update && isDecodableUpdate(update)) found.updates.push(update);
      } catch {
        // An unreadable entry: nothing to recover from it.
      }
    }
    return found;
  }

  /** Deletes replayed entries (see {@link leftovers}). */
  remove(keys: readonly string[]): void {
    const storage = currentLocalStorage();
    for (const key of keys) {
      try {
        storage?.removeItem(key);
      } catch {
        // ignore: applying it again later is harmless
      }
    }
  }

  private prefix(): string {
    return `${UNLOAD_JOURNAL_PREFIX}${this.databaseName}:`;
  }
}
