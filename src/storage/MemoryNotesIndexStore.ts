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
import type { EntryWrite, NotesIndexStore, PageOptions, SearchDoc, SearchSnapshot, WriteResult } from './NotesIndexStore';
import { nextSearchDoc } from './searchDocs';

export class MemoryNotesIndexStore implements NotesIndexStore {
  private readonly entries = new Map<string, IndexRecord>();
  /** Search documents by id (a deleted entry's is `removed`, without text). */
  private readonly docs = new Map<string, SearchDoc>();
  private readonly markers = new Map<string, unknown>();
  private seq = 0;
  private snapshot: SearchSnapshot | undefined;
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
      .filter((record) => matchesSearch(record, this.docs.get(record.id)?.text ?? '', terms))
      .sort(compareRecency);
  }

  async text(id: string): Promise<string> {
    await this.settle();
    return this.docs.get(id)?.text ?? '';
  }

  async getMany(ids: readonly string[]): Promise<Array<{ entry: IndexRecord | undefined; text: string }>> {
    await this.settle();
    return ids.map((id) => ({ entry: this.entries.get(id), text: this.docs.get(id)?.text ?? '' }));
  }

  async changedSince(seq: number, limit: number): Promise<SearchDoc[]> {
    await this.settle();
    return [...this.docs.values()]
      .filter((doc) => doc.seq > seq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }

  async lastChange(): Promise<number> {
    await this.settle();
    return this.seq;
  }

  async searchSnapshot(): Promise<SearchSnapshot | undefined> {
    await this.settle();
    return this.snapshot;
  }

  async saveSearchSnapshot(snapshot: SearchSnapshot): Promise<boolean> {
    await this.settle();
    if (this.snapshot && this.snapshot.format === snapshot.format && this.snapshot.seq > snapshot.seq) return false;
    this.snapshot = snapshot;
    return true;
  }

  /** Replaces the persisted search index's data as stored (tests: a damaged snapshot). */
  damageSearchSnapshot(data: string): void {
    if (this.snapshot) this.snapshot = { ...this.snapshot, data };
  }

  async update(writes: readonly EntryWrite[]): Promise<WriteResult[]> {
    await this.settle();
    // Computed on copies first: a change that throws leaves everything as it was.
    const entries = new Map<string, IndexRecord | null>();
    const docs = new Map<string, SearchDoc | undefined>();
    let seq = this.seq;
    const results = writes.map(({ id, change, text }): WriteResult => {
      const current = entries.has(id) ? (entries.get(id) ?? undefined) : this.entries.get(id);
      const next = change(current);
      const entry = next === undefined ? current : next === null ? undefined : (toIndexRecord({ ...next, id }) ?? undefined);
      let changed = next !== undefined;
      if (next !== undefined) entries.set(id, entry ?? null);
      const previousDoc = docs.has(id) ? docs.get(id) : this.docs.get(id);
      const doc = nextSearchDoc(id, previousDoc, '', current, entry, text, () => ++seq);
      if (doc !== previousDoc) {
        docs.set(id, doc);
        if (entry && text !== undefined && text !== (previousDoc?.text ?? '')) changed = true;
      }
      return { entry, changed };
    });
    for (const [id, entry] of entries) {
      if (entry === null) this.entries.delete(id);
      else this.entries.set(id, entry);
    }
    for (const [id, doc] of docs) if (doc) this.docs.set(id, doc);
    this.seq = seq;
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
