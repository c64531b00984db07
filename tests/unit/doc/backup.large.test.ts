/**
 * Issue 21: a version 1 backup of 1,000 notes of about 5,000 characters
 * (about 14 MB, the index alone holding 4 MB of searchable text) was refused
 * with "Maximum call stack size exceeded": the base64 check was a
 * backtracking regular expression run over the whole index field, and V8's
 * regex engine ran out of stack on a string of a few megabytes. Checks that
 * files of that size, and single fields far larger, are read.
 */
import { toBase64 } from 'lib0/buffer';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BACKUP_FORMAT, encodeBackupV1, isBase64, parseBackup } from '../../../src/doc/backup';
import { newNoteId } from '../../../src/doc/noteId';
import { LegacyNotesIndex as NotesIndex } from '../../../src/doc/LegacyNotesIndex';

const NOTE_CHARS = 5_000;

function noteState(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  const state = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return state;
}

describe('large version 1 backups', () => {
  it('reads a backup of 1,000 notes of 5,000 characters each', () => {
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
    const text = (n: number) => {
      let out = `Note ${n}`;
      for (let w = n; out.length < NOTE_CHARS; w += 3) out += ` ${words[w % words.length]}`;
      return out;
    };
    const index = new NotesIndex(new Y.Doc());
    const notes = [];
    for (let i = 0; i < 1_000; i++) {
      const id = index.create();
      const body = text(i);
      index.updateFromContent(id, { firstLine: body.slice(0, 40), text: body });
      notes.push({ id, state: noteState(body) });
    }
    const file = encodeBackupV1({ exportedAt: '2026-01-01T00:00:00.000Z', index: Y.encodeStateAsUpdate(index.doc), notes });
    expect(file.length).toBeGreaterThan(10_000_000);
    const parsed = parseBackup(file);
    expect(parsed.ok && parsed.backup.notes.length).toBe(1_000);
  });

  it('reads a single state field of 60 MB of base64', () => {
    const big = noteState('x'.repeat(45_000_000));
    const file = JSON.stringify({
      format: BACKUP_FORMAT,
      version: 1,
      exportedAt: '2026-01-01T00:00:00.000Z',
      index: toBase64(big),
      notes: [{ id: newNoteId(), state: toBase64(noteState('small')) }],
    });
    const parsed = parseBackup(file);
    expect(parsed.ok).toBe(true);
  });
});

describe('isBase64', () => {
  it.each([
    ['', true],
    ['QUJD', true],
    ['QUI=', true],
    ['QQ==', true],
    ['QUJ', false],
    ['Q===', false],
    ['QU=D', false],
    ['QUJD\n', false],
    ['QUJ-', false],
  ])('%j → %s', (value, expected) => {
    expect(isBase64(value)).toBe(expected);
  });
});
