/**
 * In-memory NotesIndexStore: the IndexedDB adapter's semantics (entries by
 * id, search text apart, one write batch all or nothing) without a browser,
 * plus a hook to make it fail the way IndexedDB can. Used in unit tests and
 * as the app's fallback when IndexedDB is unusable (the list then lives as
 * long as the tab). Several app instances sharing one object model several
 * tabs, or a reload.
 */
import { compareRecency, matchesSearch, toIndexRecord, type IndexRecord } from '../doc/noteEntry';
import { StorageError } from './DocStore';
import type { InjectableFailure } from './memory';
import type { EntryWrite, NotesIndexStore, PageOptions, WriteResult } from './NotesIndexStore';

export class MemoryNotesIndexStore implements NotesIndexStore {
  private readonly entries = new Map<string, IndexRecord>();
  private readonly texts = new Map<string, string>();
  private readonly markers = new Map<string, unknown>();
  private failure: InjectableFailure | null = null;

  async get(id: string): Promise<IndexRecord | undefined> {
    await this.settle();
    return this.entries.get(id);
  }

  async page({ limit, includeDeleted = false }: PageOptions): Promise<IndexRecord[]> {
    await this.settle();
    return this.listed(includeDeleted).sort(compareRecency).slice(0, limit);
  }

  async count({ includeDeleted = false } = {}): Promise<number> {
    await this.settle();
    return this.listed(includeDeleted).length;
  }

  async search(terms: readonly string[], { includeDeleted = false } = {}): Promise<IndexRecord[]> {
    await this.settle();
    return this.listed(includeDeleted)
      .filter((record) => matchesSearch(record, this.texts.get(record.id) ?? '', terms))
      .sort(compareRecency);
  }

  async text(id: string): Promise<string> {
    await this.settle();
    return this.texts.get(id) ?? '';
  }

  async update(writes: readonly EntryWrite[]): Promise<WriteResult[]> {
    await this.settle();
    // Computed on copies first: a change that throws leaves everything as it was.
    const entries = new Map<string, IndexRecord | null>();
    const texts = new Map<string, string>();
    const results = writes.map(({ id, change, text }): WriteResult => {
      const current = entries.has(id) ? (entries.get(id) ?? undefined) : this.entries.get(id);
      const next = change(current);
      const entry = next === undefined ? current : (next ?? undefined);
      let changed = next !== undefined;
      if (next !== undefined) entries.set(id, next === null ? null : (toIndexRecord({ ...next, id }) ?? null));
      if (entry && text !== undefined && (texts.get(id) ?? this.texts.get(id) ?? '') !== text) {
        texts.set(id, text);
        changed = true;
      }
      return { entry, changed };
    });
    for (const [id, entry] of entries) {
      if (entry === null) {
        this.entries.delete(id);
        this.texts.delete(id);
      } else {
        this.entries.set(id, entry);
      }
    }
    for (const [id, text] of texts) if (this.entries.has(id)) this.texts.set(id, text);
    return results;
  }

  async getMarker(key: string): Promise<unknown> {
    await this.settle();
    return this.markers.get(key);
  }

  async setMarker(key: string, value: unknown): Promise<void> {
    await this.settle();
    this.markers.set(key, value);
  }

  close(): void {
    // Nothing to let go of.
  }

  /** Makes every call fail with `kind` until called with null (tests). */
  failWith(kind: InjectableFailure | null): void {
    this.failure = kind;
  }

  /** Asynchronous like IndexedDB, so callers cannot come to rely on synchronous answers. */
  private async settle(): Promise<void> {
    await Promise.resolve();
    if (this.failure) throw new StorageError(this.failure, `The notes list could not be read or written (injected ${this.failure})`);
  }

  private listed(includeDeleted: boolean): IndexRecord[] {
    const result: IndexRecord[] = [];
    for (const record of this.entries.values()) if (includeDeleted || record.deletedAt === null) result.push(record);
    return result;
  }
}
