/**
 * The backup file: every note's Yjs state and its entry in the notes list.
 * Yjs states merge, so importing a backup is lossless and idempotent: edits
 * made since on this device are kept, edits in the backup are added, nothing
 * is duplicated.
 *
 * Version 2 (written since issue 21) is JSON Lines, so that it can be
 * written and read one note at a time, whatever the number of notes: a
 * header line, one line per note, an end line that says the file is whole.
 *
 * ```
 * {"format":"weft-backup","version":2,"exportedAt":"2025-01-01T12:00:00.000Z","notes":2}
 * {"id":"<note id>","state":"<base64 Yjs state>","secret":"…","derivedTitle":"…","createdAt":1,"updatedAt":2}
 * {"id":"…","state":"…","secret":"…","title":"Named","derivedTitle":"…","createdAt":1,"updatedAt":2,"deletedAt":3,"shared":true}
 * {"end":"weft-backup","notes":2}
 * ```
 *
 * A note line holds its list entry's fields (`title` only when set
 * explicitly, `deletedAt` only while in the trash, `shared` only when true);
 * the searchable text is not stored, it is derived again from the state.
 *
 * Version 1 (one JSON document; still read) held the whole notes index as one
 * Yjs state beside the notes' states:
 *
 * ```json
 * { "format": "weft-backup", "version": 1, "exportedAt": "2025-01-01T12:00:00.000Z",
 *   "index": "<base64 Yjs state of the index doc>",
 *   "notes": [{ "id": "<note id>", "state": "<base64 Yjs state>" }] }
 * ```
 *
 * Pure: encoding and strict parsing only. The app reads and writes storage
 * and files (src/app/backupFiles.ts, src/doc/readBackup.ts).
 */
import { fromBase64, toBase64 } from 'lib0/buffer';
import * as Y from 'yjs';
import { isNoteId } from './noteId';
import type { NoteSummary } from './noteEntry';

/** The `format` field of every backup file. */
export const BACKUP_FORMAT = 'weft-backup';
/** The file format version this build writes (it reads this one and {@link BACKUP_VERSION_1}). */
export const BACKUP_VERSION = 2;
/** The single-JSON-document format written before issue 21. */
export const BACKUP_VERSION_1 = 1;
/** Largest version 1 backup file read (bytes of text): it is read whole. Checked before reading it. */
export const MAX_BACKUP_FILE_BYTES = 256 * 1024 * 1024;
/** Longest line of a version 2 file (characters): one note's state in base64 and its entry. */
export const MAX_BACKUP_LINE_CHARS = 192 * 1024 * 1024;
/** Most notes a backup may hold. */
export const MAX_BACKUP_NOTES = 100_000;

/** One note in a backup. */
export interface BackupNote {
  readonly id: string;
  /** `Y.encodeStateAsUpdate` of the note's doc. */
  readonly state: Uint8Array;
}

/** A note's entry in the notes list, as a backup carries it (a NoteSummary without its derived fields). */
export interface BackupEntry {
  readonly secret: string;
  /** The explicit title, or null when the title is the first line. */
  readonly title: string | null;
  /** The first line when backed up; only used to name the note in messages. */
  readonly derivedTitle: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly deletedAt: number | null;
  readonly shared: boolean;
}

/** The list entry a backup keeps of a note, from its summary in the notes list. */
export function backupEntryOf(summary: NoteSummary): BackupEntry {
  return {
    secret: summary.secret,
    title: summary.explicitTitle,
    derivedTitle: summary.derivedTitle,
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
    deletedAt: summary.deletedAt,
    shared: summary.shared,
  };
}

/** One note of a version 2 file: its state and list entry. */
export interface BackupNoteLine extends BackupNote {
  readonly entry: BackupEntry;
}

/** The first line of a version 2 file. */
export interface BackupHeader {
  readonly exportedAt: string;
  /** How many note lines follow. */
  readonly notes: number;
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
const HEADER_KEYS = ['format', 'version', 'exportedAt', 'notes'] as const;
const NOTE_LINE_KEYS = ['id', 'state', 'secret', 'title', 'derivedTitle', 'createdAt', 'updatedAt', 'deletedAt', 'shared'] as const;
const END_KEYS = ['end', 'notes'] as const;
/** Longest string field of an entry (titles are capped far below; a secret is 22 characters). */
const MAX_ENTRY_FIELD_CHARS = 1000;
/** Any character that is not a base64 digit (padding is checked apart). */
const NOT_BASE64_DIGIT = /[^A-Za-z0-9+/]/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/**
 * A version 1 file's text. The app writes version 2; this stays so that the
 * reader of version 1 files is tested against files laid out as they were.
 */
export function encodeBackupV1(backup: Backup): string {
  return JSON.stringify({
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION_1,
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

const newerVersion = (version: number) =>
  `This backup was made by a newer version of Weft (format ${version}); update the app to restore it.`;

export const NOT_A_BACKUP = 'This file is not a Weft backup. Choose a file made with “Back up all notes”.';

/** Parses and checks a version 1 backup file's text. Never throws. */
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
  if (data.version > BACKUP_VERSION) return fail(newerVersion(data.version));
  if (data.version !== BACKUP_VERSION_1) return damaged(`unknown format version ${data.version}`);
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

// Version 2: one JSON value per line.

const optional = <T>(value: T | null | false, key: string) => (value === null || value === false ? {} : { [key]: value });

/** The header line of a version 2 file (with its newline). */
export function encodeBackupHeader(header: BackupHeader): string {
  return `${JSON.stringify({ format: BACKUP_FORMAT, version: BACKUP_VERSION, exportedAt: header.exportedAt, notes: header.notes })}\n`;
}

/** A note's line (with its newline). */
export function encodeBackupNote(note: BackupNoteLine): string {
  const { entry } = note;
  return `${JSON.stringify({
    id: note.id,
    state: toBase64(note.state),
    secret: entry.secret,
    ...optional(entry.title, 'title'),
    derivedTitle: entry.derivedTitle,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    ...optional(entry.deletedAt, 'deletedAt'),
    ...optional(entry.shared, 'shared'),
  })}\n`;
}

/** The last line of a version 2 file (with its newline): without it the file was cut short. */
export function encodeBackupEnd(notes: number): string {
  return `${JSON.stringify({ end: BACKUP_FORMAT, notes })}\n`;
}

export type BackupLine =
  | { kind: 'header'; header: BackupHeader }
  | { kind: 'note'; note: BackupNoteLine }
  | { kind: 'end'; notes: number };

export type ParsedLine = { ok: true; line: BackupLine } | { ok: false; error: string };

const damagedFile = (what: string): ParsedLine => ({ ok: false, error: `This backup file is damaged (${what}); nothing was restored.` });
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_BACKUP_NOTES;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isField = (value: unknown): value is string => typeof value === 'string' && value.length <= MAX_ENTRY_FIELD_CHARS;

/**
 * The header line of a version 2 file, or an error. `text` is the file's first
 * line; a version 1 file (one JSON document) is not a header.
 */
export function parseBackupHeader(text: string): ParsedLine {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: NOT_A_BACKUP };
  }
  if (!isRecord(data) || data.format !== BACKUP_FORMAT) return { ok: false, error: NOT_A_BACKUP };
  if (typeof data.version === 'number' && data.version > BACKUP_VERSION) return { ok: false, error: newerVersion(data.version) };
  if (data.version !== BACKUP_VERSION || !hasOnlyKeys(data, HEADER_KEYS)) return damagedFile('the first line is not a header');
  if (typeof data.exportedAt !== 'string' || !ISO_DATE.test(data.exportedAt) || Number.isNaN(Date.parse(data.exportedAt))) {
    return damagedFile('no valid export time');
  }
  if (!isCount(data.notes)) return damagedFile('no valid note count');
  return { ok: true, line: { kind: 'header', header: { exportedAt: data.exportedAt, notes: data.notes } } };
}

/**
 * A line after the header: a note or the end line. `position` (1-based note
 * number) names the line in messages. Decodes the note's state in full, so a
 * line that parses can be applied.
 */
export function parseBackupLine(text: string, position: number): ParsedLine {
  const bad = (what: string) => damagedFile(`note ${position} ${what}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return bad('is not readable');
  }
  if (!isRecord(data)) return bad('is malformed');
  if ('end' in data) {
    if (data.end !== BACKUP_FORMAT || !hasOnlyKeys(data, END_KEYS) || !isCount(data.notes)) return damagedFile('a malformed end line');
    return { ok: true, line: { kind: 'end', notes: data.notes } };
  }
  if (!hasOnlyKeys(data, NOTE_LINE_KEYS)) return bad('is malformed');
  if (typeof data.id !== 'string' || !isNoteId(data.id)) return bad('has an invalid id');
  if (!isField(data.secret)) return bad('has no share secret');
  if (data.title !== undefined && !isField(data.title)) return bad('has an invalid title');
  if (!isField(data.derivedTitle)) return bad('has an invalid title');
  if (!isTime(data.createdAt) || !isTime(data.updatedAt)) return bad('has invalid times');
  if (data.deletedAt !== undefined && !isTime(data.deletedAt)) return bad('has an invalid deletion time');
  if (data.shared !== undefined && data.shared !== true) return bad('is malformed');
  const state = decodeState(data.state);
  if (state === null) return bad('is unreadable');
  const entry: BackupEntry = {
    secret: data.secret,
    title: typeof data.title === 'string' ? data.title : null,
    derivedTitle: data.derivedTitle,
    createdAt: data.createdAt,
    updatedAt: data.updatedAt,
    deletedAt: typeof data.deletedAt === 'number' ? data.deletedAt : null,
    shared: data.shared === true,
  };
  return { ok: true, line: { kind: 'note', note: { id: data.id, state, entry } } };
}
