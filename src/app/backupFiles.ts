/**
 * Making and restoring the full backup (format: src/doc/backup.ts). Notes are
 * read from and written to storage through the DocStore, each in a temporary
 * Y.Doc; notes open in an editor right now also get the imported state
 * directly, so the screen shows it at once.
 */
import * as Y from 'yjs';
import { encodeBackup, parseBackup, type BackupNote } from '../doc/backup';
import { NotesIndex } from '../doc/notesIndex';
import { ORIGIN_IMPORT, ORIGIN_REPAIR } from '../doc/origins';
import { repairNoteDoc } from '../doc/repairNoteDoc';
import { applyCheckedUpdate } from '../sync/updateFirewall';
import type { DocStore, StorageError } from '../storage/DocStore';

/** What backup and restore need from the app. */
export interface BackupContext {
  store: DocStore;
  indexDoc: Y.Doc;
  index: NotesIndex;
  /** Storage name of a note's doc. */
  docName: (noteId: string) => string;
  /** Docs of the note currently bound to editors in this tab. */
  liveDocs: (noteId: string) => Iterable<Y.Doc>;
  /** Waits until everything typed so far is stored. */
  flush: () => Promise<void>;
  now: () => number;
}

export type RestoreResult = { ok: true; notes: number } | { ok: false; error: string };

/** Opens `name` in a temporary doc, runs `fn` on it once loaded, then detaches and destroys the doc. */
async function withStoredDoc<T>(store: DocStore, name: string, fn: (doc: Y.Doc) => T): Promise<T> {
  const doc = new Y.Doc();
  const persisted = store.open(name, doc);
  const errors: StorageError[] = [];
  const offError = persisted.onError((error) => errors.push(error));
  try {
    await persisted.whenLoaded;
    const result = fn(doc);
    await persisted.flush();
    const failure = errors.find((e) => e.kind !== 'corrupt');
    if (failure) throw failure;
    return result;
  } finally {
    offError();
    await persisted.destroy().catch(() => undefined);
    doc.destroy();
  }
}

/** The backup file's text: every note in the index (trash included), read from storage. */
export async function createBackup(ctx: BackupContext): Promise<string> {
  await ctx.flush();
  const notes: BackupNote[] = [];
  for (const { id } of ctx.index.list({ includeDeleted: true })) {
    const stored = await withStoredDoc(ctx.store, ctx.docName(id), (doc) => Y.encodeStateAsUpdate(doc));
    // An open note may hold edits storage refused (disk full): include them too.
    const live = [...ctx.liveDocs(id)].map((doc) => Y.encodeStateAsUpdate(doc));
    notes.push({ id, state: live.length > 0 ? Y.mergeUpdates([stored, ...live]) : stored });
  }
  return encodeBackup({
    exportedAt: new Date(ctx.now()).toISOString(),
    index: Y.encodeStateAsUpdate(ctx.indexDoc),
    notes,
  });
}

/**
 * Merges a backup file into this device: each note's state into its stored
 * doc (and its open editors), the index state into the live index. Validates
 * the whole file first: a malformed or foreign file changes nothing.
 * Importing the same file again changes nothing; newer edits here are kept.
 */
export async function restoreBackup(ctx: BackupContext, text: string): Promise<RestoreResult> {
  const parsed = parseBackup(text);
  if (!parsed.ok) return parsed;
  const { backup } = parsed;
  try {
    for (const note of backup.notes) {
      // A backup is as untrusted as a peer (it may come from anywhere): the
      // stored copy is repaired to the note schema right away, and open
      // editors only get the state when the firewall accepts it whole (else
      // they get the repaired copy the next time the note is opened).
      await withStoredDoc(ctx.store, ctx.docName(note.id), (doc) => {
        Y.applyUpdate(doc, note.state, ORIGIN_IMPORT);
        repairNoteDoc(doc, ORIGIN_REPAIR);
      });
      for (const doc of ctx.liveDocs(note.id)) applyCheckedUpdate(doc, note.state, ORIGIN_IMPORT, 'sync');
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `The backup could not be restored completely: ${detail}` };
  }
  // The list last, so every note it lists is already stored.
  Y.applyUpdate(ctx.indexDoc, backup.index, ORIGIN_IMPORT);
  // A note deleted for good here is deleted in the merged index too (the
  // deletion is newer than the backup). Restoring a backup means wanting those
  // notes back, so their entries are reinstated from the backup's own index.
  const fromBackup = new NotesIndex(new Y.Doc());
  Y.applyUpdate(fromBackup.doc, backup.index, ORIGIN_IMPORT);
  for (const note of backup.notes) {
    const entry = fromBackup.get(note.id);
    if (entry && !ctx.index.get(note.id)) ctx.index.reinstate(entry);
  }
  fromBackup.doc.destroy();
  return { ok: true, notes: backup.notes.length };
}
