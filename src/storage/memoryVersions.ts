/**
 * In-memory VersionStore: the IndexedDB adapter's semantics in a Map. Used in
 * unit tests and as the app's fallback when IndexedDB is unusable (history
 * then lasts as long as the tab).
 */
import { compareNewestFirst, readVersionAuthors, type NewVersion, type PruneRule, type VersionMeta, type VersionStore } from './VersionStore';

export class MemoryVersionStore implements VersionStore {
  private readonly records = new Map<number, { meta: VersionMeta; state: Uint8Array }>();
  private nextId = 1;

  async save(version: NewVersion): Promise<VersionMeta> {
    await Promise.resolve();
    const meta: VersionMeta = {
      id: this.nextId++,
      noteId: version.noteId,
      at: version.at,
      snapshot: version.snapshot.slice(),
      preview: version.preview,
      reason: version.reason,
      size: version.state.byteLength,
      pinned: false,
      fromElsewhere: version.fromElsewhere === true,
      authors: readVersionAuthors(version.authors),
    };
    // Copies: callers may reuse their buffers; a store never shares memory with them.
    this.records.set(meta.id, { meta, state: version.state.slice() });
    return meta;
  }

  async list(noteId: string): Promise<VersionMeta[]> {
    await Promise.resolve();
    return [...this.records.values()]
      .map((r) => r.meta)
      .filter((m) => m.noteId === noteId)
      .sort(compareNewestFirst);
  }

  async load(id: number): Promise<Uint8Array | null> {
    await Promise.resolve();
    return this.records.get(id)?.state.slice() ?? null;
  }

  async deleteNote(noteId: string): Promise<void> {
    await Promise.resolve();
    for (const [id, record] of this.records) if (record.meta.noteId === noteId) this.records.delete(id);
  }

  async prune(noteId: string, rule: PruneRule): Promise<number> {
    const list = await this.list(noteId);
    const own = new Set(list.map((m) => m.id));
    const ids = rule(list);
    // Deletes after a turn, like the IndexedDB adapter's separate transaction:
    // a pin made meanwhile is seen below.
    await Promise.resolve();
    let deleted = 0;
    for (const id of ids) {
      // Only this note's versions, whatever the rule returns, and never a pinned one.
      if (!own.has(id) || this.records.get(id)?.meta.pinned !== false) continue;
      if (this.records.delete(id)) deleted++;
    }
    return deleted;
  }

  async setPinned(id: number, pinned: boolean): Promise<VersionMeta | null> {
    await Promise.resolve();
    const record = this.records.get(id);
    if (!record) return null;
    record.meta = { ...record.meta, pinned };
    return record.meta;
  }
}
