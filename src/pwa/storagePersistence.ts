/**
 * Whether the browser may evict this origin's storage (IndexedDB, where every note lives) under
 * storage pressure. "persistent" storage is only cleared by the user.
 *
 * - `persistent`: granted (now or on an earlier visit).
 * - `best-effort`: the browser declined; it may clear the notes when the disk fills up.
 * - `unsupported`: no StorageManager (old browser, or an insecure context).
 */
export type StoragePersistence = 'persistent' | 'best-effort' | 'unsupported';

/** The subset of `navigator.storage` this module uses, injectable for tests. */
export interface PersistentStorageManager {
  persisted(): Promise<boolean>;
  persist(): Promise<boolean>;
}

function defaultStorageManager(): PersistentStorageManager | undefined {
  if (typeof navigator === 'undefined') return undefined;
  const storage = navigator.storage as Partial<StorageManager> | undefined;
  if (!storage || typeof storage.persisted !== 'function' || typeof storage.persist !== 'function') return undefined;
  return storage as PersistentStorageManager;
}

/**
 * Asks for persistent storage once and reports the outcome. Asks only when not yet persistent:
 * `persist()` may show a prompt in some browsers, and re-asking a granted origin is pointless.
 * Never throws: a failing StorageManager counts as `best-effort`.
 */
export async function requestPersistentStorage(
  storage: PersistentStorageManager | undefined = defaultStorageManager(),
): Promise<StoragePersistence> {
  if (!storage) return 'unsupported';
  try {
    if (await storage.persisted()) return 'persistent';
    return (await storage.persist()) ? 'persistent' : 'best-effort';
  } catch {
    return 'best-effort';
  }
}
