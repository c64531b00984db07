/**
 * The keys issue's test vectors (tests/fixtures/keys-v2-vectors.json, README "Keys and
 * capabilities"): Weft's derivations, links and signatures must reproduce the file exactly, and
 * the file must be what the README's recipe gives when computed with node:crypto alone
 * (scripts/keyVectors.mjs) — so a third party can check both.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveNoteKeys } from '../../../src/sync/noteKeys';
import { formatShareLink, formatViewLink, parseShareFragment } from '../../../src/sync/shareLink';
import { signedInput } from '../../../src/sync/signedUpdate';
import { viewCapability } from '../../../src/doc/noteId';
import { keyVectors } from '../../../scripts/keyVectors.mjs';
import { fingerprintOf, identityOf, judgeProofTime, PROOF_WINDOW_MS, presenceProofInput, readPresenceProof, verifyPresenceProof } from '../../../src/sync/deviceIdentity';

interface Vector {
  noteId: string;
  secret: string;
  seed: string;
  readKey: string;
  publicKey: string;
  roomId: string;
  relayRoomId: string;
  signalingPassword: string;
  editLink: string;
  viewLink: string;
  v1Link: string;
  update: { yjsUpdate: string; message: string; signedInput: string; signature: string; signed: string };
}

interface DeviceVector {
  deviceSeed: string;
  publicKey: string;
  fingerprint: string;
  presenceV2: { noteId: string; clientId: number; time: number; name: string; proofInput: string; deviceProof: { key: string; time: number; sig: string } };
  /** Version 1 (older Weft): no time. */
  presence: { noteId: string; clientId: number; name: string; proofInput: string; device: { key: string; sig: string } };
}

const file = JSON.parse(readFileSync(new URL('../../fixtures/keys-v2-vectors.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
  devices: DeviceVector[];
};
/** PKCS #8 wrapping of a raw Ed25519 seed (RFC 8410). */
const PKCS8_PREFIX = '302e020100300506032b657004220420';
const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('keys v2 test vectors', () => {
  it('the file is what the README recipe gives with node:crypto alone', () => {
    expect(file).toEqual(keyVectors());
    expect(file.vectors.length).toBeGreaterThanOrEqual(2);
  });

  for (const v of file.vectors) {
    describe(`note ${v.noteId}`, () => {
      it('an edit capability derives every key of the vector', async () => {
        const keys = await deriveNoteKeys(v.noteId, v.secret);
        expect(keys.canWrite).toBe(true);
        expect({ readKey: keys.readKey, publicKey: keys.publicKey, roomId: keys.roomId, relayRoomId: keys.relay.roomId, password: keys.password }).toEqual({
          readKey: v.readKey,
          publicKey: v.publicKey,
          roomId: v.roomId,
          relayRoomId: v.relayRoomId,
          password: v.signalingPassword,
        });
      });

      it('a view-only capability (read key + public key) joins the same rooms and cannot sign', async () => {
        const keys = await deriveNoteKeys(v.noteId, viewCapability(v.readKey, v.publicKey));
        expect(keys.canWrite).toBe(false);
        expect([keys.roomId, keys.relay.roomId, keys.password]).toEqual([v.roomId, v.relayRoomId, v.signalingPassword]);
        expect(await keys.sealUpdate(hex(v.update.message))).toBeNull();
        expect(keys.relay.signKey).toBeNull();
      });

      it('links: v2 edit and view links are formatted and parsed as in the vector; the v1 link is an edit link', () => {
        expect(formatShareLink('https://weft.example', v.noteId, v.secret)).toBe(v.editLink);
        expect(formatViewLink('https://weft.example', v.noteId, v.readKey, v.publicKey)).toBe(v.viewLink);
        expect(parseShareFragment(new URL(v.editLink).hash)).toEqual({ ok: true, noteId: v.noteId, secret: v.secret, access: 'edit' });
        expect(parseShareFragment(new URL(v.v1Link).hash)).toEqual({ ok: true, noteId: v.noteId, secret: v.secret, access: 'edit' });
        expect(parseShareFragment(new URL(v.viewLink).hash)).toEqual({
          ok: true,
          noteId: v.noteId,
          secret: viewCapability(v.readKey, v.publicKey),
          access: 'view',
        });
      });

      it('the signed update is byte for byte the vector (Ed25519 is deterministic) and verifies', async () => {
        const keys = await deriveNoteKeys(v.noteId, v.secret);
        expect(toHex(signedInput(keys.roomId, hex(v.update.message)))).toBe(v.update.signedInput);
        const signed = await keys.sealUpdate(hex(v.update.message));
        expect(toHex(signed!)).toBe(v.update.signed);
        const view = await deriveNoteKeys(v.noteId, viewCapability(v.readKey, v.publicKey));
        expect(toHex((await view.openUpdate(hex(v.update.signed)))!)).toBe(v.update.message);
      });

      it('a flipped bit anywhere, another note, or a missing signature does not verify', async () => {
        const keys = await deriveNoteKeys(v.noteId, v.secret);
        const signed = hex(v.update.signed);
        for (const at of [1, 2, 40, 65, 66, signed.length - 1]) {
          const flipped = signed.slice();
          flipped[at]! ^= 1;
          expect(await keys.openUpdate(flipped), `bit flipped at byte ${at}`).toBeNull();
        }
        expect(await keys.openUpdate(hex(v.update.message))).toBeNull();
        expect(await keys.openUpdate(signed.subarray(0, 66))).toBeNull();
        const other = file.vectors.find((w) => w !== v)!;
        // The same key under another note id (another room id): refused.
        const moved = await deriveNoteKeys(other.noteId, v.secret);
        expect(await moved.openUpdate(signed)).toBeNull();
      });
    });
  }

  for (const d of file.devices) {
    describe(`device ${d.fingerprint}`, () => {
      const pairOf = async (): Promise<CryptoKeyPair> => ({
        privateKey: await crypto.subtle.importKey('pkcs8', new Uint8Array(Buffer.from(PKCS8_PREFIX + d.deviceSeed, 'hex')), { name: 'Ed25519' }, false, ['sign']),
        publicKey: await crypto.subtle.importKey('raw', new Uint8Array(Buffer.from(d.publicKey, 'base64url')), { name: 'Ed25519' }, true, ['verify']),
      });

      it('the fingerprint and the presence proof (v2) are byte for byte the vector, and the proof verifies', async () => {
        const identity = await identityOf(await pairOf());
        expect(identity.publicKey).toBe(d.publicKey);
        expect(identity.fingerprint).toBe(d.fingerprint);
        expect(await fingerprintOf(new Uint8Array(Buffer.from(d.publicKey, 'base64url')))).toBe(d.fingerprint);
        const { noteId, clientId, time, name } = d.presenceV2;
        expect(toHex(presenceProofInput(noteId, clientId, time, name))).toBe(d.presenceV2.proofInput);
        expect(await identity.proveIdentity(noteId, clientId, name, time)).toEqual(d.presenceV2.deviceProof);
        expect(readPresenceProof(d.presenceV2.deviceProof)).toEqual(d.presenceV2.deviceProof);
        expect(await verifyPresenceProof(noteId, clientId, name, d.presenceV2.deviceProof)).toEqual({ key: d.publicKey, fingerprint: d.fingerprint });
        // Believed within the window of its time, either way; not past it, nor when a newer one was accepted.
        expect(judgeProofTime(time, time + PROOF_WINDOW_MS)).toEqual({ fresh: true });
        expect(judgeProofTime(time, time - PROOF_WINDOW_MS)).toEqual({ fresh: true });
        expect(judgeProofTime(time, time + PROOF_WINDOW_MS + 1)).toEqual({ fresh: false, why: 'behind', offsetMs: -PROOF_WINDOW_MS - 1 });
        expect(judgeProofTime(time, time - PROOF_WINDOW_MS - 1)).toEqual({ fresh: false, why: 'ahead', offsetMs: PROOF_WINDOW_MS + 1 });
        expect(judgeProofTime(time, time, time + 1)).toEqual({ fresh: false, why: 'superseded' });
        expect(judgeProofTime(time, time, time)).toEqual({ fresh: true });
      });

      it('the v2 proof does not verify for another note, client id, time or name, another key, or with a flipped bit', async () => {
        const { noteId, clientId, name, deviceProof } = d.presenceV2;
        const other = file.devices.find((e) => e !== d)!;
        expect(await verifyPresenceProof(other.presenceV2.noteId, clientId, name, deviceProof)).toBeNull();
        expect(await verifyPresenceProof(noteId, clientId + 1, name, deviceProof)).toBeNull();
        expect(await verifyPresenceProof(noteId, clientId, `${name} `, deviceProof)).toBeNull();
        expect(await verifyPresenceProof(noteId, clientId, name, { ...deviceProof, time: deviceProof.time + 1 })).toBeNull();
        expect(await verifyPresenceProof(noteId, clientId, name, { ...deviceProof, key: other.publicKey })).toBeNull();
        const sig = Buffer.from(deviceProof.sig, 'base64url');
        sig[10]! ^= 1;
        expect(await verifyPresenceProof(noteId, clientId, name, { ...deviceProof, sig: sig.toString('base64url') })).toBeNull();
      });

      it('the version 1 proof (older Weft) is what it was, and is no v2 proof', async () => {
        const { noteId, clientId, name, proofInput, device } = d.presence;
        const v1 = new TextEncoder().encode(`weft/presence/v1\u0000${noteId}\u0000${clientId}\u0000${name}`);
        expect(toHex(v1)).toBe(proofInput);
        const publicKey = await crypto.subtle.importKey('raw', new Uint8Array(Buffer.from(d.publicKey, 'base64url')), { name: 'Ed25519' }, false, ['verify']);
        expect(await crypto.subtle.verify('Ed25519', publicKey, new Uint8Array(Buffer.from(device.sig, 'base64url')), v1)).toBe(true);
        // No time: not even read as a v2 proof; and its signature under any time is not one.
        expect(readPresenceProof(device)).toBeNull();
        expect(await verifyPresenceProof(noteId, clientId, name, { ...device, time: d.presenceV2.time })).toBeNull();
      });
    });
  }
});
