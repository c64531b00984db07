/**
 * Decoding of one y-webrtc message received from a peer (a WebRTC data
 * channel) or another tab (BroadcastChannel): the decode stage of the
 * inbound pipeline (PeerRoom.ts). Pure; never throws.
 *
 * The message is parsed once, completely and strictly, into a
 * {@link DecodedPeerMessage}: garbage, an unknown type, trailing bytes or an
 * awareness update over the limits is an error that says why (a strike for
 * the peer), never an exception out of a channel handler or a half-applied
 * message. The Yjs update a sync message carries is left to the check stage
 * (the schema firewall, or {@link validateUpdate}), which decodes it anyway.
 *
 * Message layout (y-webrtc 10, lib0 encoding):
 * `varuint type` then
 * - {@link MESSAGE_SYNC}: `varuint syncType` + `varUint8Array payload`
 *   (state vector for step 1, Yjs update v1 for step 2 and updates);
 * - {@link MESSAGE_AWARENESS}: `varUint8Array` awareness update
 *   (`varuint n`, then n × `varuint clientID, varuint clock, varString JSON`);
 * - {@link MESSAGE_QUERY_AWARENESS}: nothing.
 * {@link MESSAGE_BC_PEER_ID} is only meaningful on BroadcastChannel: on a data
 * channel it would let a remote peer add arbitrary ids to the room's set of
 * same-browser peers, whose signaling is then ignored — a way to cut others
 * off. It is refused unless the caller allows it (tabs).
 */

import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** y-webrtc message types (y-webrtc/src/y-webrtc.js). */
export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_QUERY_AWARENESS = 3;
export const MESSAGE_BC_PEER_ID = 4;
/** y-protocols sync message types (y-protocols/sync.js). */
export const SYNC_STEP_1 = 0;
export const SYNC_STEP_2 = 1;
export const SYNC_UPDATE = 2;
/**
 * Most client states one awareness message may carry. A peer sends its own
 * state and relays those of the peers it is connected to (y-webrtc relays
 * every awareness change), so up to about one per connection of a full room
 * (MAX_WEBRTC_CONNECTIONS = 20) — not the hundreds a hostile peer could invent.
 */
export const MAX_AWARENESS_CLIENTS = 32;
/**
 * Largest JSON of one awareness state, in bytes. Real states (a display name of at
 * most 40 characters, colour, two cursor positions) are about 300 bytes;
 * y-webrtc re-broadcasts remote states to every peer, so a huge one would be
 * amplified.
 */
export const MAX_AWARENESS_STATE_BYTES = 2 * 1024;

/** One awareness entry of a decoded awareness message (its JSON still encoded). */
export interface AwarenessEntry {
  readonly clientId: number;
  readonly clock: number;
  readonly json: Uint8Array;
}

/**
 * A peer message decoded once: what the rest of the inbound pipeline works
 * on, so nothing downstream parses the envelope again. The Yjs update of a
 * sync message is *not* decoded here: the schema firewall decodes it (and
 * rejects what does not decode) — the check stage — or, for docs that are not
 * notes, {@link validateUpdate}.
 */
export type DecodedPeerMessage =
  | { readonly kind: 'sync-step-1'; readonly stateVector: Uint8Array }
  | { readonly kind: 'sync-step-2' | 'update'; readonly update: Uint8Array }
  | { readonly kind: 'awareness'; readonly entries: readonly AwarenessEntry[]; readonly dropped: number }
  | { readonly kind: 'query-awareness' }
  | { readonly kind: 'peer-id'; readonly add: boolean; readonly peerId: string };

/** Result of {@link decodePeerMessage}. */
export type PeerMessageDecode = { readonly ok: true; readonly message: DecodedPeerMessage } | { readonly ok: false; readonly error: string };

/** Options of {@link decodePeerMessage}. */
export interface DecodeOptions {
  /** Our own awareness client id: entries for it are dropped (nobody else speaks for us). */
  readonly localClientId: number;
  /** Asked for every other awareness entry of a valid message; refused entries are dropped. */
  readonly mayWrite?: (clientId: number) => boolean;
  /** Accept {@link MESSAGE_BC_PEER_ID} (only between tabs of this browser; default false). */
  readonly allowPeerId?: boolean;
}

/**
 * Decodes one y-webrtc message completely (no trailing bytes). Awareness
 * entries for `localClientId` are dropped: nobody else may speak for us (the
 * awareness protocol only refuses remote *removal* of our state, not a
 * higher-clock overwrite). They are not an error, because y-webrtc relays
 * every awareness change to all its peers, so honest peers echo our own state
 * back to us. `mayWrite(clientId)` is asked for every other entry of a valid
 * awareness update (never for a rejected one); entries it refuses are dropped
 * the same way, without an error (see awarenessOwnership.ts: honest peers
 * relay other clients' states too). Never throws.
 */
export const decodePeerMessage = (message: Uint8Array, options: DecodeOptions): PeerMessageDecode => {
  try {
    return decode(message, options);
  } catch (error) {
    return { ok: false, error: `undecodable: ${error instanceof Error ? error.message : String(error)}` };
  }
};

const decode = (message: Uint8Array, options: DecodeOptions): PeerMessageDecode => {
  if (message.byteLength === 0) return { ok: false, error: 'empty message' };
  const decoder = decoding.createDecoder(message);
  const type = decoding.readVarUint(decoder);
  let decoded: DecodedPeerMessage;
  switch (type) {
    case MESSAGE_SYNC: {
      const syncType = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (syncType === SYNC_STEP_1) {
        Y.decodeStateVector(payload);
        decoded = { kind: 'sync-step-1', stateVector: payload };
      } else if (syncType === SYNC_STEP_2 || syncType === SYNC_UPDATE) {
        decoded = { kind: syncType === SYNC_STEP_2 ? 'sync-step-2' : 'update', update: payload };
      } else {
        return { ok: false, error: `unknown sync message type ${syncType}` };
      }
      break;
    }
    case MESSAGE_AWARENESS: {
      const entries = readAwarenessEntries(decoding.readVarUint8Array(decoder));
      if (typeof entries === 'string') return { ok: false, error: entries };
      const mayWrite = options.mayWrite ?? (() => true);
      // Only once the whole update is known to be valid: claiming ids is a side effect.
      const kept = entries.filter((entry) => entry.clientId !== options.localClientId && mayWrite(entry.clientId));
      decoded = { kind: 'awareness', entries: kept, dropped: entries.length - kept.length };
      break;
    }
    case MESSAGE_QUERY_AWARENESS:
      decoded = { kind: 'query-awareness' };
      break;
    case MESSAGE_BC_PEER_ID: {
      if (!options.allowPeerId) return { ok: false, error: 'BroadcastChannel peer-id message on a data channel' };
      const add = decoding.readUint8(decoder) === 1;
      const peerId = decoding.readVarString(decoder);
      decoded = { kind: 'peer-id', add, peerId };
      break;
    }
    default:
      return { ok: false, error: `unknown message type ${type}` };
  }
  if (decoding.hasContent(decoder)) return { ok: false, error: 'trailing bytes' };
  return { ok: true, message: decoded };
};

/** The entries of an awareness update, or an error string (the limits above). */
const readAwarenessEntries = (update: Uint8Array): AwarenessEntry[] | string => {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  if (count > MAX_AWARENESS_CLIENTS) return `awareness update with ${count} clients`;
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const json = decoding.readVarUint8Array(decoder);
    if (json.byteLength > MAX_AWARENESS_STATE_BYTES) return `awareness state of ${json.byteLength} bytes`;
    const state: unknown = JSON.parse(utf8.decode(json));
    if (state !== null && (typeof state !== 'object' || Array.isArray(state))) return 'awareness state is not an object';
    entries.push({ clientId, clock, json });
  }
  if (decoding.hasContent(decoder)) return 'trailing bytes in awareness update';
  return entries;
};

/** Encodes awareness entries as an awareness update (y-protocols' format). */
export const encodeAwarenessEntries = (entries: readonly AwarenessEntry[]): Uint8Array => {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarUint8Array(encoder, entry.json);
  }
  return encoding.toUint8Array(encoder);
};

/** True when an awareness entry removes its client (state `null`). */
export const isRemoval = (entry: AwarenessEntry): boolean =>
  entry.json.byteLength === 4 && entry.json[0] === 0x6e && entry.json[1] === 0x75 && entry.json[2] === 0x6c && entry.json[3] === 0x6c;

/**
 * Checks that a Yjs update decodes completely (for docs the schema firewall
 * does not guard). Never throws.
 */
export const validateUpdate = (update: Uint8Array): boolean => {
  try {
    Y.decodeUpdate(update);
    return true;
  } catch {
    return false;
  }
};

/** A whole y-webrtc message: `type` then `body` (already encoded). */
export const peerMessage = (type: number, write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
};

/**
 * The Yjs update a y-webrtc / loopback sync message carries (sync step 2 =
 * the initial sync, or an incremental update), or null for any other message.
 * Call only on a message that decodes ({@link decodePeerMessage}).
 */
export function readSyncUpdate(message: Uint8Array): { readonly kind: 'sync' | 'update'; readonly update: Uint8Array } | null {
  const decoder = decoding.createDecoder(message);
  if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return null;
  const syncType = decoding.readVarUint(decoder);
  if (syncType !== SYNC_STEP_2 && syncType !== SYNC_UPDATE) return null;
  return { kind: syncType === SYNC_STEP_2 ? 'sync' : 'update', update: decoding.readVarUint8Array(decoder) };
}
