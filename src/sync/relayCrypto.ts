/**
 * The relay's keys and blob format. The keys are derived once with every other key of
 * a note (noteKeys.ts, the capabilities of the keys issue). Part of the open protocol
 * (README, "Relay"):
 *
 *   roomId   = base64url(SHA-256("weft/relay-room/v2" ‖ 0x00 ‖ P))          (what the server sees)
 *   blob     = 0x03 ‖ nonce (12 random bytes) ‖ AES-GCM(readKey, nonce, plaintext, aad)
 *   aad      = "weft/relay-blob/v2" ‖ 0x00 ‖ roomId ‖ 0x00 ‖ kind (1 update, 2 snapshot)
 *   plaintext= writer (16 bytes) ‖ counter (uint32 BE) ‖ signed update (signedUpdate.ts)
 *
 * The AAD binds a blob to its room and kind: moved to another room or served as the
 * other kind it fails to decrypt. The (writer, counter) pair inside is the room-bound
 * nonce a reader uses to refuse a blob served twice (see RelayTransport). The update
 * inside is signed like a peer's (a view-only holder can read blobs, and could make
 * new ones, but cannot sign). Write proofs are Ed25519 signatures by the seed
 * (server/relayProtocol.ts says what they cover). Format 0x02 (unsigned updates,
 * before the keys issue) is refused.
 */
import { toBase64Url } from '../doc/noteId';
import { concat, deriveNoteKeys } from './noteKeys';

export const BLOB_FORMAT = 0x03;
export const NONCE_BYTES = 12;
export const WRITER_BYTES = 16;
const HEADER_BYTES = WRITER_BYTES + 4;
const BLOB_DOMAIN = 'weft/relay-blob/v2';
const WRITE_DOMAIN = 'weft/relay-write/v2';

export type BlobKind = 'update' | 'snapshot';
const KIND_BYTE: Record<BlobKind, number> = { update: 1, snapshot: 2 };

/** What a relay transport needs to read, write and prove. */
export interface RelayKeys {
  readonly roomId: string;
  /** base64url of the Ed25519 public key (the Weft-Relay-Key header). */
  readonly publicKey: string;
  readonly readKey: CryptoKey;
  /** The seed; null for a view-only capability (it reads, never writes). */
  readonly signKey: CryptoKey | null;
}

/** One opened blob. */
export interface OpenedBlob {
  /** base64url of the writer id. */
  readonly writer: string;
  readonly counter: number;
  /** The signed update (signedUpdate.ts), not yet verified. */
  readonly signed: Uint8Array;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** A note's relay keys from its capability (noteKeys.ts; they do not depend on the note id). Throws on a malformed one. */
export async function deriveRelayKeys(capability: string): Promise<RelayKeys> {
  return (await deriveNoteKeys('', capability)).relay;
}

const aadOf = (roomId: string, kind: BlobKind) => concat(utf8(BLOB_DOMAIN), new Uint8Array([0]), utf8(roomId), new Uint8Array([0, KIND_BYTE[kind]]));

/** Encrypts a signed update (or a signed whole-note snapshot) into a blob for `keys.roomId`. */
export async function sealBlob(keys: RelayKeys, kind: BlobKind, writer: Uint8Array, counter: number, signed: Uint8Array): Promise<Uint8Array> {
  if (writer.byteLength !== WRITER_BYTES) throw new RangeError('sealBlob: writer id must be 16 bytes');
  const header = new Uint8Array(HEADER_BYTES);
  header.set(writer);
  new DataView(header.buffer).setUint32(WRITER_BYTES, counter >>> 0);
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: aadOf(keys.roomId, kind) },
    keys.readKey,
    concat(header, signed),
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
    signed: plain.subarray(HEADER_BYTES),
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
  if (keys.signKey === null) throw new TypeError('signWrite: a view-only capability cannot write');
  const time = String(Math.floor(now));
  const bodyHash = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  const message = concat(utf8(`${WRITE_DOMAIN}\0${method} ${pathAndQuery}\0${time}\0`), bodyHash);
  const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', keys.signKey, message));
  return { 'Weft-Relay-Key': keys.publicKey, 'Weft-Relay-Time': time, 'Weft-Relay-Signature': toBase64Url(signature) };
}
