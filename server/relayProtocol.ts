/**
 * The relay's wire rules, pure apart from node:crypto: room ids, the write proof and the
 * limits. The relay stores opaque encrypted blobs per room; it never sees a note id, a
 * secret or a key that decrypts. Whoever writes proves it holds the room's signing key:
 *
 *   room id   = base64url(SHA-256(UTF-8("weft/relay-room/v2") ‖ 0x00 ‖ P)), 43 characters,
 *               P = the room's 32-byte Ed25519 public key (derived by clients from the link secret)
 *   headers   Weft-Relay-Key: base64url(P)   Weft-Relay-Time: ms since 1970
 *             Weft-Relay-Signature: base64url(Ed25519 signature over
 *               UTF-8("weft/relay-write/v2") ‖ 0x00 ‖ UTF-8(METHOD ␠ path-and-query) ‖ 0x00 ‖
 *               UTF-8(time) ‖ 0x00 ‖ SHA-256(body))
 *
 * The server checks that P hashes to the room id in the path (so no first writer can
 * claim a room: there is no trust on first use), that the time is within
 * `MAX_CLOCK_SKEW_MS` of its own, and the signature. The signed path binds the room, the
 * operation and its parameters (a snapshot's `replaces`); the body hash binds the blob.
 * A replayed append is harmless (the store keeps one copy of a blob per room).
 */
import { createHash, createPublicKey, verify } from 'node:crypto';

/** Path prefix of the relay's HTTP API (version 2: the capability keys of DESIGN.md). */
export const RELAY_PATH = '/relay/v2/';
export const ROOM_DOMAIN = 'weft/relay-room/v2';
export const WRITE_DOMAIN = 'weft/relay-write/v2';
/** A room id: SHA-256 as unpadded base64url. */
export const ROOM_ID = /^[A-Za-z0-9_-]{43}$/;
/** A writer's clock may be this far from the server's. */
export const MAX_CLOCK_SKEW_MS = 10 * 60_000;

export const HEADER_KEY = 'weft-relay-key';
export const HEADER_TIME = 'weft-relay-time';
export const HEADER_SIGNATURE = 'weft-relay-signature';

/** What one blob may be. */
export type BlobKind = 'update' | 'snapshot';

/** The relay's limits (defaults below; `config.ts` lets a deployment change some). */
export interface RelayLimits {
  /** Largest update blob (an encrypted batch of edits). */
  maxUpdateBytes: number;
  /** Largest snapshot blob (an encrypted whole note). */
  maxSnapshotBytes: number;
  /** Most blobs a room holds; clients compact well before (see `compactAfterBlobs`). */
  maxRoomBlobs: number;
  /** Most bytes a room holds. */
  maxRoomBytes: number;
  /** Told to clients in every read: past this many blobs, an editor uploads a snapshot. */
  compactAfterBlobs: number;
  /** Most bytes one read answers with; the client asks again for the rest. */
  maxReadBytes: number;
  /** Per client address: writes (burst, then per hour). */
  writesPerAddressBurst: number;
  writesPerAddressPerHour: number;
  /** Per client address: bytes written (burst, then per hour). */
  bytesPerAddressBurst: number;
  bytesPerAddressPerHour: number;
  /** Per client address: reads (burst, then per second). */
  readsPerAddressBurst: number;
  readsPerAddressPerSecond: number;
  /** A room nobody read or wrote for this long is deleted. */
  roomTtlMs: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxUpdateBytes: 2 * MiB + 1024,
  maxSnapshotBytes: 32 * MiB,
  maxRoomBlobs: 1000,
  maxRoomBytes: 64 * MiB,
  compactAfterBlobs: 50,
  maxReadBytes: 8 * MiB,
  writesPerAddressBurst: 2000,
  writesPerAddressPerHour: 7200,
  bytesPerAddressBurst: 256 * MiB,
  bytesPerAddressPerHour: 512 * MiB,
  readsPerAddressBurst: 600,
  readsPerAddressPerSecond: 20,
  roomTtlMs: 90 * 24 * 3600_000,
};

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** The room id of a public key (raw 32 bytes). */
export function roomIdOf(publicKey: Uint8Array): string {
  return b64url(createHash('sha256').update(ROOM_DOMAIN).update(Buffer.from([0])).update(publicKey).digest());
}

/** The bytes a write signature covers. */
export function writeMessage(method: string, pathAndQuery: string, time: string, body: Uint8Array): Buffer {
  const bodyHash = createHash('sha256').update(body).digest();
  return Buffer.concat([Buffer.from(`${WRITE_DOMAIN}\0${method} ${pathAndQuery}\0${time}\0`, 'utf8'), bodyHash]);
}

/** Why a write proof was refused (said to the client). */
export type ProofVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks a write's proof: `headers` are the request's (lower-case names), `room` the
 * room id of its path. Never throws.
 */
export function checkWriteProof(
  room: string,
  method: string,
  pathAndQuery: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Uint8Array,
  now: number,
): ProofVerdict {
  const key = headers[HEADER_KEY];
  const time = headers[HEADER_TIME];
  const signature = headers[HEADER_SIGNATURE];
  if (typeof key !== 'string' || typeof time !== 'string' || typeof signature !== 'string') {
    return { ok: false, reason: 'a write needs the Weft-Relay-Key, Weft-Relay-Time and Weft-Relay-Signature headers' };
  }
  if (!/^[A-Za-z0-9_-]{43}$/.test(key)) return { ok: false, reason: 'Weft-Relay-Key is not a base64url Ed25519 public key' };
  if (!/^[A-Za-z0-9_-]{86}$/.test(signature)) return { ok: false, reason: 'Weft-Relay-Signature is not a base64url Ed25519 signature' };
  if (!/^\d{1,16}$/.test(time)) return { ok: false, reason: 'Weft-Relay-Time is not a time in milliseconds' };
  if (Math.abs(Number(time) - now) > MAX_CLOCK_SKEW_MS) {
    return { ok: false, reason: 'Weft-Relay-Time is more than 10 minutes from the server clock' };
  }
  const raw = Buffer.from(key, 'base64url');
  if (roomIdOf(raw) !== room) return { ok: false, reason: 'the key does not belong to this room' };
  try {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key }, format: 'jwk' });
    const valid = verify(null, writeMessage(method, pathAndQuery, time, body), publicKey, Buffer.from(signature, 'base64url'));
    return valid ? { ok: true } : { ok: false, reason: 'the signature does not match' };
  } catch {
    return { ok: false, reason: 'the key is not a valid Ed25519 public key' };
  }
}

/** SHA-256 of a blob, hex: how a store recognizes a blob it already holds. */
export const blobHash = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
