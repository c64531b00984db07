/**
 * Random identifiers for notes: the note id (names the note locally and in
 * share links) and the share secret (the key that lets a peer join it).
 *
 * Both come from `crypto.getRandomValues` and are encoded as unpadded
 * base64url, so they are safe in URL fragments, storage names and topics.
 */
import { toBase64UrlEncoded } from 'lib0/buffer';

/** Random bytes in a note id: 128 bits, so ids never collide between devices that never met. */
export const NOTE_ID_BYTES = 16;
/** Random bytes in a share secret: 128 bits, the security of a share link rests on it. */
export const SHARE_SECRET_BYTES = 16;

/** Length in characters of unpadded base64url for `bytes` bytes. */
export function base64UrlLength(bytes: number): number {
  return Math.ceil((bytes * 8) / 6);
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Only base64url characters (any length). */
export const BASE64URL_CHARS = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url of `bytes` (RFC 4648 §5). */
export const toBase64Url = (bytes: Uint8Array): string => toBase64UrlEncoded(bytes);

function randomBase64Url(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return toBase64Url(buffer);
}

/** A fresh note id: {@link NOTE_ID_BYTES} random bytes, base64url (22 characters). */
export function newNoteId(): string {
  return randomBase64Url(NOTE_ID_BYTES);
}

/** A fresh share secret: {@link SHARE_SECRET_BYTES} random bytes, base64url (22 characters). */
export function newShareSecret(): string {
  return randomBase64Url(SHARE_SECRET_BYTES);
}

/**
 * True when `value` is exactly what {@link toBase64Url} produces for `bytes`
 * bytes: the right length, only base64url characters, and no stray bits in the
 * last character (so every value has exactly one spelling).
 */
export function isCanonicalBase64Url(value: string, bytes: number): boolean {
  if (value.length !== base64UrlLength(bytes)) return false;
  if (!BASE64URL_CHARS.test(value)) return false;
  const unusedBits = value.length * 6 - bytes * 8;
  if (unusedBits === 0) return true;
  const last = BASE64URL_ALPHABET.indexOf(value[value.length - 1]!);
  return (last & ((1 << unusedBits) - 1)) === 0;
}

/** True for a well-formed note id (as made by {@link newNoteId}). */
export function isNoteId(value: string): boolean {
  return isCanonicalBase64Url(value, NOTE_ID_BYTES);
}

/** True for a well-formed share secret (as made by {@link newShareSecret}). */
export function isShareSecret(value: string): boolean {
  return isCanonicalBase64Url(value, SHARE_SECRET_BYTES);
}

/** Bytes of a read key and of an Ed25519 public key in a view-only capability. */
export const CAPABILITY_KEY_BYTES = 32;
/** Separates the read key from the public key in a stored view-only capability (not a base64url character). */
const VIEW_SEPARATOR = '.';

/**
 * A view-only capability as a note's entry stores it in place of a share
 * secret: `<readKey>.<publicKey>`, each 32 bytes in canonical base64url
 * (43 characters). It lets a device read and verify a note, never sign.
 */
export function viewCapability(readKey: string, publicKey: string): string {
  return `${readKey}${VIEW_SEPARATOR}${publicKey}`;
}

/** The two keys of a stored view-only capability, or null when `value` is not one. */
export function parseViewCapability(value: string): { readonly readKey: string; readonly publicKey: string } | null {
  const parts = value.split(VIEW_SEPARATOR);
  if (parts.length !== 2) return null;
  const [readKey, publicKey] = parts as [string, string];
  return isCanonicalBase64Url(readKey, CAPABILITY_KEY_BYTES) && isCanonicalBase64Url(publicKey, CAPABILITY_KEY_BYTES) ? { readKey, publicKey } : null;
}

/** True for what a note's entry may hold as its key: an edit secret or a view-only capability. */
export function isNoteCapability(value: string): boolean {
  return isShareSecret(value) || parseViewCapability(value) !== null;
}
