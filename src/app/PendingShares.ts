import type { Preferences } from './Preferences';
import type { TabLocks } from './TabLocks';

/** Preferences key of the share-link notes still pending. */
const PENDING_SHARES_KEY = 'weft:pending-shares';

/** The lock a tab holds while it shows a note (TabLocks.ts). */
const viewLock = (noteId: string) => `weft:pending-share:${noteId}`;

/**
 * Notes just added from a share link that have neither met a peer nor been
 * edited here. A well-formed link with a wrong secret cannot be told apart
 * locally from a right one whose peers are offline: the wrong one simply
 * never connects (nobody can decrypt its offers). So the entry is kept only
 * once it proves itself — a peer connected (they share the secret) or the
 * user wrote something — and is purged when the last view of it closes
 * otherwise, or on the next start when the tab was closed or reloaded while
 * it was pending (the set is persisted in preferences, which the tabs share:
 * each tab adds and removes its own ids). A tab holds a lock for each note it
 * shows, so another tab starting meanwhile leaves that note alone; without
 * tab locks it cannot tell, and drops it too.
 */
export class PendingShares {
  private readonly pending = new Set<string>();
  private readonly openViews = new Map<string, number>();

  constructor(
    private readonly deps: {
      preferences: Preferences;
      /** Whether the notes index still has the note. */
      exists: (noteId: string) => Promise<boolean>;
      /** Removes the note for good. */
      purge: (noteId: string) => Promise<void>;
      /** Locks that die with their tab; null: none (an old browser, tests that do not care). */
      locks?: TabLocks | null;
    },
  ) {}

  /** At start-up: drops the notes an earlier page load left pending (not those another tab shows now). */
  async purgeLeftovers(): Promise<void> {
    for (const noteId of this.read()) {
      if (this.pending.has(noteId)) continue;
      if (this.deps.locks && (await this.deps.locks.isHeld(viewLock(noteId)).catch(() => false))) continue;
      this.persist((ids) => ids.delete(noteId));
      if (await this.deps.exists(noteId).catch(() => false)) void this.deps.purge(noteId).catch(() => undefined);
    }
  }

  /** Marks a note just added from a share link as pending. */
  mark(noteId: string): void {
    this.pending.add(noteId);
    this.persist((ids) => ids.add(noteId));
  }

  /** True while a note added from a share link has not proven itself. */
  has(noteId: string): boolean {
    return this.pending.has(noteId);
  }

  /** The note met a peer or was edited here: it stays. */
  confirm(noteId: string): void {
    if (this.pending.delete(noteId)) this.persist((ids) => ids.delete(noteId));
  }

  /** Counts open views of a note; when the last closes and it is still pending, it is purged. Returns the view's disposer. */
  trackView(noteId: string): () => void {
    this.openViews.set(noteId, (this.openViews.get(noteId) ?? 0) + 1);
    let closed: () => void = () => undefined;
    const open = new Promise<void>((resolve) => (closed = resolve));
    void this.deps.locks?.hold(viewLock(noteId), () => open).catch(() => undefined);
    return () => {
      closed();
      this.openViews.set(noteId, (this.openViews.get(noteId) ?? 1) - 1);
      // After the current task: React StrictMode remounts synchronously.
      setTimeout(() => {
        if ((this.openViews.get(noteId) ?? 0) > 0 || !this.pending.has(noteId)) return;
        this.pending.delete(noteId);
        this.persist((ids) => ids.delete(noteId));
        void this.deps.purge(noteId).catch(() => undefined);
      }, 0);
    };
  }

  private read(): string[] {
    try {
      const parsed: unknown = JSON.parse(this.deps.preferences.get(PENDING_SHARES_KEY) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Persisted so that a tab closed while a note is pending still drops it on the next start; other tabs' ids are kept. */
  private persist(change: (ids: Set<string>) => void): void {
    try {
      const ids = new Set(this.read());
      change(ids);
      this.deps.preferences.set(PENDING_SHARES_KEY, JSON.stringify([...ids]));
    } catch {
      // Preferences unavailable: pending notes are then only dropped when their view closes.
    }
  }
}
