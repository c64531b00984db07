/**
 * The notes an import is writing, journaled so that a tab killed half-way
 * leaves nothing behind. An import stores each new note's document, then
 * lists them all at once (importMarkdown.ts): the list never shows part of
 * a batch, but a kill between the two used to leave documents that no list
 * entry names — taking space, shown nowhere, never deleted.
 *
 * Each batch's note ids are kept in preferences (localStorage, shared by the
 * tabs) while the batch holds a tab lock of its own. At start-up, a batch
 * whose lock nobody holds belonged to a tab that died: its notes that never
 * got listed are removed. The lock is taken before the journal entry is
 * written, so a live import is never mistaken for a dead one; without tab
 * locks (an old browser) leftovers are only removed after a day.
 */
import type { Preferences } from './Preferences';
import type { TabLocks } from './TabLocks';

/** Preferences key of the batches in flight. Persisted: never rename. */
export const IMPORTS_IN_FLIGHT_KEY = 'weft:imports-in-flight';
/** Without tab locks, how old a batch must be to count as dead. */
export const UNLOCKED_BATCH_EXPIRY_MS = 24 * 60 * 60 * 1000;

interface Batch {
  readonly ids: readonly string[];
  readonly at: number;
}

export interface ImportJournalDeps {
  preferences: Preferences;
  /** null: the browser has no tab locks. */
  locks: TabLocks | null;
  /** Whether the notes list has an entry for the note (in the trash too). */
  listed: (noteId: string) => Promise<boolean>;
  /** Removes a note's stored document. */
  remove: (noteId: string) => Promise<void>;
  now: () => number;
  /** A fresh batch id. */
  batchId: () => string;
}

const lockName = (batch: string) => `weft:import:${batch}`;

export class ImportJournal {
  constructor(private readonly deps: ImportJournalDeps) {}

  /** Runs `write` (which stores and lists the notes `ids`) as one journaled batch. */
  async run<T>(ids: readonly string[], write: () => Promise<T>): Promise<T> {
    const batch = this.deps.batchId();
    const journaled = async () => {
      this.change((batches) => ({ ...batches, [batch]: { ids, at: this.deps.now() } }));
      try {
        return await write();
      } finally {
        this.change(({ [batch]: _done, ...rest }) => rest);
      }
    };
    return this.deps.locks ? this.deps.locks.hold(lockName(batch), journaled) : journaled();
  }

  /** At start-up: removes what dead batches stored but never listed. Resolves with how many notes it removed. */
  async purgeLeftovers(): Promise<number> {
    let removed = 0;
    for (const [batch, { ids, at }] of Object.entries(this.read())) {
      const dead = this.deps.locks ? !(await this.deps.locks.isHeld(lockName(batch))) : this.deps.now() - at > UNLOCKED_BATCH_EXPIRY_MS;
      if (!dead) continue;
      for (const id of ids) {
        if (await this.deps.listed(id)) continue;
        await this.deps.remove(id);
        removed++;
      }
      this.change(({ [batch]: _dead, ...rest }) => rest);
    }
    return removed;
  }

  private read(): Record<string, Batch> {
    try {
      const parsed: unknown = JSON.parse(this.deps.preferences.get(IMPORTS_IN_FLIGHT_KEY) ?? '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
      const batches: Record<string, Batch> = {};
      for (const [batch, value] of Object.entries(parsed as Record<string, unknown>)) {
        const { ids, at } = (value ?? {}) as { ids?: unknown; at?: unknown };
        if (Array.isArray(ids) && ids.every((id) => typeof id === 'string') && typeof at === 'number') batches[batch] = { ids, at };
      }
      return batches;
    } catch {
      return {};
    }
  }

  private change(edit: (batches: Record<string, Batch>) => Record<string, Batch>): void {
    try {
      this.deps.preferences.set(IMPORTS_IN_FLIGHT_KEY, JSON.stringify(edit(this.read())));
    } catch {
      // Preferences unavailable: the import still runs; a kill then leaves its documents as before.
    }
  }
}
