import type { Preferences } from './Preferences';

/** Preferences key of the share-link notes still pending. */
const PENDING_SHARES_KEY = 'weft:pending-shares';

/**
 * Notes just added from a share link that have neither met a peer nor been
 * edited here. A well-formed link with a wrong secret cannot be told apart
 * locally from a right one whose peers are offline: the wrong one simply
 * never connects (nobody can decrypt its offers). So the entry is kept only
 * once it proves itself — a peer connected (they share the secret) or the
 * user wrote something — and is purged when the last view of it closes
 * otherwise, or on the next start when the tab was closed or reloaded while
 * it was pending (the set is persisted in preferences). Limit: a second tab
 * that starts while another still shows the pending note drops it too.
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
    },
  ) {}

  /** At start-up: drops the notes an earlier page load left pending. */
  async purgeLeftovers(): Promise<void> {
    const leftovers = this.read();
    this.save();
    for (const noteId of leftovers) {
      if (await this.deps.exists(noteId).catch(() => false)) void this.deps.purge(noteId).catch(() => undefined);
    }
  }

  /** Marks a note just added from a share link as pending. */
  mark(noteId: string): void {
    this.pending.add(noteId);
    this.save();
  }

  /** True while a note added from a share link has not proven itself. */
  has(noteId: string): boolean {
    return this.pending.has(noteId);
  }

  /** The note met a peer or was edited here: it stays. */
  confirm(noteId: string): void {
    if (this.pending.delete(noteId)) this.save();
  }

  /** Counts open views of a note; when the last closes and it is still pending, it is purged. Returns the view's disposer. */
  trackView(noteId: string): () => void {
    this.openViews.set(noteId, (this.openViews.get(noteId) ?? 0) + 1);
    return () => {
      this.openViews.set(noteId, (this.openViews.get(noteId) ?? 1) - 1);
      // After the current task: React StrictMode remounts synchronously.
      setTimeout(() => {
        if ((this.openViews.get(noteId) ?? 0) > 0 || !this.pending.has(noteId)) return;
        this.pending.delete(noteId);
        this.save();
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

  /** Persisted so that a tab closed while a note is pending still drops it on the next start. */
  private save(): void {
    try {
      this.deps.preferences.set(PENDING_SHARES_KEY, JSON.stringify([...this.pending]));
    } catch {
      // Preferences unavailable: pending notes are then only dropped when their view closes.
    }
  }
}
