/**
 * y-webrtc's encryption of signaling payloads and BroadcastChannel messages
 * (y-webrtc/src/crypto.js), re-implemented so that our own provider speaks
 * the same wire format as a stock y-webrtc client in the same room.
 *
 * - Key: PBKDF2-HMAC-SHA-256, {@link KEY_ITERATIONS} iterations, password =
 *   UTF-8(secret), salt = UTF-8(room name) → AES-GCM-256.
 * - Encrypted bytes: lib0 `varString "AES-GCM"`, `varUint8Array iv` (12
 *   random bytes), `varUint8Array ciphertext`.
 * - Signaling payloads: lib0 `writeAny(json)`, encrypted, then base64 (the
 *   `data` of a `publish` frame).
 *
 * Decryption never throws or rejects: anything that does not decrypt with the
 * room's key resolves to null (a foreign, tampered or garbage payload).
 */

import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { fromBase64, toBase64 } from 'lib0/buffer';

/** The only algorithm y-webrtc writes or accepts. */
export const ALGORITHM = 'AES-GCM';
/** y-webrtc's PBKDF2 iteration count. */
export const KEY_ITERATIONS = 100_000;
/** AES-GCM nonce length. */
const IV_BYTES = 12;

const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text);

/** Derives a room's AES-GCM key from the link secret, exactly as y-webrtc's `deriveKey`. */
export async function deriveRoomKey(secret: string, roomName: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', utf8(secret), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: utf8(roomName), iterations: KEY_ITERATIONS, hash: 'SHA-256' },
    material,
    { name: ALGORITHM, length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Encrypts `data` in y-webrtc's envelope. */
export async function encryptBytes(data: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const cipher = await crypto.subtle.encrypt({ name: ALGORITHM, iv }, key, data as Uint8Array<ArrayBuffer>);
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, ALGORITHM);
  encoding.writeVarUint8Array(encoder, iv);
  encoding.writeVarUint8Array(encoder, new Uint8Array(cipher));
  return encoding.toUint8Array(encoder);
}

/** Decrypts y-webrtc's envelope; null for anything that is not one sealed with `key`. */
export async function decryptBytes(data: Uint8Array, key: CryptoKey): Promise<Uint8Array | null> {
  try {
    const decoder = decoding.createDecoder(data);
    if (decoding.readVarString(decoder) !== ALGORITHM) return null;
    const iv = decoding.readVarUint8Array(decoder);
    const cipher = decoding.readVarUint8Array(decoder);
    const plain = await crypto.subtle.decrypt(
      { name: ALGORITHM, iv: iv as Uint8Array<ArrayBuffer> },
      key,
      cipher as Uint8Array<ArrayBuffer>,
    );
    return new Uint8Array(plain);
  } catch {
    return null;
  }
}

/** A signaling payload as the base64 `data` of a `publish` frame (y-webrtc's `encryptJson` + base64). */
export async function sealSignal(payload: unknown, key: CryptoKey): Promise<string> {
  const encoder = encoding.createEncoder();
  encoding.writeAny(encoder, payload as Parameters<typeof encoding.writeAny>[1]);
  return toBase64(await encryptBytes(encoding.toUint8Array(encoder), key));
}

/** The payload inside a `publish` frame's `data`; null when it does not decrypt or decode. */
export async function openSignal(data: string, key: CryptoKey): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(data);
  } catch {
    return null;
  }
  const plain = await decryptBytes(bytes, key);
  if (plain === null) return null;
  try {
    const decoder = decoding.createDecoder(plain);
    const value: unknown = decoding.readAny(decoder);
    return decoding.hasContent(decoder) ? null : value;
  } catch {
    return null;
  }
}
