/**
 * Full-text search over every note's whole text, with MiniSearch: words match
 * as typed or by prefix, and with a typo when nothing matches as typed;
 * results ranked (BM25), the explicit title weighted above the text.
 *
 * The index lives in memory and is persisted in the notes list's store as a
 * snapshot that records the last change it holds. Nothing is read at
 * start-up: the first search (or a focus of the search box) loads the
 * snapshot and reads only the search documents changed since (the store
 * numbers every change, see `SearchDoc`). A missing, damaged (checksum) or
 * foreign (format) snapshot is rebuilt from the stored documents in the
 * background, a batch at a time; meanwhile {@link NotesSearch.usable} says no
 * and the notes list falls back to scanning the stored texts. Changes reach
 * the index off the keystroke path: the list's own debounced writes, other
 * tabs' (heard over the IndexChannel), restores and imports all go through
 * the store, and the index reads what changed after its last change before
 * the next query; a new snapshot is written a while after many notes changed.
 */
import type MiniSearch from 'minisearch';
import type { Options, SearchOptions, SearchResult } from 'minisearch';
import { normalizeForSearch } from '../doc/noteEntry';
import type { NotesIndexStore, SearchDoc } from '../storage/NotesIndexStore';

/** The snapshot's format: MiniSearch's serialization under {@link MINISEARCH_OPTIONS}. Bump when either changes. */
export const SEARCH_INDEX_FORMAT = 1;
/** Search documents read per step while catching up or rebuilding (bounds one step's memory and main-thread time). */
export const SEARCH_BATCH = 200;
/** How long a query waits for a rebuild before it scans instead. */
export const REBUILD_WAIT_MS = 250;
/** Quiet time after the last change before the snapshot is written again. */
export const SNAPSHOT_DELAY_MS = 5_000;
/**
 * Notes changed since the snapshot before it is written again on its own. Writing it blocks the
 * page for 1–2.5 s at 10,000 notes (bench scenario 16), while the next load catches up with a few
 * changed notes in milliseconds: a restore or an import is worth a new snapshot, an edited note is not.
 */
export const SNAPSHOT_MIN_CHANGES = 200;

interface IndexedDoc {
  id: string;
  text: string;
  title: string;
  listed: boolean;
}

const MINISEARCH_OPTIONS: Options<IndexedDoc> = {
  fields: ['title', 'text'],
  storeFields: ['listed'],
  // Folds case, accents and width, as the rest of the app does ("cafe" finds "Café").
  processTerm: (term) => normalizeForSearch(term) || null,
  autoVacuum: true,
};

/** Every word must match, as typed or as the start of a word. */
const SEARCH_OPTIONS: SearchOptions = { combineWith: 'AND', prefix: true, boost: { title: 2 } };

/**
 * When nothing matches as typed: one typo in words of 4–8 letters, two from 9; none in a word with
 * digits ("invoice 2024" must not find 2023, nor "item42" item41). Only then, and without prefixes:
 * typo matching over the whole vocabulary is what costs (bench scenario 16: p95 5–10x the exact search).
 */
const TYPO_OPTIONS: SearchOptions = {
  combineWith: 'AND',
  prefix: false,
  fuzzy: (term) => (/\p{N}/u.test(term) ? false : term.length >= 9 ? 2 : term.length >= 4 ? 1 : false),
  boost: { title: 2 },
};

/** One result, best first: the note and the (folded) words of its text that matched. */
export interface SearchHit {
  readonly id: string;
  readonly terms: readonly string[];
}

/** FNV-1a (32 bits) of the UTF-16 units, hex: enough to tell a damaged snapshot, cheap on tens of megabytes. */
export function checksumOf(data: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) hash = Math.imul(hash ^ data.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export type SearchState = 'idle' | 'loading' | 'rebuilding' | 'ready';

export interface NotesSearchOptions {
  store: NotesIndexStore;
  /** Lets other work run between two batches of a rebuild. Default: a macrotask. */
  yieldTo?: () => Promise<void>;
  /** Quiet time before the snapshot is written; default {@link SNAPSHOT_DELAY_MS}. */
  snapshotDelayMs?: number;
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class NotesSearch {
  private mini: MiniSearch<IndexedDoc> | null = null;
  private seq = 0;
  private currentState: SearchState = 'idle';
  private loaded: Promise<void> | null = null;
  private rebuildStarted: () => void = () => undefined;
  private readonly rebuilding: Promise<void>;
  private catching: Promise<void> | null = null;
  private again = false;
  /** Search documents applied since the snapshot was last written or read (Infinity: built without one). */
  private unsaved = 0;
  /** A change was stored since the last catch-up (this tab's writes, and other tabs' over the IndexChannel). */
  private stale = true;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  /** How the index was made ready, for the bench and tests: from the snapshot, or rebuilt (with why). */
  origin: 'snapshot' | 'rebuilt: none stored' | 'rebuilt: damaged' | 'rebuilt: stale' | null = null;

  constructor(private readonly options: NotesSearchOptions) {
    this.rebuilding = new Promise<void>((resolve) => (this.rebuildStarted = resolve));
  }

  get state(): SearchState {
    return this.currentState;
  }

  /** A method, not a comparison of the field: the field changes while a caller awaits. */
  isReady(): boolean {
    return this.currentState === 'ready';
  }

  /** Loads the index (once; later calls return the same promise). Never rejects: a failure leaves it idle, to try again. */
  warm(): Promise<void> {
    this.loaded ??= this.load().catch(() => {
      this.loaded = null;
      this.mini = null;
      this.currentState = 'idle';
    });
    return this.loaded;
  }

  /**
   * Whether queries can use the index now: starts loading it, waits for a
   * snapshot to load, and for a rebuild only {@link REBUILD_WAIT_MS}.
   */
  async usable(): Promise<boolean> {
    if (this.currentState === 'ready') return true;
    const loading = this.warm();
    await Promise.race([loading, this.rebuilding.then(() => delay(REBUILD_WAIT_MS))]);
    return this.isReady();
  }

  /**
   * The notes matching `query`, best first (trash only with `includeDeleted`), after catching up
   * with the changes stored since the last query (when this tab wrote or heard of any).
   */
  async query(query: string, includeDeleted = false): Promise<SearchHit[]> {
    if (this.stale) await this.catchUp();
    const mini = this.mini;
    if (!mini) return [];
    const filter = (result: SearchResult) => includeDeleted || result.listed === true;
    let results = mini.search(query, { ...SEARCH_OPTIONS, filter });
    if (results.length === 0) results = mini.search(query, { ...TYPO_OPTIONS, filter });
    return results.map((result) => ({ id: String(result.id), terms: result.terms }));
  }

  /** A change was stored (this tab or another): once loaded, the index catches up and its snapshot is written again later. */
  changed(): void {
    this.stale = true;
    if (this.currentState !== 'ready') return;
    this.scheduleSnapshot();
  }

  /** Reads the stored changes after the last one the index holds (several calls share one reader). */
  catchUp(): Promise<void> {
    if (!this.mini) return Promise.resolve();
    if (this.catching) {
      this.again = true;
      return this.catching;
    }
    this.catching = (async () => {
      try {
        do {
          this.again = false;
          this.stale = false;
          await this.readChanges();
        } while (this.again && !this.disposed);
      } finally {
        this.catching = null;
      }
    })();
    return this.catching;
  }

  /**
   * Writes the snapshot once at least `minChanges` notes changed since the last one (default: any;
   * tests and the bench call it); resolves whether one was written.
   */
  async saveSnapshot(minChanges = 1): Promise<boolean> {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (!this.mini || this.disposed) return false;
    await this.catchUp();
    const mini = this.mini;
    const unsaved = this.unsaved;
    if (!mini || this.disposed || unsaved < minChanges) return false;
    this.unsaved = 0;
    const data = JSON.stringify(mini);
    try {
      return await this.options.store.saveSearchSnapshot({ format: SEARCH_INDEX_FORMAT, seq: this.seq, checksum: checksumOf(data), data });
    } catch {
      // The snapshot is a cache: a failed write costs a catch-up (or a rebuild) at the next load, nothing else.
      this.unsaved += unsaved;
      return false;
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.mini = null;
  }

  private async load(): Promise<void> {
    this.currentState = 'loading';
    const { store } = this.options;
    // The engine's code is fetched with the index, not with the first screen.
    const [snapshot, last, { default: Engine }] = await Promise.all([store.searchSnapshot(), store.lastChange(), import('minisearch')]);
    let mini: MiniSearch<IndexedDoc> | null = null;
    let why: Exclude<NotesSearch['origin'], 'snapshot' | null> = 'rebuilt: none stored';
    // Another format, or later than the store's last change (the store was reset under it): stale.
    if (snapshot && (snapshot.format !== SEARCH_INDEX_FORMAT || snapshot.seq > last)) why = 'rebuilt: stale';
    else if (snapshot && checksumOf(snapshot.data) !== snapshot.checksum) why = 'rebuilt: damaged';
    else if (snapshot) {
      try {
        mini = Engine.loadJSON<IndexedDoc>(snapshot.data, MINISEARCH_OPTIONS);
        this.seq = snapshot.seq;
      } catch {
        why = 'rebuilt: damaged';
      }
    }
    if (this.disposed) return;
    if (mini) {
      this.mini = mini;
      this.origin = 'snapshot';
      await this.catchUp();
    } else {
      this.currentState = 'rebuilding';
      this.rebuildStarted();
      this.mini = new Engine<IndexedDoc>(MINISEARCH_OPTIONS);
      this.seq = 0;
      this.origin = why;
      await this.catchUp();
      this.unsaved = Infinity;
    }
    if (this.disposed) return;
    this.currentState = 'ready';
    if (this.unsaved >= SNAPSHOT_MIN_CHANGES) this.scheduleSnapshot();
  }

  private async readChanges(): Promise<void> {
    const yieldTo = this.options.yieldTo ?? macrotask;
    for (;;) {
      const docs = await this.options.store.changedSince(this.seq, SEARCH_BATCH);
      const mini = this.mini;
      if (!mini || this.disposed) return;
      for (const doc of docs) this.put(mini, doc);
      this.unsaved += docs.length;
      if (docs.length < SEARCH_BATCH) return;
      await yieldTo();
    }
  }

  private put(mini: MiniSearch<IndexedDoc>, doc: SearchDoc): void {
    if (mini.has(doc.id)) mini.discard(doc.id);
    if (!doc.removed) mini.add({ id: doc.id, text: doc.text, title: doc.title, listed: doc.listed });
    this.seq = Math.max(this.seq, doc.seq);
  }

  private scheduleSnapshot(): void {
    if (this.disposed) return;
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      // Serializing a large index takes a while: in idle time where the browser has it.
      const idle = (globalThis as { requestIdleCallback?: (run: () => void, options?: { timeout: number }) => number }).requestIdleCallback;
      if (idle) idle(() => void this.saveSnapshot(SNAPSHOT_MIN_CHANGES), { timeout: 10_000 });
      else void this.saveSnapshot(SNAPSHOT_MIN_CHANGES);
    }, this.options.snapshotDelayMs ?? SNAPSHOT_DELAY_MS);
  }
}
