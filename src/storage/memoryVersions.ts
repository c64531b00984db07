/**
 * In-memory VersionStore: the IndexedDB adapter's semantics in a Map. Used in
 * unit tests and as the app's fallback when IndexedDB is unusable (history
 * then lasts as long as the tab).
 */
import { compareNewestFirst, type NewVersion, type PruneRule, type VersionMeta, type VersionStore } from './VersionStore';

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
    let deleted = 0;
    for (const id of rule(list)) {
      // Only this note's versions, whatever the rule returns.
      if (own.has(id) && this.records.delete(id)) deleted++;
    }
    return deleted;
  }
}
