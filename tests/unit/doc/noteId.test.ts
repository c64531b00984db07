/** Note ids and share secrets (src/doc/noteId.ts): fresh ones are canonical, and only canonical spellings pass. */
import { describe, expect, it } from 'vitest';
import { base64UrlLength, isCanonicalBase64Url, isNoteId, isShareSecret, newNoteId, newShareSecret, toBase64Url } from '../../../src/doc/noteId';

describe('note ids and share secrets', () => {
  it('are 22 base64url characters, fresh every time, and pass their own check', () => {
    const ids = [newNoteId(), newNoteId()];
    const secrets = [newShareSecret(), newShareSecret()];
    for (const id of ids) expect(isNoteId(id) && id.length === 22).toBe(true);
    for (const secret of secrets) expect(isShareSecret(secret) && secret.length === 22).toBe(true);
    expect(ids[0]).not.toBe(ids[1]);
    expect(secrets[0]).not.toBe(secrets[1]);
  });

  it('refuse a wrong length or a character outside base64url', () => {
    const id = toBase64Url(new Uint8Array(16));
    expect(isNoteId(id)).toBe(true);
    expect(isNoteId(id.slice(1))).toBe(false);
    expect(isNoteId(id + 'A')).toBe(false);
    expect(isNoteId('A'.repeat(21) + '=')).toBe(false);
    expect(isShareSecret('A'.repeat(20) + '.A')).toBe(false);
  });

  it('refuse stray bits in the last character: every value has one spelling', () => {
    // 16 bytes are 128 bits in 22 characters of 6 bits: the last character carries 4 unused bits.
    expect(isNoteId('A'.repeat(21) + 'A')).toBe(true);
    expect(isNoteId('A'.repeat(21) + 'Q')).toBe(true); // 0b010000: only used bits set
    for (const last of ['B', 'C', 'E', 'I', 'P', '_']) expect(isNoteId('A'.repeat(21) + last), last).toBe(false);
  });

  it('has no unused bits to check when the bytes fill whole characters', () => {
    expect(base64UrlLength(3)).toBe(4);
    expect(isCanonicalBase64Url('____', 3)).toBe(true);
    expect(isCanonicalBase64Url('___', 2)).toBe(false); // 2 bytes: 3 characters, the last with 2 unused bits
    expect(isCanonicalBase64Url('__8', 2)).toBe(true);
  });
});
