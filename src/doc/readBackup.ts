/**
 * Reads a backup file (format: backup.ts) one note at a time, so that a file
 * of any number of notes is read in the memory of one note: a version 2 file
 * streams line by line from the Blob; a version 1 file (one JSON document,
 * capped at MAX_BACKUP_FILE_BYTES) is read whole, as it always was, and its
 * notes index is turned into the same per-note entries.
 */
import * as Y from 'yjs';
import {
  BACKUP_VERSION,
  backupEntryOf,
  MAX_BACKUP_FILE_BYTES,
  MAX_BACKUP_LINE_CHARS,
  NOT_A_BACKUP,
  parseBackup,
  parseBackupHeader,
  parseBackupLine,
  type BackupEntry,
  type BackupHeader,
  type BackupNoteLine,
} from './backup';
import { LegacyNotesIndex } from './LegacyNotesIndex';

/** A file that is not a whole, well-formed backup; `message` is for the user. */
export class BackupFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupFileError';
  }
}

export type BackupItem = { kind: 'header'; header: BackupHeader } | { kind: 'note'; note: BackupNoteLine };

class LineTooLong extends Error {}

/**
 * The lines of a text stream, without their line ends (`\n` or `\r\n`); the
 * empty rest after a final newline is not a line. Pieces are joined once per
 * line, so a long line costs its length, not its length squared.
 */
async function* linesOf(stream: ReadableStream<string>, maxChars: number): AsyncGenerator<string> {
  const reader = stream.getReader();
  let pieces: string[] = [];
  let pending = 0;
  const take = (tail: string): string => {
    pieces.push(tail);
    const line = pieces.join('');
    pieces = [];
    pending = 0;
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let start = 0;
      for (let end = value.indexOf('\n'); end !== -1; end = value.indexOf('\n', start)) {
        if (pending + end - start > maxChars) throw new LineTooLong();
        yield take(value.slice(start, end));
        start = end + 1;
      }
      if (start < value.length) {
        pending += value.length - start;
        if (pending > maxChars) throw new LineTooLong();
        pieces.push(value.slice(start));
      }
    }
    if (pending > 0) yield take('');
  } finally {
    // Stops reading the file when the consumer stops early (a cancel, a damaged line).
    await reader.cancel().catch(() => undefined);
  }
}

const fileLines = (file: Blob, maxChars: number) =>
  linesOf(file.stream().pipeThrough(new TextDecoderStream('utf-8', { fatal: true })), maxChars);

/** True when `line` is a JSON object claiming a version 2 file or newer (so its errors are the header's). */
function claimsLineFormat(line: string): boolean {
  try {
    const data: unknown = JSON.parse(line);
    const version = typeof data === 'object' && data !== null ? (data as { version?: unknown }).version : undefined;
    return typeof version === 'number' && version >= BACKUP_VERSION;
  } catch {
    return false;
  }
}

/**
 * The header, then every note with its list entry, in file order. Each note
 * is checked (id, entry fields, a state that decodes) before it is yielded,
 * and the file as a whole (no note twice, as many notes as the header says,
 * the end line present); throws a BackupFileError at the first fault. A
 * consumer that validates the whole file before changing anything reads it
 * twice.
 */
export async function* readBackup(file: Blob): AsyncGenerator<BackupItem> {
  let first: IteratorResult<string> | null;
  const lines = fileLines(file, MAX_BACKUP_LINE_CHARS);
  try {
    first = await lines.next();
  } catch (error) {
    if (!(error instanceof LineTooLong) && !(error instanceof TypeError)) throw error;
    // Too long for a header, or not UTF-8: not version 2.
    first = null;
  }
  const header = first && !first.done ? parseBackupHeader(first.value) : null;
  if (header && !header.ok && first && !first.done && claimsLineFormat(first.value)) {
    await lines.return(undefined);
    throw new BackupFileError(header.error);
  }
  if (!header?.ok || header.line.kind !== 'header') {
    await lines.return(undefined);
    yield* readVersion1(file);
    return;
  }
  const expected = header.line.header.notes;
  yield header.line;
  const seen = new Set<string>();
  let ended = false;
  try {
    for await (const text of lines) {
      if (ended) {
        if (text.trim() === '') continue;
        throw new BackupFileError('This backup file is damaged (text after its end); nothing was restored.');
      }
      const parsed = parseBackupLine(text, seen.size + 1);
      if (!parsed.ok) throw new BackupFileError(parsed.error);
      const { line } = parsed;
      if (line.kind === 'end') {
        if (line.notes !== seen.size || seen.size !== expected) {
          throw new BackupFileError('This backup file is damaged (its note count does not match); nothing was restored.');
        }
        ended = true;
      } else if (line.kind === 'note') {
        if (seen.has(line.note.id)) throw new BackupFileError(`This backup file is damaged (note ${seen.size + 1} appears twice); nothing was restored.`);
        if (seen.size === expected) throw new BackupFileError('This backup file is damaged (more notes than it says); nothing was restored.');
        seen.add(line.note.id);
        yield line;
      } else {
        throw new BackupFileError(`This backup file is damaged (note ${seen.size + 1} is malformed); nothing was restored.`);
      }
    }
  } catch (error) {
    if (error instanceof LineTooLong) throw new BackupFileError(`This backup file is damaged (note ${seen.size + 1} is too large); nothing was restored.`);
    if (error instanceof TypeError) throw new BackupFileError('This backup file is damaged (it is not valid text); nothing was restored.');
    throw error;
  }
  if (!ended) {
    throw new BackupFileError(
      `This backup file is incomplete (it ends after ${seen.size} of its ${expected} notes: it was probably cut short while saving or copying); nothing was restored.`,
    );
  }
}

/** A version 1 file, read whole and checked by parseBackup, as items. */
async function* readVersion1(file: Blob): AsyncGenerator<BackupItem> {
  if (file.size > MAX_BACKUP_FILE_BYTES) throw new BackupFileError('This file is too large to be a Weft backup; nothing was restored.');
  let text: string;
  try {
    text = await file.text();
  } catch {
    throw new BackupFileError(NOT_A_BACKUP);
  }
  const parsed = parseBackup(text);
  if (!parsed.ok) throw new BackupFileError(parsed.error);
  const { backup } = parsed;
  const index = new LegacyNotesIndex(new Y.Doc());
  Y.applyUpdate(index.doc, backup.index);
  const exportedAt = Date.parse(backup.exportedAt);
  yield { kind: 'header', header: { exportedAt: backup.exportedAt, notes: backup.notes.length } };
  try {
    for (const note of backup.notes) {
      const summary = index.get(note.id);
      // A note the file's index does not list (a hand-made file) still comes back, untitled.
      const entry: BackupEntry = summary
        ? backupEntryOf(summary)
        : { secret: '', title: null, derivedTitle: '', createdAt: exportedAt, updatedAt: exportedAt, deletedAt: null, shared: false };
      yield { kind: 'note', note: { id: note.id, state: note.state, entry } };
    }
  } finally {
    index.doc.destroy();
  }
}
