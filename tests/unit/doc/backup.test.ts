import { toBase64 } from 'lib0/buffer';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BACKUP_FORMAT, BACKUP_VERSION_1, encodeBackupV1, parseBackup } from '../../../src/doc/backup';
import { newNoteId } from '../../../src/doc/noteId';

const update = (text: string) => {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
};
const ID = newNoteId();
const valid = () => ({
  format: BACKUP_FORMAT,
  version: BACKUP_VERSION_1,
  exportedAt: '2025-03-01T10:00:00.000Z',
  index: toBase64(update('index')),
  notes: [{ id: ID, state: toBase64(update('note')) }],
});

describe('backup file format, version 1', () => {
  it('round-trips', () => {
    const backup = { exportedAt: '2025-03-01T10:00:00.000Z', index: update('i'), notes: [{ id: ID, state: update('n') }] };
    const parsed = parseBackup(encodeBackupV1(backup));
    expect(parsed).toEqual({ ok: true, backup });
  });

  const foreign = /not a Weft backup/;
  const damaged = /damaged/;
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', 'PK\u0003\u0004 a zip file', foreign],
    ['empty file', '', foreign],
    ['JSON array', '[]', foreign],
    ['JSON null', 'null', foreign],
    ['another app’s JSON', JSON.stringify({ notes: [] }), foreign],
    ['wrong format name', JSON.stringify({ ...valid(), format: 'weft-backupx' }), foreign],
    ['newer version', JSON.stringify({ ...valid(), version: 3 }), /newer version of Weft/],
    ['version 2 as one document', JSON.stringify({ ...valid(), version: 2 }), damaged],
    ['version 0', JSON.stringify({ ...valid(), version: 0 }), damaged],
    ['version as string', JSON.stringify({ ...valid(), version: '1' }), damaged],
    ['extra field', JSON.stringify({ ...valid(), extra: true }), damaged],
    ['bad export time', JSON.stringify({ ...valid(), exportedAt: 'yesterday' }), damaged],
    ['index not base64', JSON.stringify({ ...valid(), index: 'not base64!' }), damaged],
    ['index not a Yjs update', JSON.stringify({ ...valid(), index: toBase64(new Uint8Array([255, 255, 255, 1, 2])) }), damaged],
    ['notes not an array', JSON.stringify({ ...valid(), notes: {} }), damaged],
    ['note with bad id', JSON.stringify({ ...valid(), notes: [{ id: '../../etc', state: valid().notes[0]!.state }] }), damaged],
    ['note with extra field', JSON.stringify({ ...valid(), notes: [{ ...valid().notes[0], title: 'x' }] }), damaged],
    ['note state truncated', JSON.stringify({ ...valid(), notes: [{ id: ID, state: toBase64(update('note').slice(0, 5)) }] }), damaged],
    ['note state missing', JSON.stringify({ ...valid(), notes: [{ id: ID }] }), damaged],
    ['duplicate note', JSON.stringify({ ...valid(), notes: [valid().notes[0], valid().notes[0]] }), damaged],
  ];
  it.each(cases)('rejects %s with a clear message', (_name, text, message) => {
    const parsed = parseBackup(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });

  it('accepts a backup with no notes', () => {
    expect(parseBackup(JSON.stringify({ ...valid(), notes: [] })).ok).toBe(true);
  });
});
