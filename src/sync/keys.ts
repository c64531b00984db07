/**
 * Derivation of the signaling topic (y-webrtc "room name") from a share
 * link's note id and secret. Part of Weft's open protocol:
 *
 * ```text
 * roomName = base64url( SHA-256( UTF-8( "weft/room/v1" ‖ 0x00 ‖ noteId ‖ 0x00 ‖ secret ) ) )
 * ```
 *
 * - `noteId` and `secret` are the 22-character base64url strings exactly as
 *   they appear in the link (see shareLink.ts), hashed as their UTF-8 (=ASCII)
 *   bytes; 0x00 separates the parts.
 * - base64url is RFC 4648 §5 without padding: 43 characters.
 * - The y-webrtc `password` is the `secret` string itself. y-webrtc then derives
 *   an AES-GCM-256 key with PBKDF2-HMAC-SHA-256, 100 000 iterations, password
 *   = UTF-8(secret), salt = UTF-8(roomName), and encrypts every signaling
 *   payload (offers, answers, ICE candidates, announces) and every
 *   BroadcastChannel message with it (y-webrtc/src/crypto.js). Data-channel
 *   traffic is protected by WebRTC's DTLS.
 *
 * So the signaling server sees only the room name: a hash from which neither
 * the id nor the secret can be recovered, and peers without the secret cannot
 * read or answer the encrypted offers.
 */

import { toBase64Url } from '../doc/noteId';

/** Domain-separation prefix of the room-name hash; bump the version to change the derivation. */
export const ROOM_NAME_DOMAIN = 'weft/room/v1';
/** Separator between the hashed parts (cannot occur in base64url). */
const SEPARATOR = '\u0000';
/** Length of a room name: SHA-256 (32 bytes) as unpadded base64url. */
export const ROOM_NAME_LENGTH = 43;

/** Derives the signaling topic for a note. Deterministic; uses WebCrypto (browser and Node ≥ 20). */
export const deriveRoomName = async (noteId: string, secret: string): Promise<string> => {
  const input = new TextEncoder().encode(`${ROOM_NAME_DOMAIN}${SEPARATOR}${noteId}${SEPARATOR}${secret}`);
  const digest = await crypto.subtle.digest('SHA-256', input);
  return toBase64Url(new Uint8Array(digest));
};

/** The y-webrtc `password` for a note: the link's secret, verbatim. */
export const roomPassword = (secret: string): string => secret;
