/**
 * Checks every frame y-webrtc's signaling WebSocket receives before y-webrtc
 * does, so that a broken or hostile signaling server (or a peer publishing
 * garbage into our topic) cannot cause uncaught errors or unhandled
 * rejections in the tab.
 *
 * What y-webrtc 10.3 / lib0 0.2 do with a bad frame, and what is guarded:
 *
 * 1. lib0/websocket `onmessage` runs `JSON.parse` on every text frame: a
 *    non-JSON frame throws an uncaught error. → frames that are not JSON, too
 *    large, or not an object with a string `type` are dropped here.
 * 2. y-webrtc reads `m.type` (throws on `null`) and for `publish` runs
 *    `decryptJson(fromBase64(m.data))` with no `catch`: bad base64 throws,
 *    an unknown algorithm name creates a dangling rejected promise, a
 *    tampered or foreign ciphertext rejects unhandled. → `publish` frames are
 *    decrypted here first (with the room's key) and only forwarded when that
 *    succeeds; frames for topics we have not joined are dropped.
 * 3. y-webrtc's `execMessage` reads `data.signal.type` (throws if missing),
 *    `existingConn.glareToken` for an answer with no connection (throws), and
 *    simple-peer's `signal()` builds `new RTCIceCandidate(…)` (throws on a
 *    candidate without sdpMid/sdpMLineIndex) — all inside the same unhandled
 *    promise. → the decrypted payload must be an `announce` or a `signal`
 *    carrying an offer/answer with an SDP string or a well-formed candidate;
 *    answers need an existing connection; offers beyond `maxConns` and
 *    messages from peers we dropped for misbehaviour are ignored.
 *
 * y-webrtc would decrypt a forwarded frame again and act on it a few ticks
 * later, when the connection an answer needs may be gone (it then threw in an
 * unhandled promise: seen as a flaky hostile-peer test). So a frame that
 * passed is handed to y-webrtc decrypted, with the room's key set aside for
 * that synchronous call: checked and acted on in the same tick.
 */

import * as decoding from 'lib0/decoding';

/** Largest signaling frame accepted (characters). Offers with SDP are a few KB. */
export const MAX_SIGNALING_FRAME_CHARS = 256 * 1024;
/** Longest peer id accepted (y-webrtc uses UUIDs: 36 characters). */
export const MAX_PEER_ID_LENGTH = 64;
/** Longest SDP accepted. */
export const MAX_SDP_CHARS = 128 * 1024;
/** Longest ICE candidate line accepted. */
export const MAX_CANDIDATE_CHARS = 4 * 1024;
/** The only encryption y-webrtc uses (crypto.js). */
const ALGORITHM = 'AES-GCM';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A signaling frame that passed {@link parseSignalingFrame}. */
export type SignalingFrame =
  | { readonly type: 'publish'; readonly topic: string; readonly data: string }
  | { readonly type: 'pong' };

/** Parses a raw WebSocket frame; null for anything y-webrtc should not see. */
export const parseSignalingFrame = (raw: unknown): SignalingFrame | null => {
  if (typeof raw !== 'string' || raw.length > MAX_SIGNALING_FRAME_CHARS) return null;
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(message)) return null;
  if (message.type === 'pong') return { type: 'pong' };
  if (message.type === 'publish' && typeof message.topic === 'string' && typeof message.data === 'string') {
    return { type: 'publish', topic: message.topic, data: message.data };
  }
  return null;
};

const decodeBase64 = (text: string): Uint8Array | null => {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
};

/**
 * Decrypts a `publish` payload exactly as y-webrtc's `decryptJson` does
 * (base64 → `varString "AES-GCM"`, `varUint8Array iv`, `varUint8Array cipher`
 * → AES-GCM → lib0 `readAny`). Resolves to null on any failure; never rejects.
 */
export const decryptSignalPayload = async (data: string, key: CryptoKey): Promise<unknown> => {
  try {
    const bytes = decodeBase64(data);
    if (bytes === null) return null;
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarString(decoder) !== ALGORITHM) return null;
    const iv = decoding.readVarUint8Array(decoder);
    const cipher = decoding.readVarUint8Array(decoder);
    const plain = await crypto.subtle.decrypt(
      { name: ALGORITHM, iv: iv as Uint8Array<ArrayBuffer> },
      key,
      cipher as Uint8Array<ArrayBuffer>,
    );
    return decoding.readAny(decoding.createDecoder(new Uint8Array(plain)));
  } catch {
    return null;
  }
};

/** What {@link checkSignalPayload} needs to know about our side of the room. */
export interface SignalContext {
  /** Remote peer ids we have a WebRTC connection object for. */
  hasConnection(peerId: string): boolean;
  /** Number of WebRTC connection objects in the room. */
  readonly connectionCount: number;
  /** y-webrtc's connection limit for the room. */
  readonly maxConnections: number;
  /** True for peers dropped for misbehaviour (their signaling is ignored for a while). */
  isBlocked(peerId: string): boolean;
}

const isPeerId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_PEER_ID_LENGTH;

const isCandidate = (value: unknown): boolean =>
  isRecord(value) &&
  typeof value.candidate === 'string' &&
  value.candidate.length <= MAX_CANDIDATE_CHARS &&
  (typeof value.sdpMid === 'string' || (typeof value.sdpMLineIndex === 'number' && Number.isInteger(value.sdpMLineIndex)));

/**
 * Decides whether a decrypted signaling payload may reach y-webrtc's
 * `execMessage` without making it throw. Returns a reason to drop, or null.
 */
export const checkSignalPayload = (data: unknown, context: SignalContext): string | null => {
  if (!isRecord(data)) return 'payload is not an object';
  if (!isPeerId(data.from)) return 'bad sender id';
  if (data.to !== undefined && !isPeerId(data.to)) return 'bad recipient id';
  if (context.isBlocked(data.from)) return 'sender is blocked';
  if (data.type === 'announce') return null;
  if (data.type !== 'signal') return 'unknown payload type';
  if (typeof data.token !== 'number' || !Number.isFinite(data.token)) return 'bad glare token';
  const signal = data.signal;
  if (!isRecord(signal)) return 'missing signal';
  switch (signal.type) {
    case 'offer':
    case 'answer':
      if (typeof signal.sdp !== 'string' || signal.sdp.length > MAX_SDP_CHARS) return 'bad sdp';
      if (signal.type === 'answer' && !context.hasConnection(data.from)) return 'answer without offer';
      if (
        signal.type === 'offer' &&
        !context.hasConnection(data.from) &&
        context.connectionCount >= context.maxConnections
      ) {
        return 'too many connections';
      }
      return null;
    case 'candidate':
      return isCandidate(signal.candidate) ? null : 'bad candidate';
    default:
      // 'renegotiate' / 'transceiverRequest' are never sent by y-webrtc.
      return 'unsupported signal type';
  }
};

/** One joined room as the guard sees it. */
export interface GuardedRoom {
  /** Resolves to the room's AES key (y-webrtc's `provider.key`). */
  readonly key: PromiseLike<CryptoKey | null>;
  readonly context: SignalContext;
  /**
   * y-webrtc's open room for this topic (`provider.room`), whose `key` it reads
   * when a frame arrives. When given, a checked frame is handed over already
   * decrypted, with that key set aside for the call, so y-webrtc acts on it
   * synchronously — in the same tick as the check — instead of decrypting it
   * again first (see the module comment's residual race).
   */
  readonly openRoom?: () => { key: CryptoKey | null } | null | undefined;
}

/**
 * Rooms joined in this tab, by topic. Module-level because y-webrtc shares
 * one WebSocket per signaling URL between all rooms of the tab (its own
 * module-level state), so one socket's guard serves several transports.
 */
const guardedRooms = new Map<string, GuardedRoom>();
const guardedSockets = new WeakSet<WebSocket>();

/** Registers a room with the guard; returns its disposer. */
export const registerGuardedRoom = (topic: string, room: GuardedRoom): (() => void) => {
  guardedRooms.set(topic, room);
  return () => {
    if (guardedRooms.get(topic) === room) guardedRooms.delete(topic);
  };
};

/**
 * Puts the guard in front of `socket.onmessage` (lib0's handler). Frames are
 * checked in arrival order through one promise chain (decryption is async)
 * and forwarded unchanged when they pass. Idempotent per socket.
 */
export const guardSignalingSocket = (socket: WebSocket): void => {
  if (guardedSockets.has(socket)) return;
  const original = socket.onmessage;
  if (typeof original !== 'function') return;
  guardedSockets.add(socket);
  let chain: Promise<void> = Promise.resolve();
  const forward = (event: MessageEvent): void => {
    try {
      original.call(socket, event);
    } catch {
      // Last line of defence: y-webrtc threw synchronously on a frame we let through.
    }
  };
  const check = async (event: MessageEvent): Promise<void> => {
    const frame = parseSignalingFrame(event.data);
    if (frame === null) return;
    if (frame.type === 'pong') {
      forward(event);
      return;
    }
    const room = guardedRooms.get(frame.topic);
    if (room === undefined) return;
    const key = await room.key;
    // Weft always sets a password; an unencrypted room is not ours to serve.
    if (key === null) return;
    const payload = await decryptSignalPayload(frame.data, key);
    if (payload === null || checkSignalPayload(payload, room.context) !== null) return;
    const open = room.openRoom?.();
    if (!open) {
      forward(event);
      return;
    }
    // y-webrtc takes an unencrypted room's payload as is and acts on it at
    // once: hand it the payload we just checked, in this same tick.
    const roomKey = open.key;
    open.key = null;
    try {
      forward({ data: JSON.stringify({ ...frame, data: payload }) } as MessageEvent);
    } finally {
      open.key = roomKey;
    }
  };
  socket.onmessage = (event: MessageEvent) => {
    chain = chain.then(() => check(event)).catch(() => undefined);
  };
};
