/**
 * Signed updates: the verify stage of every inbound pipeline (peers, tabs,
 * relay) and the sign stage of every outbound one. Part of the open
 * protocol (README, "Signed updates"):
 *
 *   signed  = 0xF6 ‖ 0x01 ‖ signature (64 bytes) ‖ message
 *   message = a y-webrtc sync message carrying an update: 0x00 ‖ 0x01 (sync step 2) or 0x02 (update) ‖ varUint8Array(Yjs update v1)
 *   signature = Ed25519(seed, "weft/update/v2" ‖ 0x00 ‖ roomId ‖ 0x00 ‖ message)
 *
 * The room id (noteKeys.ts) binds a signature to its note (and to the key
 * generation: a revoked note's new secret is a new room), the message's sync
 * type to its kind (a full-state answer cannot pass as a keystroke).
 *
 * No counter. Yjs updates are idempotent: applying one the doc already holds
 * changes nothing, and a deleted item stays deleted whoever replays its
 * insertion. A replayed signed update can only re-deliver what an editor of
 * this note wrote, which any honest peer forwards anyway; a per-writer
 * counter could not be checked either, since every editor holding the link
 * signs with the same key and sync answers are computed fresh per asker.
 * (The relay keeps its writer/counter pair inside the encryption, to tell a
 * served-twice blob: relayCrypto.ts.)
 *
 * Only messages that carry document content are signed: sync step 1 (a state
 * vector, a question) and presence are not document content and travel as in
 * y-webrtc. An update that arrives unsigned is refused before it is decoded.
 */
import { MESSAGE_SYNC, SYNC_STEP_2, SYNC_UPDATE } from './peerMessage';

/** First byte of a signed message (≥ 0x80: never the start of a y-webrtc message). */
export const SIGNED_MARKER = 0xf6;
export const SIGNED_VERSION = 1;
export const SIGNATURE_BYTES = 64;
export const UPDATE_SIGN_DOMAIN = 'weft/update/v2';
const HEADER_BYTES = 2 + SIGNATURE_BYTES;

/** True when `message` is a y-webrtc sync step 2 or update (judged by its two type bytes, nothing decoded). */
export const carriesUpdate = (message: Uint8Array): boolean =>
  message.byteLength >= 2 && message[0] === MESSAGE_SYNC && (message[1] === SYNC_STEP_2 || message[1] === SYNC_UPDATE);

/** True when `message` starts as a signed message. */
export const isSignedMessage = (message: Uint8Array): boolean => message.byteLength > 0 && message[0] === SIGNED_MARKER;

/** The bytes a signature covers. */
export const signedInput = (roomId: string, message: Uint8Array): Uint8Array<ArrayBuffer> => {
  const head = new TextEncoder().encode(`${UPDATE_SIGN_DOMAIN}\u0000${roomId}\u0000`);
  const out = new Uint8Array(head.byteLength + message.byteLength);
  out.set(head);
  out.set(message, head.byteLength);
  return out;
};

/** Signs a sync message carrying an update. Throws a TypeError for any other message. */
export async function sealSignedUpdate(signKey: CryptoKey, roomId: string, message: Uint8Array): Promise<Uint8Array> {
  if (!carriesUpdate(message)) throw new TypeError('sealSignedUpdate: not a sync step 2 or update message');
  const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', signKey, signedInput(roomId, message)));
  const out = new Uint8Array(HEADER_BYTES + message.byteLength);
  out[0] = SIGNED_MARKER;
  out[1] = SIGNED_VERSION;
  out.set(signature, 2);
  out.set(message, HEADER_BYTES);
  return out;
}

/**
 * The sync message inside `signed` when its signature verifies under
 * `verifyKey` for `roomId` and it carries an update; null otherwise (not
 * signed, another version, a wrong signature, another room, another kind of
 * message). Never rejects.
 */
export async function openSignedUpdate(verifyKey: CryptoKey, roomId: string, signed: Uint8Array): Promise<Uint8Array | null> {
  if (signed.byteLength <= HEADER_BYTES || signed[0] !== SIGNED_MARKER || signed[1] !== SIGNED_VERSION) return null;
  const message = signed.subarray(HEADER_BYTES);
  if (!carriesUpdate(message)) return null;
  try {
    const ok = await crypto.subtle.verify('Ed25519', verifyKey, signed.slice(2, HEADER_BYTES), signedInput(roomId, message));
    return ok ? message : null;
  } catch {
    return null;
  }
}
