/**
 * Making and restoring the full backup (format: src/doc/backup.ts). Both go
 * one note at a time, so their memory is that of one note whatever the
 * number of notes: a backup is built as a Blob from parts (the browser keeps
 * big Blobs out of the JS heap), a restore streams the file (readBackup.ts).
 * Notes are read from and written to storage through the DocStore, each in a
 * temporary Y.Doc; notes open in an editor right now also get the imported
 * state directly, so the screen shows it at once.
 */
import * as Y from 'yjs';
import { backupEntryOf, encodeBackupEnd, encodeBackupHeader, encodeBackupNote, type BackupNoteLine } from '../doc/backup';
import { MAX_INDEXED_TEXT_CHARS, UNTITLED } from '../doc/noteEntry';
import { noteLeadingText, type LeadingText } from '../doc/noteText';
import { ORIGIN_IMPORT, ORIGIN_REPAIR } from '../doc/origins';
import { BackupFileError, readBackup } from '../doc/readBackup';
import { repairNoteDoc } from '../doc/repairNoteDoc';
import { applyCheckedUpdate } from '../sync/updateFirewall';
import type { DocStore } from '../storage/DocStore';
import type { NotesIndex } from './NotesIndex';
import { withStoredDoc } from './withStoredDoc';

/** What backup and restore need from the app. */
export interface BackupContext {
  store: DocStore;
  index: NotesIndex;
  /** Storage name of a note's doc. */
  docName: (noteId: string) => string;
  /** Docs of the note currently bound to editors in this tab. */
  liveDocs: (noteId: string) => Iterable<Y.Doc>;
  /** Waits until everything typed so far is stored. */
  flush: () => Promise<void>;
  now: () => number;
}

/** How far a backup or restore has got: `done` of `total` notes in the current phase. */
export interface BackupProgress {
  /** `saving`: notes written to the file; `checking`: notes of the file checked; `restoring`: notes restored. */
  readonly phase: 'saving' | 'checking' | 'restoring';
  readonly done: number;
  readonly total: number;
}

/** Controls of a running backup or restore. */
export interface BackupRun {
  /** Aborting stops after the note in hand: a backup rejects with an AbortError, a restore reports what it did. */
  signal?: AbortSignal;
  onProgress?: (progress: BackupProgress) => void;
}

export type RestoreResult =
  | { ok: true; notes: number }
  /** `restored` notes (the first ones of the file) are restored in full; every other note is unchanged. */
  | { ok: false; error: string; restored: number };

/** The MIME type of version 2 backup files (JSON Lines). */
export const BACKUP_MIME_TYPE = 'application/x-ndjson';
/** Text gathered before it is handed to a Blob part (characters): bounds the heap a backup uses. */
const BLOB_PART_CHARS = 4 * 1024 * 1024;
/** Progress reports per phase, at most (a report per note of 10,000 would only redraw the bar). */
const PROGRESS_STEPS = 200;

const count = (n: number) => n.toLocaleString('en-US');
const notes = (n: number) => `${count(n)} ${n === 1 ? 'note' : 'notes'}`;

/** Calls `onProgress` for the first and last note and every 1/PROGRESS_STEPS of the way between. */
function progressReporter(run: BackupRun, phase: BackupProgress['phase'], total: number): (done: number) => void {
  const step = Math.max(1, Math.floor(total / PROGRESS_STEPS));
  return (done) => {
    if (done === 0 || done === total || done % step === 0) run.onProgress?.({ phase, done, total });
  };
}

/**
 * The backup file of every note in the index (trash included), read from
 * storage one note at a time. Rejects with an AbortError when `run.signal`
 * aborts, and with the storage error when a note cannot be read.
 */
export async function createBackup(ctx: BackupContext, run: BackupRun = {}): Promise<Blob> {
  await ctx.flush();
  const entries = await ctx.index.all();
  const report = progressReporter(run, 'saving', entries.length);
  const parts: Blob[] = [];
  let pending: string[] = [encodeBackupHeader({ exportedAt: new Date(ctx.now()).toISOString(), notes: entries.length })];
  let pendingChars = 0;
  report(0);
  for (const [i, summary] of entries.entries()) {
    run.signal?.throwIfAborted();
    const { id } = summary;
    const stored = await withStoredDoc(ctx.store, ctx.docName(id), (doc) => Y.encodeStateAsUpdate(doc));
    // An open note may hold edits storage refused (disk full): include them too.
    const live = [...ctx.liveDocs(id)].map((doc) => Y.encodeStateAsUpdate(doc));
    const line = encodeBackupNote({
      id,
      state: live.length > 0 ? Y.mergeUpdates([stored, ...live]) : stored,
      entry: backupEntryOf(summary),
    });
    pending.push(line);
    pendingChars += line.length;
    if (pendingChars >= BLOB_PART_CHARS) {
      parts.push(new Blob(pending));
      pending = [];
      pendingChars = 0;
    }
    report(i + 1);
  }
  pending.push(encodeBackupEnd(entries.length));
  parts.push(new Blob(pending));
  return new Blob(parts, { type: BACKUP_MIME_TYPE });
}

const errorDetail = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Merges a backup file into this device, one note at a time: each note's
 * state into its stored doc (and its open editors), then at once its entry
 * into the notes list. The whole file is checked first (read twice, never held
 * whole): a malformed, foreign or truncated file changes nothing. Each note
 * is restored whole or not at all; a cancel or a failure stops before the
 * next note and the result says how many were restored. Importing the same
 * file again changes nothing; newer edits here are kept.
 */
export async function restoreBackup(ctx: BackupContext, file: Blob, run: BackupRun = {}): Promise<RestoreResult> {
  const cancelledEarly = { ok: false, error: 'Restore cancelled; nothing was restored.', restored: 0 } as const;
  let total = 0;
  try {
    let checked = 0;
    let report: (done: number) => void = () => undefined;
    for await (const item of readBackup(file)) {
      if (run.signal?.aborted) return cancelledEarly;
      if (item.kind === 'header') {
        total = item.header.notes;
        report = progressReporter(run, 'checking', total);
        report(0);
      } else {
        report(++checked);
      }
    }
  } catch (error) {
    if (error instanceof BackupFileError) return { ok: false, error: error.message, restored: 0 };
    throw error;
  }

  const report = progressReporter(run, 'restoring', total);
  report(0);
  let restored = 0;
  let failure: { title: string; detail: string } | null = null;
  let cancelled = false;
  try {
    for await (const item of readBackup(file)) {
      if (item.kind !== 'note') continue;
      if (run.signal?.aborted) {
        cancelled = true;
        break;
      }
      try {
        // The note first, then its list entry (one small transaction): the list never shows a
        // note whose text is not stored, and a restore killed in between leaves at most this one
        // note stored but not listed (restoring the same file again lists it).
        const content = await restoreNote(ctx, item.note);
        await ctx.index.importEntry(item.note.id, item.note.entry, content);
      } catch (error) {
        const { entry } = item.note;
        failure = { title: entry.title?.trim() || entry.derivedTitle || UNTITLED, detail: errorDetail(error) };
        break;
      }
      report(++restored);
    }
  } catch (error) {
    // The file changed between the check and now (it was being rewritten).
    failure = { title: `note ${restored + 1}`, detail: errorDetail(error) };
  }
  await ctx.flush();
  if (failure) {
    const rest = total - restored - 1;
    return {
      ok: false,
      restored,
      error:
        `The backup could not be restored completely: ${count(restored)} of ${notes(total)} were restored, each in full; ` +
        `“${failure.title}” could not be (${failure.detail}), so it${rest > 0 ? ` and the ${notes(rest)} after it in the file` : ''} ` +
        `${rest > 0 ? 'were' : 'was'} not changed. Restoring the same file again redoes only what is missing.`,
    };
  }
  if (cancelled) {
    return {
      ok: false,
      restored,
      error:
        `Restore cancelled: ${count(restored)} of ${notes(total)} were restored (the first ${count(restored)} in the file), each in full; ` +
        `the other ${notes(total - restored)} were not changed. Restoring the same file again redoes only what is missing.`,
    };
  }
  return { ok: true, notes: total };
}

/**
 * One note's state, merged into storage in one write (plus the schema
 * repair's, if any), then into open editors. Returns what its list entry
 * needs; the entry is written right after, so the list never shows a note
 * whose text is not stored yet.
 */
async function restoreNote(ctx: BackupContext, note: BackupNoteLine): Promise<LeadingText> {
  // A backup is as untrusted as a peer (it may come from anywhere): the
  // stored copy is repaired to the note schema right away, and open editors
  // only get the state when the firewall accepts it whole (else they get the
  // repaired copy the next time the note is opened).
  const content: LeadingText = await withStoredDoc(ctx.store, ctx.docName(note.id), (doc) => {
    Y.applyUpdate(doc, note.state, ORIGIN_IMPORT);
    repairNoteDoc(doc, ORIGIN_REPAIR);
    return noteLeadingText(doc, MAX_INDEXED_TEXT_CHARS);
  });
  for (const doc of ctx.liveDocs(note.id)) applyCheckedUpdate(doc, note.state, ORIGIN_IMPORT, 'sync');
  return content;
}
