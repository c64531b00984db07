/**
 * A note's capabilities and every key derived from them, derived once per
 * open (the keys issue, after CryptPad; part of the open protocol, README
 * "Keys and capabilities", vectors in tests/fixtures/keys-v2-vectors.json).
 *
 * An edit capability is the link's secret `s` (16 bytes); a view-only one is
 * the read key and the Ed25519 public key, which is all a view link carries:
 *
 *   seed     = HKDF-SHA-256(s, salt = "weft/v2", info = "weft/v2/sign", 32 bytes)  Ed25519 private key (edit only)
 *   readKey  = HKDF-SHA-256(s, salt = "weft/v2", info = "weft/v2/read", 32 bytes)  (the view link carries it)
 *   P        = the Ed25519 public key of seed                                     (the view link carries it)
 *   roomId   = base64url(SHA-256("weft/room/v2" ‖ 0x00 ‖ noteId ‖ 0x00 ‖ P))      signaling topic, signature binding
 *   password = base64url(HKDF-SHA-256(readKey, salt = "weft/v2", info = "weft/v2/signal", 32 bytes))
 *              the y-webrtc password (signaling and BroadcastChannel encryption, channel proofs)
 *   relay    = relayCrypto.ts's room id (from P) and AES-GCM key (readKey)
 *
 * Everything a reader needs comes from readKey and P, so a view-only holder
 * joins the same rooms; only the seed signs, so only an edit holder writes.
 * Signed updates: signedUpdate.ts.
 */
import { toBase64Url, parseViewCapability, isShareSecret } from '../doc/noteId';
import { fromBase64url } from './shareLink';
import type { RelayKeys } from './relayCrypto';
import { openSignedUpdate, sealSignedUpdate } from './signedUpdate';

export const KDF_SALT = 'weft/v2';
export const SIGN_INFO = 'weft/v2/sign';
export const READ_INFO = 'weft/v2/read';
export const SIGNAL_INFO = 'weft/v2/signal';
export const ROOM_DOMAIN = 'weft/room/v2';
export const RELAY_ROOM_DOMAIN = 'weft/relay-room/v2';
/** PKCS #8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): WebCrypto imports seeds this way. */
const ED25519_PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/** What one note's transports need: its rooms, its keys, and the signing and checking of updates. */
export interface NoteKeys {
  /** True for an edit capability (the seed is known: updates can be signed). */
  readonly canWrite: boolean;
  /** The signaling topic and what every signed update is bound to. */
  readonly roomId: string;
  /** The y-webrtc password of the room. */
  readonly password: string;
  /** base64url of the read key (what a view link carries). */
  readonly readKey: string;
  /** base64url of P (what a view link carries). */
  readonly publicKey: string;
  readonly verifyKey: CryptoKey;
  /** The relay's keys (relayCrypto.ts); `signKey` null for view-only. */
  readonly relay: RelayKeys;
  /**
   * The wire form of a y-webrtc sync message carrying an update (sync step 2
   * or update): signed (signedUpdate.ts). Null for view-only: it cannot sign.
   * A property, not a method, so tests can stand in a forger.
   */
  readonly sealUpdate: (message: Uint8Array) => Promise<Uint8Array | null>;
  /** The sync message inside a signed one, or null when the signature is missing or wrong. Never rejects. */
  readonly openUpdate: (signed: Uint8Array) => Promise<Uint8Array | null>;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
export const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

async function hkdf(ikm: Uint8Array<ArrayBuffer>, info: string): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: utf8(KDF_SALT), info: utf8(info) }, base, 256);
  return new Uint8Array(bits);
}

const sha256 = async (...parts: Uint8Array[]): Promise<string> => toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts))));
const ZERO = new Uint8Array([0]);

const decodeKey = (text: string): Uint8Array<ArrayBuffer> => {
  const bytes = fromBase64url(text);
  if (bytes === null) throw new TypeError('deriveNoteKeys: malformed key');
  return new Uint8Array(bytes);
};

/** The seed's Ed25519 key pair: the private half non-extractable, P as raw bytes. */
async function signingPair(seed: Uint8Array<ArrayBuffer>): Promise<{ signKey: CryptoKey; publicKey: Uint8Array<ArrayBuffer> }> {
  const pkcs8 = concat(new Uint8Array(ED25519_PKCS8_PREFIX), seed);
  // Extractable once, to read the public half from its JWK; the key kept signs only.
  const exportable = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', exportable);
  const signKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  const publicKey = fromBase64url(jwk.x ?? '');
  if (publicKey === null || publicKey.byteLength !== 32) throw new Error('deriveNoteKeys: Ed25519 is not available here');
  return { signKey, publicKey: new Uint8Array(publicKey) };
}

/**
 * Derives note `noteId`'s keys from its capability as a note entry stores it: an
 * edit secret (22 characters) or a view-only `<readKey>.<publicKey>`
 * (noteId.ts). Throws a TypeError on anything else.
 */
export async function deriveNoteKeys(noteId: string, capability: string): Promise<NoteKeys> {
  let signKey: CryptoKey | null = null;
  let readKey: Uint8Array<ArrayBuffer>;
  let publicKey: Uint8Array<ArrayBuffer>;
  if (isShareSecret(capability)) {
    const s = decodeKey(capability);
    const pair = await signingPair(await hkdf(s, SIGN_INFO));
    signKey = pair.signKey;
    publicKey = pair.publicKey;
    readKey = await hkdf(s, READ_INFO);
  } else {
    const view = parseViewCapability(capability);
    if (view === null) throw new TypeError('deriveNoteKeys: malformed capability (neither a share secret nor a view-only capability)');
    readKey = decodeKey(view.readKey);
    publicKey = decodeKey(view.publicKey);
  }
  const [roomId, relayRoomId, password, verifyKey, aesKey] = await Promise.all([
    // The note id too: a signature is bound to one note even if a secret were ever reused.
    sha256(utf8(ROOM_DOMAIN), ZERO, utf8(noteId), ZERO, publicKey),
    sha256(utf8(RELAY_ROOM_DOMAIN), ZERO, publicKey),
    hkdf(readKey, SIGNAL_INFO).then(toBase64Url),
    crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, true, ['verify']),
    crypto.subtle.importKey('raw', readKey, 'AES-GCM', false, ['encrypt', 'decrypt']),
  ]);
  const sign = signKey;
  return {
    canWrite: sign !== null,
    roomId,
    password,
    readKey: toBase64Url(readKey),
    publicKey: toBase64Url(publicKey),
    verifyKey,
    relay: { roomId: relayRoomId, publicKey: toBase64Url(publicKey), readKey: aesKey, signKey: sign },
    sealUpdate: async (message) => (sign === null ? null : sealSignedUpdate(sign, roomId, message)),
    openUpdate: (signed) => openSignedUpdate(verifyKey, roomId, signed),
  };
}
