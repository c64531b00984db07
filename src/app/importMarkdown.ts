/**
 * "Import Markdown": one new note per `.md` file, titled from its first
 * heading or else its file name.
 *
 * All or nothing per batch: every file is read, checked and converted before
 * anything is written, so one bad file (not UTF-8, binary, too big) imports
 * nothing and the message names every bad file. Then each note's document is
 * stored whole (one write per note), and only then are all of them listed,
 * in one transaction of the notes list; if any of that fails, the documents
 * already stored are deleted again. So the list never shows a half-written
 * note, nor part of a batch. A page killed between the first document and
 * the listing leaves unlisted documents behind: the batch is journaled
 * (ImportJournal.ts), and the next start removes them.
 */
import * as Y from 'yjs';
import { MAX_INDEXED_TEXT_CHARS, deriveTitle } from '../doc/noteEntry';
import { newNoteId } from '../doc/noteId';
import { noteLeadingText } from '../doc/noteText';
import { ORIGIN_IMPORT } from '../doc/origins';
import { applySeed } from '../doc/seed';
import { markdownToNote, type MarkdownNote } from '../editor/markdownImport';
import type { DocStore } from '../storage/DocStore';
import { MAX_SYNC_UPDATE_BYTES, checkNoteUpdate } from '../sync/updateFirewall';
import type { ImportJournal } from './ImportJournal';
import type { NotesIndex } from './NotesIndex';
import { withStoredDoc } from './withStoredDoc';

/**
 * Largest Markdown file imported (bytes). A long novel is about 1 MB of text,
 * and converting 1 MB takes about a second; but formatting costs the Yjs state
 * far more than the text (a file bold every few words measured 7 times its
 * size), and a note must fit in the 32 MiB a first sync with a peer, or a
 * relay snapshot, may carry. 2 MiB keeps even such a file inside that, and the
 * editor responsive on the note. (The resulting state is checked too.)
 */
export const MAX_MARKDOWN_FILE_BYTES = 2 * 1024 * 1024;
/** Most files per import: all of them are converted and held before any is written. */
export const MAX_MARKDOWN_FILES = 100;
/** Most bytes of files per import, for the same reason (their notes' states are held at once). */
export const MAX_MARKDOWN_BATCH_BYTES = 20 * 1024 * 1024;
/** The file names Import Markdown takes. */
export const MARKDOWN_FILE_PATTERN = /\.(md|markdown)$/i;

/** What an import needs of a file (a DOM `File` is one). */
export interface MarkdownFile {
  readonly name: string;
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** What an import needs from the app. */
export interface MarkdownImportContext {
  store: DocStore;
  index: NotesIndex;
  /** Storage name of a note's doc. */
  docName: (noteId: string) => string;
  now: () => number;
  /** Journals the batch's writes (a killed page's leftovers are removed on the next start). */
  journal: ImportJournal;
}

export type MarkdownImportResult =
  /** The new notes' ids, in the order of the files. */
  | { ok: true; noteIds: string[] }
  /** Nothing was imported; `error` says why, naming the files. */
  | { ok: false; error: string };

/** A file checked and converted, ready to be written. */
interface CheckedNote {
  readonly state: Uint8Array;
  /** The title the file gives the note: its first heading, else its name. */
  readonly title: string;
}

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
const quoted = (name: string) => `“${name}”`;
const errorDetail = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The file name without its `.md` (or `.markdown`) ending. */
export const titleFromFileName = (name: string): string => name.replace(MARKDOWN_FILE_PATTERN, '').trim() || name;

/**
 * The text of a Markdown file, or why it is not one. Strict UTF-8 (a
 * replacement character would silently lose what the file held), and no NUL
 * byte (valid UTF-8 that holds one is binary data, not text). A byte order
 * mark is dropped, line endings become `\n`.
 */
export function decodeMarkdown(bytes: Uint8Array): { ok: true; text: string } | { ok: false; problem: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problem: 'is not UTF-8 text (is it a binary file?)' };
  }
  if (text.includes('\u0000')) return { ok: false, problem: 'holds NUL bytes: it is a binary file, not text' };
  return { ok: true, text: text.replace(/\r\n?/g, '\n') };
}

/** One file checked and converted, or what is wrong with it (a phrase that follows its name). */
async function checkFile(file: MarkdownFile): Promise<CheckedNote | string> {
  if (!MARKDOWN_FILE_PATTERN.test(file.name)) return 'is not a Markdown file (.md)';
  if (file.size > MAX_MARKDOWN_FILE_BYTES) return `is ${megabytes(file.size)}, more than the ${megabytes(MAX_MARKDOWN_FILE_BYTES)} a Markdown file may have`;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (error) {
    return `could not be read (${errorDetail(error)})`;
  }
  // The size a File reports is not a promise about what reading it gives.
  if (bytes.byteLength > MAX_MARKDOWN_FILE_BYTES) return `is more than the ${megabytes(MAX_MARKDOWN_FILE_BYTES)} a Markdown file may have`;
  const decoded = decodeMarkdown(bytes);
  if (!decoded.ok) return decoded.problem;
  let note: MarkdownNote;
  try {
    note = markdownToNote(decoded.text);
  } catch (error) {
    return `could not be converted (${errorDetail(error)})`;
  }
  if (note.state.byteLength > MAX_SYNC_UPDATE_BYTES) return `makes a note too big to share with peers (${megabytes(note.state.byteLength)})`;
  // The note must be one every peer accepts (their firewall checks it whole
  // on the first sync); the editor may have taken something the schema does
  // not, e.g. lists nested deeper than a note may be.
  const seeded = new Y.Doc();
  try {
    applySeed(seeded);
    const verdict = checkNoteUpdate(seeded, note.state, { kind: 'sync' });
    if (!verdict.ok) return `makes a note peers would refuse (${verdict.reason})`;
  } finally {
    seeded.destroy();
  }
  return { state: note.state, title: note.firstHeading ?? titleFromFileName(file.name) };
}

/**
 * Imports `files` as new notes (see the module comment): resolves with their
 * ids, or with the reason nothing was imported.
 */
export async function importMarkdownFiles(ctx: MarkdownImportContext, files: readonly MarkdownFile[]): Promise<MarkdownImportResult> {
  if (files.length === 0) return { ok: false, error: 'No file was chosen, so nothing was imported.' };
  if (files.length > MAX_MARKDOWN_FILES) {
    return { ok: false, error: `Nothing was imported: ${files.length} files were chosen, and at most ${MAX_MARKDOWN_FILES} can be imported at once.` };
  }
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (total > MAX_MARKDOWN_BATCH_BYTES) {
    return { ok: false, error: `Nothing was imported: the files chosen hold ${megabytes(total)}, and at most ${megabytes(MAX_MARKDOWN_BATCH_BYTES)} can be imported at once.` };
  }
  const checked: CheckedNote[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const result = await checkFile(file);
    if (typeof result === 'string') problems.push(`${quoted(file.name)} ${result}`);
    else checked.push(result);
  }
  if (problems.length > 0) return { ok: false, error: `Nothing was imported: ${problems.join('; ')}.` };

  const at = ctx.now();
  const ids = checked.map(() => newNoteId());
  const written: string[] = [];
  try {
    await ctx.journal.run(ids, () => writeNotes(ctx, checked, ids, at, written));
  } catch (error) {
    await Promise.all(written.map((id) => ctx.store.remove(ctx.docName(id)).catch(() => undefined)));
    return { ok: false, error: `Nothing was imported: the notes could not be saved (${errorDetail(error)}).` };
  }
  return { ok: true, noteIds: ids };
}

/** Stores each note's document (recording its id in `written` first), then lists them all in one write. */
async function writeNotes(ctx: MarkdownImportContext, checked: readonly CheckedNote[], ids: readonly string[], at: number, written: string[]): Promise<void> {
  const entries = [];
  for (const [i, note] of checked.entries()) {
    const id = ids[i]!;
    written.push(id);
    const content = await withStoredDoc(ctx.store, ctx.docName(id), (doc) => {
      Y.applyUpdate(doc, note.state, ORIGIN_IMPORT);
      return noteLeadingText(doc, MAX_INDEXED_TEXT_CHARS);
    });
    // When the title is the note's first line anyway, it stays derived, as
    // for any note: it then follows edits of that line.
    const title = deriveTitle(note.title) === deriveTitle(content.firstLine) ? null : note.title;
    // A millisecond apart, so the list (newest first) shows them in the order of the files.
    entries.push({ id, title, firstLine: content.firstLine, text: content.text, at: at - i });
  }
  await ctx.index.createMany(entries);
}
