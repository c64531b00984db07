import { describe, expect, it } from 'vitest';
import { deriveRelayKeys, openBlob, sealBlob, signWrite } from '../../../src/sync/relayCrypto';
import { checkWriteProof, roomIdOf } from '../../../server/relayProtocol.js';
import { fromBase64url } from '../../../src/sync/shareLink';

const SECRET = '__79_Pv6-fj39vX08_Lx8A';
const OTHER_SECRET = 'AAECAwQFBgcICQoLDA0ODw';
const WRITER = new Uint8Array(16).fill(9);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('relay keys and blobs', () => {
  it('derives the same room and keys from the same secret, other ones from another', async () => {
    const a = await deriveRelayKeys(SECRET);
    const b = await deriveRelayKeys(SECRET);
    const c = await deriveRelayKeys(OTHER_SECRET);
    expect(a.roomId).toBe(b.roomId);
    expect(a.roomId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.roomId).not.toBe(a.roomId);
    // The server's own hash of the public key gives the same room id: no first-writer claim.
    expect(roomIdOf(fromBase64url(a.publicKey)!)).toBe(a.roomId);
    // Neither the secret nor the note id appears in what the server sees.
    expect(a.roomId).not.toContain(SECRET);
    expect(a.publicKey).not.toContain(SECRET);
  });

  it('refuses a malformed secret', async () => {
    await expect(deriveRelayKeys('short')).rejects.toThrow(/malformed/);
  });

  it('round-trips a blob, with its writer and counter', async () => {
    const keys = await deriveRelayKeys(SECRET);
    const blob = await sealBlob(keys, 'update', WRITER, 7, utf8('hello'));
    expect(text(blob)).not.toContain('hello');
    const opened = await openBlob(keys, 'update', blob);
    expect(opened && text(opened.signed)).toBe('hello');
    expect(opened?.counter).toBe(7);
    // A fresh nonce per blob: the same plaintext never gives the same bytes.
    expect(await sealBlob(keys, 'update', WRITER, 7, utf8('hello'))).not.toEqual(blob);
  });

  it('a blob moved to another room, served as another kind, tampered with or cut does not open', async () => {
    const keys = await deriveRelayKeys(SECRET);
    const other = await deriveRelayKeys(OTHER_SECRET);
    const blob = await sealBlob(keys, 'update', WRITER, 1, utf8('hello'));
    expect(await openBlob(other, 'update', blob)).toBeNull();
    expect(await openBlob(keys, 'snapshot', blob)).toBeNull();
    const flipped = blob.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(await openBlob(keys, 'update', flipped)).toBeNull();
    expect(await openBlob(keys, 'update', blob.slice(0, 20))).toBeNull();
    expect(await openBlob(keys, 'update', new Uint8Array(0))).toBeNull();
    // Same key, same room, but the room id in the AAD differs: refused.
    expect(await openBlob({ ...keys, roomId: other.roomId }, 'update', blob)).toBeNull();
  });

  it('write proofs made by the client verify on the server, and only for what they signed', async () => {
    const keys = await deriveRelayKeys(SECRET);
    const other = await deriveRelayKeys(OTHER_SECRET);
    const body = utf8('blob bytes');
    const now = 1_800_000_000_000;
    const path = `/relay/v2/${keys.roomId}/blobs`;
    const headers = Object.fromEntries(Object.entries(await signWrite(keys, 'POST', path, body, now)).map(([k, v]) => [k.toLowerCase(), v]));
    expect(checkWriteProof(keys.roomId, 'POST', path, headers, body, now)).toEqual({ ok: true });
    expect(checkWriteProof(keys.roomId, 'POST', path, headers, utf8('other bytes'), now)).toMatchObject({ ok: false, reason: /signature/ });
    expect(checkWriteProof(keys.roomId, 'DELETE', path, headers, body, now)).toMatchObject({ ok: false });
    expect(checkWriteProof(other.roomId, 'POST', path, headers, body, now)).toMatchObject({ ok: false, reason: /room/ });
    expect(checkWriteProof(keys.roomId, 'POST', path, headers, body, now + 11 * 60_000)).toMatchObject({ ok: false, reason: /clock/ });
    expect(checkWriteProof(keys.roomId, 'POST', path, {}, body, now)).toMatchObject({ ok: false, reason: /headers/ });
    // Another room's key signing for this room: the key does not hash to the room.
    const forged = Object.fromEntries(Object.entries(await signWrite(other, 'POST', path, body, now)).map(([k, v]) => [k.toLowerCase(), v]));
    expect(checkWriteProof(keys.roomId, 'POST', path, forged, body, now)).toMatchObject({ ok: false, reason: /room/ });
  });
});
