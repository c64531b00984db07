import { describe, expect, it } from 'vitest';
import {
  ENCODED_ID_LENGTH,
  ID_BYTES,
  formatShareLink,
  formatViewLink,
  fromBase64url,
  isShareFragment,
  parseShareFragment,
} from '../../../src/sync/shareLink';
import {
  newNoteId as generateNoteId,
  newShareSecret as generateSecret,
  toBase64Url as toBase64url,
} from '../../../src/doc/noteId';

const ID = 'AAECAwQFBgcICQoLDA0ODw'; // bytes 0..15
const SECRET = '__79_Pv6-fj39vX08_Lx8A'; // bytes 255..240
const KEY = toBase64url(new Uint8Array(32).fill(7)); // a read key (32 bytes)
const PUB = toBase64url(new Uint8Array(32).map((_, i) => i)); // a public key (32 bytes)

describe('base64url', () => {
  it('encodes 16 bytes as 22 canonical characters and round-trips', () => {
    expect(ENCODED_ID_LENGTH).toBe(22);
    const bytes = Uint8Array.from({ length: ID_BYTES }, (_, i) => i);
    expect(toBase64url(bytes)).toBe(ID);
    expect(fromBase64url(ID)).toEqual(bytes);
    expect(toBase64url(Uint8Array.from({ length: 16 }, (_, i) => 255 - i))).toBe(SECRET);
  });

  it('matches Node for every length 0..40', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(toBase64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      expect(fromBase64url(toBase64url(bytes))).toEqual(bytes);
    }
  });

  it('generates ids and secrets of the required shape', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a).not.toBe(b);
    expect(parseShareFragment(`#/share/v1/${generateNoteId()}/${a}`).ok).toBe(true);
  });
});

describe('parseShareFragment', () => {
  it('accepts a valid fragment with or without #', () => {
    expect(parseShareFragment(`#/share/v1/${ID}/${SECRET}`)).toEqual({ ok: true, noteId: ID, secret: SECRET, access: 'edit' });
    expect(parseShareFragment(`/share/v1/${ID}/${SECRET}`)).toEqual({ ok: true, noteId: ID, secret: SECRET, access: 'edit' });
    expect(parseShareFragment(`#/share/v2/${ID}/edit/${SECRET}`)).toEqual({ ok: true, noteId: ID, secret: SECRET, access: 'edit' });
    expect(parseShareFragment(`#/share/v2/${ID}/view/${KEY}/${PUB}`)).toEqual({ ok: true, noteId: ID, secret: `${KEY}.${PUB}`, access: 'view' });
  });

  const invalid: [string, string, string][] = [
    ['', 'not-a-share-link', 'not a Weft share link'],
    ['#', 'not-a-share-link', 'not a Weft share link'],
    ['#/note/abc', 'not-a-share-link', 'not a Weft share link'],
    [`#share/v1/${ID}/${SECRET}`, 'not-a-share-link', 'not a Weft share link'],
    ['#/share/', 'missing-note-id', 'no note id'],
    ['#/share/v1', 'missing-note-id', 'no note id'],
    ['#/share/v1/', 'missing-note-id', 'no note id'],
    [`#/share/v1/${ID}`, 'missing-secret', 'no secret'],
    [`#/share/v1/${ID}/`, 'missing-secret', 'no secret'],
    [`#/share/v9/${ID}/${SECRET}`, 'unsupported-version', 'format v9'],
    [`#/share/x/${ID}/${SECRET}`, 'unsupported-version', 'not in a format'],
    [`#/share/${ID}/${SECRET}`, 'unsupported-version', 'not in a format'],
    [`#/share/v1/${ID}/${SECRET}/`, 'extra-parts', 'extra parts'],
    [`#/share/v1/${ID}/${SECRET}/more`, 'extra-parts', 'extra parts'],
    [`#/share/v1/${ID.slice(0, 21)}/${SECRET}`, 'too-short', 'note id in this link is too short (21 of 22'],
    [`#/share/v1/${ID}/${SECRET.slice(0, 10)}`, 'too-short', 'secret in this link is too short (10 of 22'],
    [`#/share/v1/${ID}A/${SECRET}`, 'too-long', 'note id in this link is too long'],
    [`#/share/v1/${ID}/${SECRET}AAAA`, 'too-long', 'secret in this link is too long'],
    [`#/share/v1/${ID.slice(0, 21)}+/${SECRET}`, 'bad-characters', 'note id in this link contains characters'],
    [`#/share/v1/${ID}/${SECRET.slice(0, 21)}=`, 'bad-characters', 'secret in this link contains characters'],
    [`#/share/v1/${ID}/${SECRET.slice(0, 20)}%2F`, 'bad-characters', 'secret'],
    [`#/share/v1/${ID}/${SECRET.slice(0, 21)} `, 'bad-characters', 'secret'],
    [`#/share/v1/${ID}/${SECRET}?x=1`, 'bad-characters', 'secret'],
    [`#/share/v1/${ID}/${SECRET.slice(0, 21)}B`, 'not-canonical', 'last character'],
    [`#/share/v1/${ID.slice(0, 21)}x/${SECRET}`, 'not-canonical', 'note id'],
    [`#/share/v3/${ID}/edit/${SECRET}`, 'unsupported-version', 'format v3'],
    [`#/share/v2/${ID}/${SECRET}`, 'unknown-access', 'neither an edit link nor a view-only link'],
    [`#/share/v2/${ID}/edit/`, 'missing-secret', 'no secret'],
    [`#/share/v2/${ID}/edit/${SECRET}/x`, 'extra-parts', 'extra parts'],
    [`#/share/v2/${ID}/view/${KEY}`, 'missing-secret', 'lacks its public key'],
    [`#/share/v2/${ID}/view/${KEY}/`, 'missing-secret', 'lacks its public key'],
    [`#/share/v2/${ID}/view/${KEY}/${PUB}/x`, 'extra-parts', 'extra parts'],
    [`#/share/v2/${ID}/view/${KEY.slice(0, 42)}/${PUB}`, 'too-short', 'read key in this link is too short (42 of 43'],
    [`#/share/v2/${ID}/view/${KEY}/${PUB.slice(0, 42)}B`, 'not-canonical', 'public key'],
  ];

  it.each(invalid)('rejects %j as %s', (fragment, code, message) => {
    const result = parseShareFragment(fragment);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(code);
    expect(result.error).toContain(message);
  });

  it('never throws on arbitrary input', () => {
    for (const input of ['#/share/v1/' + '/'.repeat(1000), '#/share/v1/\u0000/\ud800', '#'.repeat(10_000)]) {
      expect(parseShareFragment(input).ok).toBe(false);
    }
  });

  it('tells share links from other routes', () => {
    expect(isShareFragment('#/share/v9/x')).toBe(true);
    expect(isShareFragment('#/note/x')).toBe(false);
  });
});

describe('formatShareLink', () => {
  it('round-trips through URL parsing and the parser', () => {
    const link = formatShareLink('https://weft.example/', ID, SECRET);
    expect(link).toBe(`https://weft.example/#/share/v2/${ID}/edit/${SECRET}`);
    const url = new URL(link);
    expect(url.pathname).toBe('/');
    expect(url.search).toBe('');
    expect(parseShareFragment(url.hash)).toEqual({ ok: true, noteId: ID, secret: SECRET, access: 'edit' });
    const view = formatViewLink('https://weft.example', ID, KEY, PUB);
    expect(view).toBe(`https://weft.example/#/share/v2/${ID}/view/${KEY}/${PUB}`);
    expect(parseShareFragment(new URL(view).hash)).toEqual({ ok: true, noteId: ID, secret: `${KEY}.${PUB}`, access: 'view' });
  });

  it('round-trips random ids and secrets', () => {
    for (let i = 0; i < 200; i++) {
      const noteId = generateNoteId();
      const secret = generateSecret();
      expect(parseShareFragment(new URL(formatShareLink('http://localhost:5173', noteId, secret)).hash)).toEqual({
        ok: true,
        noteId,
        secret,
        access: 'edit',
      });
    }
  });

  it('refuses to format a link its parser would reject', () => {
    expect(() => formatShareLink('https://x', 'short', SECRET)).toThrow(TypeError);
    expect(() => formatShareLink('https://x', ID, `${SECRET}/x`)).toThrow(TypeError);
    expect(() => formatViewLink('https://x', ID, SECRET, PUB)).toThrow(TypeError);
  });
});
