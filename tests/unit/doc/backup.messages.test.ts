/**
 * parseBackup names what is damaged, and which note (1-based): the exact messages the user
 * reads. (backup.test.ts checks the kind of each refusal; this file pins the words, written from
 * the mutants StrykerJS found surviving.)
 */
import { toBase64 } from 'lib0/buffer';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BACKUP_FORMAT, BACKUP_VERSION_1, MAX_BACKUP_NOTES, parseBackup } from '../../../src/doc/backup';
import { newNoteId } from '../../../src/doc/noteId';

const update = (text: string) => {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return toBase64(Y.encodeStateAsUpdate(doc));
};
const A = newNoteId();
const B = newNoteId();
const valid = () => ({
  format: BACKUP_FORMAT,
  version: BACKUP_VERSION_1,
  exportedAt: '2025-03-01T10:00:00.000Z',
  index: update('index'),
  notes: [{ id: A, state: update('a') }, { id: B, state: update('b') }],
});
const damaged = (what: string) => `This backup file is damaged (${what}); nothing was restored.`;
const errorOf = (data: unknown): string => {
  const parsed = parseBackup(JSON.stringify(data));
  return parsed.ok ? 'ok' : parsed.error;
};

describe('parseBackup messages', () => {
  it.each([
    ['no version', { ...valid(), version: undefined }, damaged('no format version')],
    ['a fractional version', { ...valid(), version: 0.5 }, damaged('no format version')],
    ['an older version', { ...valid(), version: 0 }, damaged('unknown format version 0')],
    ['an extra field', { ...valid(), extra: 1 }, damaged('unexpected fields')],
    ['no export time', { ...valid(), exportedAt: 'yesterday' }, damaged('no valid export time')],
    ['an unreadable index', { ...valid(), index: 'not base64!' }, damaged('the notes list is unreadable')],
    ['an index that is not a string', { ...valid(), index: 7 }, damaged('the notes list is unreadable')],
    ['no notes array', { ...valid(), notes: 'none' }, damaged('no notes')],
    ['a malformed second note', { ...valid(), notes: [valid().notes[0], { id: B, state: update('b'), x: 1 }] }, damaged('note 2 is malformed')],
    ['a second note that is an array', { ...valid(), notes: [valid().notes[0], [B]] }, damaged('note 2 is malformed')],
    ['a second note with a bad id', { ...valid(), notes: [valid().notes[0], { id: 'x', state: update('b') }] }, damaged('note 2 has an invalid id')],
    ['the first note twice', { ...valid(), notes: [valid().notes[0], valid().notes[0]] }, damaged('note 2 appears twice')],
    ['an unreadable second note', { ...valid(), notes: [valid().notes[0], { id: B, state: 'AAAA!' }] }, damaged('note 2 is unreadable')],
  ])('%s', (_name, data, message) => {
    expect(errorOf(data)).toBe(message);
  });

  it(`accepts ${MAX_BACKUP_NOTES} notes and refuses one more, before reading any`, () => {
    const many = Array.from({ length: MAX_BACKUP_NOTES + 1 }, () => ({}));
    expect(errorOf({ ...valid(), notes: many })).toBe(damaged(`more than ${MAX_BACKUP_NOTES} notes`));
    // Exactly the limit passes the count check and fails on the first (empty) note instead.
    expect(errorOf({ ...valid(), notes: many.slice(1) })).toBe(damaged('note 1 has an invalid id'));
  });
});
