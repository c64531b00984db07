/**
 * Moves an existing device's notes list from the Y.Doc index (the layout
 * before issue 21, stored like a note under `legacyName`) into the
 * NotesIndexStore, once. Crash-safe by construction:
 * - entries are copied in batches, each batch one transaction, and only
 *   where the new store has no entry yet: a run killed half-way is simply
 *   run again on the next start, and every entry ends up there exactly once
 *   (keyed by id), with whatever a finished copy already holds kept;
 * - the marker is written only after the last batch ({@link MIGRATION_COPIED});
 * - the old database is deleted only after that, then the marker says so
 *   ({@link MIGRATION_DONE}); a kill between the two deletes it next time.
 * Every later start reads the marker and nothing else.
 */
import * as Y from 'yjs';
import { LegacyNotesIndex } from '../doc/LegacyNotesIndex';
import { searchTextOf, type IndexRecord } from '../doc/noteEntry';
import type { DocStore } from '../storage/DocStore';
import type { NotesIndexStore } from '../storage/NotesIndexStore';

/** Marker key in the NotesIndexStore. Persisted: never rename. */
export const MIGRATION_MARKER = 'legacy-index-migration';
/** Marker values. */
export const MIGRATION_COPIED = 'copied';
export const MIGRATION_DONE = 'done';
/** Entries copied per transaction. */
export const MIGRATION_BATCH = 200;

export interface MigrationOptions {
  docs: DocStore;
  index: NotesIndexStore;
  /** Storage name of the Y.Doc index. */
  legacyName: string;
}

/** What a run did: null when the migration was already done; else how many entries the old index held. */
export type MigrationResult = { entries: number } | null;

const markerState = (marker: unknown): unknown => (typeof marker === 'object' && marker !== null ? (marker as { state?: unknown }).state : undefined);

export async function migrateLegacyIndex({ docs, index, legacyName }: MigrationOptions): Promise<MigrationResult> {
  const state = markerState(await index.getMarker(MIGRATION_MARKER));
  if (state === MIGRATION_DONE) return null;
  let entries = 0;
  if (state !== MIGRATION_COPIED && !(await docs.mayExist(legacyName))) {
    // No old list (every first visit): opening it would create its database only to delete it.
    await index.setMarker(MIGRATION_MARKER, { state: MIGRATION_DONE, entries });
    return { entries };
  }
  if (state !== MIGRATION_COPIED) {
    entries = await copyEntries(docs, index, legacyName);
    await index.setMarker(MIGRATION_MARKER, { state: MIGRATION_COPIED, entries });
  }
  await docs.remove(legacyName);
  await index.setMarker(MIGRATION_MARKER, { state: MIGRATION_DONE, entries });
  return { entries };
}

async function copyEntries(docs: DocStore, index: NotesIndexStore, legacyName: string): Promise<number> {
  const doc = new Y.Doc();
  const persisted = docs.open(legacyName, doc);
  try {
    await persisted.whenLoaded;
    const legacy = new LegacyNotesIndex(doc);
    const summaries = legacy.list({ includeDeleted: true });
    for (let start = 0; start < summaries.length; start += MIGRATION_BATCH) {
      const batch = summaries.slice(start, start + MIGRATION_BATCH);
      await index.update(
        batch.map((summary) => {
          const record: IndexRecord = {
            id: summary.id,
            secret: summary.secret,
            explicitTitle: summary.explicitTitle,
            derivedTitle: summary.derivedTitle,
            createdAt: summary.createdAt,
            updatedAt: summary.updatedAt,
            deletedAt: summary.deletedAt,
            shared: summary.shared,
          };
          // Only where missing: a batch copied by an earlier, interrupted run stays as it is.
          return { id: summary.id, change: (current) => (current ? undefined : record), text: searchTextOf(legacy.text(summary.id)) };
        }),
        // On disk before the marker, and so before the old list is deleted.
        { durable: true },
      );
    }
    return summaries.length;
  } finally {
    await persisted.destroy().catch(() => undefined);
    doc.destroy();
  }
}
