/**
 * In-memory DocStore: the same semantics as the IndexedDB adapter (an update
 * log per name, loaded on open, appended on every update, compacted) without
 * a browser, plus hooks to inject the failures IndexedDB can produce. Used in
 * unit tests and as the app's fallback when IndexedDB is unusable (the notes
 * then live as long as the tab).
 */
import * as Y from 'yjs';
import { ORIGIN_STORAGE } from '../doc/origins';
import { StorageError, type DocStore, type PersistedDoc, type StorageErrorKind } from './DocStore';
import { StorageErrorChannel } from './StorageErrorChannel';
import { coverageOf, isCoveredBy } from './updateCoverage';
import { COMPACT_ABOVE_ROWS, TRIM_AT_ROWS, collectGarbage, isDecodableUpdate } from './updateLog';

/** Failures a test can make opening or writing produce. */
export type InjectableFailure = Exclude<StorageErrorKind, 'corrupt'>;

/** A DocStore that keeps everything in this object; several `open`s of one name share a log. */
export class MemoryStore implements DocStore {
  private readonly logs = new Map<string, unknown[]>();
  private readonly quarantine = new Map<string, unknown[]>();
  private readonly attached = new Map<string, Set<MemoryPersistedDoc>>();
  private openFailure: InjectableFailure | null = null;
  private writeFailure: InjectableFailure | null = null;

  open(name: string, doc: Y.Doc): PersistedDoc {
    return new MemoryPersistedDoc(this, name, doc);
  }

  async mayExist(name: string): Promise<boolean> {
    await Promise.resolve();
    return this.logs.has(name) || this.quarantine.has(name);
  }

  /** Deletes the log; docs still attached to `name` stop saving (as IndexedDB connections closed by a deletion do). */
  async remove(name: string): Promise<void> {
    await Promise.resolve();
    if (this.openFailure === 'unavailable' || this.openFailure === 'blocked') {
      throw new StorageError(this.openFailure, `Could not delete "${name}" (injected ${this.openFailure})`);
    }
    for (const attached of [...(this.attached.get(name) ?? [])]) attached.detachSilently();
    this.logs.delete(name);
    this.quarantine.delete(name);
  }

  // ---- test hooks -------------------------------------------------------

  /** Makes every following `open` (and `remove`) fail with `kind`; null heals. */
  failOpenWith(kind: InjectableFailure | null): void {
    this.openFailure = kind;
  }

  /** Makes every following write fail with `kind` (nothing is stored); null heals. */
  failWritesWith(kind: InjectableFailure | null): void {
    this.writeFailure = kind;
  }

  /** Closes every doc attached to `name` under it, as another tab deleting the database would. */
  closeConnections(name: string): void {
    for (const attached of [...(this.attached.get(name) ?? [])]) attached.closedUnder();
  }

  /**
   * Another tab deletes the log of `name` under the docs attached to it: the
   * rows go, and every attachment is closed under (and re-attaches).
   */
  deleteUnder(name: string): void {
    this.logs.delete(name);
    this.quarantine.delete(name);
    this.closeConnections(name);
  }

  /** How many rows the log of `name` has. */
  rows(name: string): number {
    return this.logs.get(name)?.length ?? 0;
  }

  /** A copy of the stored rows of `name`. */
  updates(name: string): unknown[] {
    return [...(this.logs.get(name) ?? [])];
  }

  /** Appends a raw row (e.g. corrupt bytes) to the log of `name`. */
  putRaw(name: string, row: unknown): void {
    this.log(name).push(row);
  }

  /** Rows set aside as undecodable when `name` was loaded. */
  quarantined(name: string): unknown[] {
    return [...(this.quarantine.get(name) ?? [])];
  }

  // ---- used by MemoryPersistedDoc ---------------------------------------

  /** @internal */
  log(name: string): unknown[] {
    let log = this.logs.get(name);
    if (!log) this.logs.set(name, (log = []));
    return log;
  }

  /** @internal */
  get injectedOpenFailure(): InjectableFailure | null {
    return this.openFailure;
  }

  /** @internal */
  get injectedWriteFailure(): InjectableFailure | null {
    return this.writeFailure;
  }

  /** @internal Moves undecodable rows aside; returns how many. */
  quarantineCorrupt(name: string): number {
    const log = this.log(name);
    const bad = log.filter((row) => !isDecodableUpdate(row));
    if (bad.length === 0) return 0;
    this.logs.set(
      name,
      log.filter((row) => isDecodableUpdate(row)),
    );
    this.quarantine.set(name, [...(this.quarantine.get(name) ?? []), ...bad]);
    return bad.length;
  }

  /** @internal */
  attach(name: string, persisted: MemoryPersistedDoc): void {
    let set = this.attached.get(name);
    if (!set) this.attached.set(name, (set = new Set()));
    set.add(persisted);
  }

  /** @internal */
  detach(name: string, persisted: MemoryPersistedDoc): void {
    this.attached.get(name)?.delete(persisted);
  }
}

/** One doc attached to a MemoryStore log. */
class MemoryPersistedDoc implements PersistedDoc {
  readonly whenLoaded: Promise<void>;
  private readonly errors = new StorageErrorChannel();
  private loaded = false;
  private closed = false;
  /** Set after a failed write: the next write stores the whole doc so the log has no gap. */
  private needsFullState = false;
  private destroyed: Promise<void> | null = null;

  constructor(
    private readonly store: MemoryStore,
    private readonly name: string,
    private readonly doc: Y.Doc,
  ) {
    store.attach(name, this);
    doc.on('update', this.onUpdate);
    doc.on('destroy', this.onDocDestroy);
    this.whenLoaded = this.load();
    // Callers may never await it (a doc destroyed before loading); do not let that be an unhandled rejection.
    this.whenLoaded.catch(() => undefined);
  }

  /** Stored updates are applied with {@link ORIGIN_STORAGE}. */
  get origin(): unknown {
    return ORIGIN_STORAGE;
  }

  onError(listener: (error: StorageError) => void): () => void {
    return this.errors.on(listener);
  }

  /** Memory writes are synchronous: nothing is ever pending. */
  async flush(): Promise<void> {}

  async compact(): Promise<void> {
    await this.whenLoaded;
    if (this.closed) throw new StorageError('closed', `"${this.name}" was closed; cannot compact`);
    this.compactNow();
  }

  destroy(): Promise<void> {
    this.destroyed ??= this.runDestroy();
    return this.destroyed;
  }

  /** The store deleted our log: stop saving without reporting (the app asked for it). */
  detachSilently(): void {
    this.closed = true;
    this.unlisten();
  }

  /**
   * Another "tab" closed the log under us. Like the IndexedDB adapter, re-attach:
   * store the whole doc again and go on saving; report `closed` only when that
   * is impossible (opening or writing is failing).
   */
  closedUnder(): void {
    if (this.closed) return;
    if (this.loaded && this.destroyed === null && !this.store.injectedOpenFailure && !this.store.injectedWriteFailure) {
      this.store.log(this.name).push(Y.encodeStateAsUpdate(this.doc));
      this.needsFullState = false;
      return;
    }
    this.closed = true;
    this.unlisten();
    this.errors.report(new StorageError('closed', `Storage for "${this.name}" was closed by another tab`));
  }

  private async load(): Promise<void> {
    // Asynchronous like IndexedDB, so callers cannot come to rely on a synchronous load.
    await Promise.resolve();
    const failure = this.store.injectedOpenFailure;
    if (failure) throw new StorageError(failure, `Could not open "${this.name}" (injected ${failure})`);
    if (this.closed) throw new StorageError('closed', `"${this.name}" was closed while loading`);
    const corrupt = this.store.quarantineCorrupt(this.name);
    const rows = this.store.log(this.name) as Uint8Array[];
    // Store what the doc held before loading (a seed, edits made before the
    // open) unless the log holds all of it already, as the IndexedDB adapter does.
    const before = Y.encodeStateAsUpdate(this.doc);
    const need = coverageOf(before);
    const have = rows.flatMap((row) => coverageOf(row) ?? []);
    if (need === null || !isCoveredBy(need, have)) rows.push(before);
    this.doc.transact(() => {
      for (const row of rows) Y.applyUpdate(this.doc, row, ORIGIN_STORAGE);
    }, ORIGIN_STORAGE);
    this.loaded = true;
    if (corrupt > 0) {
      this.errors.report(
        new StorageError('corrupt', `${corrupt} stored record(s) of "${this.name}" could not be read and were set aside`),
      );
    }
    if (this.store.rows(this.name) > COMPACT_ABOVE_ROWS) this.tryCompact();
  }

  /** Compaction that only reports failure (the log stays as it was, nothing is lost). */
  private tryCompact(): void {
    try {
      this.compactNow();
    } catch {
      // reported by compactNow
    }
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === ORIGIN_STORAGE || this.closed) return;
    const failure = this.store.injectedWriteFailure;
    if (failure) {
      this.needsFullState = true;
      if (failure === 'closed') {
        this.closedUnder();
        return;
      }
      this.errors.report(new StorageError(failure, `Could not save "${this.name}" (injected ${failure})`));
      return;
    }
    const log = this.store.log(this.name);
    log.push(this.needsFullState ? Y.encodeStateAsUpdate(this.doc) : update);
    this.needsFullState = false;
    this.errors.recovered();
    if (log.length >= TRIM_AT_ROWS) this.tryCompact();
  };

  private readonly onDocDestroy = (): void => {
    void this.destroy();
  };

  /** Rewrites the log as one update: what is stored plus this doc's state (which also heals failed writes). */
  private compactNow(): void {
    const failure = this.store.injectedWriteFailure;
    if (failure) {
      const error = new StorageError(failure, `Could not compact "${this.name}" (injected ${failure})`);
      this.errors.report(error);
      throw error;
    }
    const log = this.store.log(this.name) as Uint8Array[];
    const merged = collectGarbage(Y.mergeUpdates([...log, Y.encodeStateAsUpdate(this.doc)]));
    log.splice(0, log.length, merged);
    this.needsFullState = false;
  }

  private async runDestroy(): Promise<void> {
    await this.whenLoaded.catch(() => undefined);
    // Compact a long log; after failed writes this also stores what they missed.
    if (this.loaded && !this.closed && (this.needsFullState || this.store.rows(this.name) > COMPACT_ABOVE_ROWS)) {
      this.tryCompact();
    }
    this.closed = true;
    this.unlisten();
    this.errors.clear();
  }

  private unlisten(): void {
    this.doc.off('update', this.onUpdate);
    this.doc.off('destroy', this.onDocDestroy);
    this.store.detach(this.name, this);
  }
}
