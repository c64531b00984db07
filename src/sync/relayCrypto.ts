/**
 * The relay's keys and blob format, derived once from a share link's secret (the
 * capabilities sketch of DESIGN.md, which the keys issue builds on). Part of the open
 * protocol (README, "Relay"):
 *
 *   s        = the secret's 16 bytes (base64url-decoded)
 *   seed     = HKDF-SHA-256(s, salt = "weft/v2", info = "weft/v2/sign", 32 bytes) → Ed25519 private key
 *   readKey  = HKDF-SHA-256(s, salt = "weft/v2", info = "weft/v2/read", 32 bytes) → AES-256-GCM
 *   P        = the Ed25519 public key of `seed` (32 bytes)
 *   roomId   = base64url(SHA-256("weft/relay-room/v2" ‖ 0x00 ‖ P))          (what the server sees)
 *   blob     = 0x02 ‖ nonce (12 random bytes) ‖ AES-GCM(readKey, nonce, plaintext, aad)
 *   aad      = "weft/relay-blob/v2" ‖ 0x00 ‖ roomId ‖ 0x00 ‖ kind (1 update, 2 snapshot)
 *   plaintext= writer (16 bytes) ‖ counter (uint32 BE) ‖ Yjs update (v1)
 *
 * The AAD binds a blob to its room and kind: moved to another room or served as the
 * other kind it fails to decrypt. The (writer, counter) pair inside is the room-bound
 * nonce a reader uses to refuse a blob served twice (see RelayTransport). Write proofs
 * are Ed25519 signatures by the seed (server/relayProtocol.ts says what they cover).
 */
import { toBase64Url } from '../doc/noteId';
import { fromBase64url } from './shareLink';

export const BLOB_FORMAT = 0x02;
export const NONCE_BYTES = 12;
export const WRITER_BYTES = 16;
const HEADER_BYTES = WRITER_BYTES + 4;
const KDF_SALT = 'weft/v2';
const SIGN_INFO = 'weft/v2/sign';
const READ_INFO = 'weft/v2/read';
const ROOM_DOMAIN = 'weft/relay-room/v2';
const BLOB_DOMAIN = 'weft/relay-blob/v2';
const WRITE_DOMAIN = 'weft/relay-write/v2';
/** PKCS #8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): WebCrypto imports seeds this way. */
const ED25519_PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

export type BlobKind = 'update' | 'snapshot';
const KIND_BYTE: Record<BlobKind, number> = { update: 1, snapshot: 2 };

/** What a relay transport needs to read, write and prove. */
export interface RelayKeys {
  readonly roomId: string;
  /** base64url of the Ed25519 public key (the Weft-Relay-Key header). */
  readonly publicKey: string;
  readonly readKey: CryptoKey;
  readonly signKey: CryptoKey;
}

/** One opened blob. */
export interface OpenedBlob {
  /** base64url of the writer id. */
  readonly writer: string;
  readonly counter: number;
  readonly update: Uint8Array;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

async function hkdf(secret: Uint8Array<ArrayBuffer>, info: string): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: utf8(KDF_SALT), info: utf8(info) }, base, 256);
  return new Uint8Array(bits);
}

/** Derives a note's relay keys from its link secret. Throws on a malformed secret. */
export async function deriveRelayKeys(secret: string): Promise<RelayKeys> {
  const decoded = fromBase64url(secret);
  if (decoded === null || decoded.byteLength < 16) throw new TypeError('deriveRelayKeys: malformed secret');
  const s = new Uint8Array(decoded);
  const seed = await hkdf(s, SIGN_INFO);
  const pkcs8 = concat(new Uint8Array(ED25519_PKCS8_PREFIX), seed);
  // Extractable once, to read the public half from its JWK; the key kept signs only.
  const exportable = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', exportable);
  const signKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  const publicKey = fromBase64url(jwk.x ?? '');
  if (publicKey === null || publicKey.byteLength !== 32) throw new Error('deriveRelayKeys: Ed25519 is not available here');
  const roomHash = await crypto.subtle.digest('SHA-256', concat(utf8(ROOM_DOMAIN), new Uint8Array([0]), publicKey));
  const readKey = await crypto.subtle.importKey('raw', await hkdf(s, READ_INFO), 'AES-GCM', false, ['encrypt', 'decrypt']);
  return { roomId: toBase64Url(new Uint8Array(roomHash)), publicKey: toBase64Url(publicKey), readKey, signKey };
}

const aadOf = (roomId: string, kind: BlobKind) => concat(utf8(BLOB_DOMAIN), new Uint8Array([0]), utf8(roomId), new Uint8Array([0, KIND_BYTE[kind]]));

/** Encrypts an update (or a whole-note snapshot) into a blob for `keys.roomId`. */
export async function sealBlob(keys: RelayKeys, kind: BlobKind, writer: Uint8Array, counter: number, update: Uint8Array): Promise<Uint8Array> {
  if (writer.byteLength !== WRITER_BYTES) throw new RangeError('sealBlob: writer id must be 16 bytes');
  const header = new Uint8Array(HEADER_BYTES);
  header.set(writer);
  new DataView(header.buffer).setUint32(WRITER_BYTES, counter >>> 0);
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: aadOf(keys.roomId, kind) },
    keys.readKey,
    concat(header, update),
  );
  return concat(new Uint8Array([BLOB_FORMAT]), nonce, new Uint8Array(sealed));
}

/** Decrypts a blob; null when it is not a blob of this room and kind (garbage, tampered, moved). */
export async function openBlob(keys: RelayKeys, kind: BlobKind, blob: Uint8Array): Promise<OpenedBlob | null> {
  if (blob.byteLength < 1 + NONCE_BYTES + 16 + HEADER_BYTES || blob[0] !== BLOB_FORMAT) return null;
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: blob.slice(1, 1 + NONCE_BYTES), additionalData: aadOf(keys.roomId, kind) },
        keys.readKey,
        blob.slice(1 + NONCE_BYTES),
      ),
    );
  } catch {
    return null;
  }
  return {
    writer: toBase64Url(plain.subarray(0, WRITER_BYTES)),
    counter: new DataView(plain.buffer, plain.byteOffset).getUint32(WRITER_BYTES),
    update: plain.subarray(HEADER_BYTES),
  };
}

/** The three headers proving a write (see server/relayProtocol.ts for what they cover). */
export async function signWrite(
  keys: RelayKeys,
  method: string,
  pathAndQuery: string,
  body: Uint8Array<ArrayBuffer>,
  now: number,
): Promise<Record<string, string>> {
  const time = String(Math.floor(now));
  const bodyHash = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  const message = concat(utf8(`${WRITE_DOMAIN}\0${method} ${pathAndQuery}\0${time}\0`), bodyHash);
  const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', keys.signKey, message));
  return { 'Weft-Relay-Key': keys.publicKey, 'Weft-Relay-Time': time, 'Weft-Relay-Signature': toBase64Url(signature) };
}
