/**
 * Backup files of many notes, built without the app (unit tests, end-to-end
 * tests and benchmarks restore them): note `n` of seed `seed` is always the
 * same text, id, secret and entry, so a test can rebuild any note to compare.
 * Notes are in the V2 layout the editor writes (the seed paragraph holds the
 * first line, one paragraph per further line); every 10th is in the trash,
 * every 7th has an explicit title, every 13th came from a share link.
 */
import * as Y from 'yjs';
import { encodeBackupEnd, encodeBackupHeader, encodeBackupNote, type BackupNoteLine } from '../src/doc/backup';
import { NOTE_ID_BYTES, SHARE_SECRET_BYTES, toBase64Url } from '../src/doc/noteId';
import { NOTE_ROOT_NAME } from '../src/doc/noteSchema';
import { applySeed } from '../src/doc/seed';
import { mulberry32, randomBytes } from './prng';

const WORDS = 'the of and to in is that it was for on are with as his they be at one have this from or had by word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find'.split(' ');

/** Time of the newest fixture note; note `n` was last edited `n` minutes before. */
export const FIXTURE_EPOCH = Date.parse('2026-01-01T00:00:00.000Z');

export interface FixtureOptions {
  /** Seed of every random choice (print it in the test). */
  readonly seed: number;
  /** Characters of text per note (about). Default 5,000. */
  readonly chars?: number;
  /**
   * Real prose to cut the notes' text from (the bench passes the editing traces' texts):
   * each note is a run of whole lines from a seeded place in it. Default: random words.
   */
  readonly corpus?: string;
}

const mix = (seed: number, n: number, salt: number) => (seed ^ Math.imul(n + 1, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0;

/** The lines of note `n`: a first line naming it, then paragraphs of words up to about `chars` characters. */
export function fixtureLines(n: number, options: FixtureOptions): string[] {
  const random = mulberry32(mix(options.seed, n, 1));
  const word = () => WORDS[Math.floor(random() * WORDS.length)]!;
  const lines = [`Note ${n + 1}: ${word()} ${word()} ${word()}`];
  let chars = lines[0]!.length;
  const target = options.chars ?? 5_000;
  const corpus = options.corpus;
  if (corpus) {
    let at = corpus.indexOf('\n', Math.floor(random() * corpus.length)) + 1;
    while (chars < target) {
      if (at <= 0 || at >= corpus.length) at = 0;
      const end = corpus.indexOf('\n', at);
      const line = corpus.slice(at, end < 0 ? corpus.length : end).trim();
      at = end < 0 ? 0 : end + 1;
      if (line === '') continue;
      lines.push(line);
      chars += line.length;
    }
    return lines;
  }
  while (chars < target) {
    const words: string[] = [];
    const length = 20 + Math.floor(random() * 80);
    for (let i = 0; i < length; i++) words.push(word());
    const line = words.join(' ');
    lines.push(line);
    chars += line.length;
  }
  return lines;
}

/** The Yjs state of a note holding `lines`, one paragraph each, written by client `clientId`. */
export function noteStateOf(lines: readonly string[], clientId: number): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  applySeed(doc);
  const root = doc.get(NOTE_ROOT_NAME, Y.XmlElement);
  doc.transact(() => {
    lines.forEach((line, i) => {
      const paragraph = i === 0 ? (root.get(0) as Y.XmlElement) : new Y.XmlElement('paragraph');
      if (i > 0) root.push([paragraph]);
      const text = new Y.XmlText();
      paragraph.push([text]);
      text.insert(0, line);
    });
  });
  const state = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return state;
}

/** Note `n` of the fixture, as its backup line holds it. */
export function fixtureNote(n: number, options: FixtureOptions): BackupNoteLine {
  const lines = fixtureLines(n, options);
  const updatedAt = FIXTURE_EPOCH - n * 60_000;
  return {
    id: toBase64Url(randomBytes(NOTE_ID_BYTES, mix(options.seed, n, 2))),
    state: noteStateOf(lines, 1_000 + n),
    entry: {
      secret: toBase64Url(randomBytes(SHARE_SECRET_BYTES, mix(options.seed, n, 3))),
      title: n % 7 === 3 ? `Named note ${n + 1}` : null,
      derivedTitle: lines[0]!,
      createdAt: updatedAt - 86_400_000,
      updatedAt,
      deletedAt: n % 10 === 9 ? updatedAt + 1_000 : null,
      shared: n % 13 === 5,
    },
  };
}

/**
 * A version 2 backup file of `count` fixture notes, newest first (the order
 * Weft writes), built a few megabytes at a time like the app builds its own.
 */
export function fixtureBackup(count: number, options: FixtureOptions): Blob {
  const parts: Blob[] = [];
  let pending = [encodeBackupHeader({ exportedAt: new Date(FIXTURE_EPOCH).toISOString(), notes: count })];
  let chars = 0;
  for (let n = 0; n < count; n++) {
    const line = encodeBackupNote(fixtureNote(n, options));
    pending.push(line);
    chars += line.length;
    if (chars > 4 * 1024 * 1024) {
      parts.push(new Blob(pending));
      pending = [];
      chars = 0;
    }
  }
  pending.push(encodeBackupEnd(count));
  parts.push(new Blob(pending));
  return new Blob(parts);
}
