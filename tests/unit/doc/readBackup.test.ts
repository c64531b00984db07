/** readBackup (src/doc/readBackup.ts): version 2 files line by line, version 1 files whole, every damage refused. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBackupEnd, encodeBackupHeader, encodeBackupNote } from '../../../src/doc/backup';
import { BackupFileError, readBackup, type BackupItem } from '../../../src/doc/readBackup';
import { fixtureBackup, fixtureNote } from '../../backupFixture';

const options = { seed: 7, chars: 300 };
const header = (notes: number) => encodeBackupHeader({ exportedAt: '2026-01-01T00:00:00.000Z', notes });
const note = (n: number) => encodeBackupNote(fixtureNote(n, options));

async function readAll(file: Blob): Promise<BackupItem[]> {
  const items: BackupItem[] = [];
  for await (const item of readBackup(file)) items.push(item);
  return items;
}

async function errorOf(parts: BlobPart[]): Promise<string> {
  try {
    await readAll(new Blob(parts));
  } catch (error) {
    if (error instanceof BackupFileError) return error.message;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('readBackup, version 2', () => {
  it('yields the header, then each note with its entry, in file order', async () => {
    const items = await readAll(fixtureBackup(25, options));
    expect(items[0]).toEqual({ kind: 'header', header: { exportedAt: '2026-01-01T00:00:00.000Z', notes: 25 } });
    expect(items.slice(1)).toEqual(Array.from({ length: 25 }, (_, n) => ({ kind: 'note', note: fixtureNote(n, options) })));
  });

  it('reads lines split across any chunk boundary, and CRLF line ends', async () => {
    const text = header(2) + note(0) + note(1) + encodeBackupEnd(2);
    const crlf = text.replace(/\n/g, '\r\n');
    // One byte per Blob part: every line is split across stream chunks.
    const bytes = new TextEncoder().encode(crlf);
    const items = await readAll(new Blob(Array.from(bytes, (b) => new Uint8Array([b]))));
    expect(items.map((i) => (i.kind === 'note' ? i.note.id : 'header'))).toEqual(['header', fixtureNote(0, options).id, fixtureNote(1, options).id]);
  });

  it('reads a version 2 file as a stream only, never whole', async () => {
    /** A file that refuses to be read whole. */
    class StreamOnly extends Blob {
      override text(): Promise<string> {
        throw new Error('read whole');
      }
      override arrayBuffer(): Promise<ArrayBuffer> {
        throw new Error('read whole');
      }
    }
    const parts = [await fixtureBackup(40, options).arrayBuffer()];
    const items = await readAll(new StreamOnly(parts));
    expect(items).toHaveLength(41);
  });

  const damage: Array<[string, () => BlobPart[], RegExp]> = [
    ['a file cut short (no end line)', () => [header(2), note(0), note(1)], /incomplete \(it ends after 2 of its 2 notes/],
    ['a file cut inside a line', () => [header(2), note(0), note(1).slice(0, 50)], /note 2 is not readable/],
    ['fewer notes than the header says', () => [header(3), note(0), note(1), encodeBackupEnd(2)], /note count does not match/],
    ['more notes than the header says', () => [header(1), note(0), note(1), encodeBackupEnd(2)], /more notes than it says/],
    ['a note twice', () => [header(2), note(0), note(0), encodeBackupEnd(2)], /note 2 appears twice/],
    ['text after the end', () => [header(1), note(0), encodeBackupEnd(1), note(1)], /text after its end/],
    ['a blank line among notes', () => [header(2), note(0), '\n', note(1), encodeBackupEnd(2)], /note 2 is not readable/],
    ['a note with a bad id', () => [header(1), note(0).replace(/"id":"[^"]+"/, '"id":"../x"'), encodeBackupEnd(1)], /note 1 has an invalid id/],
    ['a note with a bad state', () => [header(1), note(0).replace(/"state":"[^"]+"/, '"state":"//79"'), encodeBackupEnd(1)], /note 1 is unreadable/],
    ['a note with an unknown field', () => [header(1), note(0).replace('{', '{"x":1,'), encodeBackupEnd(1)], /note 1 is malformed/],
    ['a note without times', () => [header(1), note(0).replace(/"createdAt":\d+,/, ''), encodeBackupEnd(1)], /note 1 has invalid times/],
    ['a newer format', () => [header(1).replace('"version":2', '"version":3'), note(0), encodeBackupEnd(1)], /newer version of Weft \(format 3\)/],
    ['a version 2 header with extra fields', () => [header(1).replace('{', '{"x":1,'), note(0), encodeBackupEnd(1)], /damaged \(the first line is not a header\)/],
    ['bytes that are not UTF-8', () => [header(1), new Uint8Array([0xff, 0xfe, 0x0a]), encodeBackupEnd(1)], /not valid text/],
    ['another app’s JSON Lines', () => ['{"a":1}\n{"b":2}\n'], /not a Weft backup/],
    ['an empty file', () => [''], /not a Weft backup/],
  ];
  it.each(damage)('refuses %s with a clear message', async (_name, parts, message) => {
    expect(await errorOf(parts())).toMatch(message);
  });
});

describe('readBackup, version 1', () => {
  it('reads a file made by Weft before issue 21, entries from its index', async () => {
    const file = new Blob([readFileSync(new URL('../../fixtures/weft-backup-v1.json', import.meta.url))]);
    const items = await readAll(file);
    expect(items[0]).toEqual({ kind: 'header', header: { exportedAt: '2025-06-01T09:08:00.000Z', notes: 3 } });
    const entries = items.flatMap((i) => (i.kind === 'note' ? [i.note.entry] : []));
    expect(entries.map((e) => [e.title, e.derivedTitle, e.deletedAt !== null])).toEqual([
      [null, 'Old idea', true],
      ['Trip plan', 'Day one: the coast', false],
      [null, 'Groceries', false],
    ]);
    for (const entry of entries) expect(entry.secret).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('still refuses a damaged version 1 file', async () => {
    expect(await errorOf(['{"format":"weft-backup","version":1}'])).toMatch(/damaged/);
  });
});
