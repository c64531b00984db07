/**
 * The backup file: every note's Yjs state and the notes index's, in one JSON
 * document. Yjs states merge, so importing a backup is lossless and
 * idempotent: edits made since on this device are kept, edits in the backup
 * are added, nothing is duplicated.
 *
 * ```json
 * { "format": "weft-backup", "version": 1, "exportedAt": "2025-01-01T12:00:00.000Z",
 *   "index": "<base64 Yjs state of the index doc>",
 *   "notes": [{ "id": "<note id>", "state": "<base64 Yjs state>" }] }
 * ```
 *
 * Pure: encoding and strict parsing only. The app reads and writes storage
 * (src/app/backupFiles.ts). A file that fails any check is rejected whole,
 * with a message for the user, before anything is changed.
 */
import { fromBase64, toBase64 } from 'lib0/buffer';
import * as Y from 'yjs';
import { isNoteId } from './noteId';

/** The `format` field of every backup file. */
export const BACKUP_FORMAT = 'weft-backup';
/** The file format version this build writes and reads. */
export const BACKUP_VERSION = 1;
/** Largest backup file read (bytes of text); checked before reading the file. */
export const MAX_BACKUP_FILE_BYTES = 256 * 1024 * 1024;
/** Most notes a backup may hold. */
export const MAX_BACKUP_NOTES = 100_000;

/** One note in a backup. */
export interface BackupNote {
  readonly id: string;
  /** `Y.encodeStateAsUpdate` of the note's doc. */
  readonly state: Uint8Array;
}

/** A backup, decoded. */
export interface Backup {
  /** ISO 8601 time of the export. */
  readonly exportedAt: string;
  /** `Y.encodeStateAsUpdate` of the notes index doc. */
  readonly index: Uint8Array;
  readonly notes: readonly BackupNote[];
}

export type ParsedBackup = { ok: true; backup: Backup } | { ok: false; error: string };

const TOP_LEVEL_KEYS = ['format', 'version', 'exportedAt', 'index', 'notes'] as const;
const NOTE_KEYS = ['id', 'state'] as const;
/** Any character that is not a base64 digit (padding is checked apart). */
const NOT_BASE64_DIGIT = /[^A-Za-z0-9+/]/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** The backup file's text. */
export function encodeBackup(backup: Backup): string {
  return JSON.stringify({
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    exportedAt: backup.exportedAt,
    index: toBase64(backup.index),
    notes: backup.notes.map((note) => ({ id: note.id, state: toBase64(note.state) })),
  });
}

/**
 * True for padded base64. Fields run to tens of megabytes (the index of a
 * thousand notes holds 4 MB of text), so the check is a search for one
 * offending character: a pattern with a repeated group, such as
 * `^(?:[A-Za-z0-9+/]{4})*…$`, makes V8's backtracking regex engine keep a
 * stack entry per repetition and throw "Maximum call stack size exceeded"
 * on a few megabytes (issue 21).
 */
export function isBase64(value: string): boolean {
  if (value.length % 4 !== 0) return false;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return !NOT_BASE64_DIGIT.test(padding === 0 ? value : value.slice(0, value.length - padding));
}

/** Base64 of a Yjs update that decodes, or null. */
function decodeState(value: unknown): Uint8Array | null {
  if (typeof value !== 'string' || !isBase64(value)) return null;
  try {
    const bytes = fromBase64(value);
    // Reads every struct and the delete set: what applying would trip over.
    Y.decodeUpdate(bytes);
    return bytes;
  } catch {
    return null;
  }
}

function hasOnlyKeys(value: object, keys: readonly string[]): boolean {
  return Object.keys(value).every((key) => keys.includes(key));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const NOT_A_BACKUP = 'This file is not a Weft backup. Choose a file made with “Back up all notes”.';

/** Parses and checks a backup file's text. Never throws. */
export function parseBackup(text: string): ParsedBackup {
  const fail = (error: string): ParsedBackup => ({ ok: false, error });
  const damaged = (what: string) => fail(`This backup file is damaged (${what}); nothing was restored.`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail(NOT_A_BACKUP);
  }
  if (!isRecord(data) || data.format !== BACKUP_FORMAT) return fail(NOT_A_BACKUP);
  if (typeof data.version !== 'number' || !Number.isInteger(data.version)) return damaged('no format version');
  if (data.version > BACKUP_VERSION) {
    return fail(`This backup was made by a newer version of Weft (format ${data.version}); update the app to restore it.`);
  }
  if (data.version !== BACKUP_VERSION) return damaged(`unknown format version ${data.version}`);
  if (!hasOnlyKeys(data, TOP_LEVEL_KEYS)) return damaged('unexpected fields');
  if (typeof data.exportedAt !== 'string' || !ISO_DATE.test(data.exportedAt) || Number.isNaN(Date.parse(data.exportedAt))) {
    return damaged('no valid export time');
  }
  const index = decodeState(data.index);
  if (index === null) return damaged('the notes list is unreadable');
  if (!Array.isArray(data.notes)) return damaged('no notes');
  if (data.notes.length > MAX_BACKUP_NOTES) return damaged(`more than ${MAX_BACKUP_NOTES} notes`);
  const notes: BackupNote[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of (data.notes as unknown[]).entries()) {
    if (!isRecord(entry) || !hasOnlyKeys(entry, NOTE_KEYS)) return damaged(`note ${i + 1} is malformed`);
    if (typeof entry.id !== 'string' || !isNoteId(entry.id)) return damaged(`note ${i + 1} has an invalid id`);
    if (seen.has(entry.id)) return damaged(`note ${i + 1} appears twice`);
    seen.add(entry.id);
    const state = decodeState(entry.state);
    if (state === null) return damaged(`note ${i + 1} is unreadable`);
    notes.push({ id: entry.id, state });
  }
  return { ok: true, backup: { exportedAt: data.exportedAt, index, notes } };
}
