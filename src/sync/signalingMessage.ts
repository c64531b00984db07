/**
 * y-webrtc's signaling protocol, client side, as pure functions: what our
 * signaling client sends, and the strict parsing of what it receives — the
 * WebSocket frame and then the decrypted payload of a `publish`. Nothing that
 * fails these checks reaches the peer network: a broken or hostile signaling
 * server, or a peer publishing garbage into our topic, costs a parse and is
 * dropped.
 *
 * Frames (JSON text), client → server: `{type:'subscribe'|'unsubscribe',
 * topics}`, `{type:'publish', topic, data}`, `{type:'ping'}`; server →
 * client: relayed publishes and `{type:'pong'}` (anything else is ignored).
 *
 * Payloads (inside `data`, encrypted: signalingCrypto.ts):
 * - `{type:'announce', from}`: "I am in this room"; with `to` (an
 *   invitation: Weft sends it to a newcomer when it has no connection left
 *   to open itself, routeSignal.ts), for that peer only — stock y-webrtc
 *   ignores every payload whose `to` is someone else's;
 * - `{type:'signal', from, to, token, signal}` where `signal` is simple-peer's
 *   JSON: `{type:'offer'|'answer', sdp}` or `{type:'candidate', candidate:
 *   {candidate, sdpMLineIndex, sdpMid}}`; `token` is y-webrtc's glare token
 *   (the higher offer wins when both sides offer at once).
 */

/** Largest signaling frame accepted (characters). Offers with SDP are a few KB. */
export const MAX_SIGNALING_FRAME_CHARS = 256 * 1024;
/** Longest peer id accepted (y-webrtc uses UUIDs: 36 characters). */
export const MAX_PEER_ID_LENGTH = 64;
/** Longest SDP accepted. */
export const MAX_SDP_CHARS = 128 * 1024;
/** Longest ICE candidate line accepted. */
export const MAX_CANDIDATE_CHARS = 4 * 1024;

/** A frame the client acts on. */
export type SignalingFrame =
  | { readonly type: 'publish'; readonly topic: string; readonly data: string }
  | { readonly type: 'pong' };

/** simple-peer's signal JSON (the part of it y-webrtc and we send). */
export type PeerSignal =
  | { readonly type: 'offer' | 'answer'; readonly sdp: string }
  | { readonly type: 'candidate'; readonly candidate: RTCIceCandidateInit };

/**
 * A decrypted, well-formed signaling payload. `tab` is Weft's extension
 * (stock y-webrtc ignores unknown fields): the sender's tab id, one per tab
 * for all notes, so that two Weft tabs can share one connection
 * (PeerNetwork.ts). Only a claim: see channelAuth.ts.
 */
export type SignalPayload =
  | { readonly type: 'announce'; readonly from: string; readonly to?: string; readonly tab?: string }
  | {
      readonly type: 'signal';
      readonly from: string;
      readonly to: string;
      readonly token: number;
      readonly signal: PeerSignal;
      readonly tab?: string;
    };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isPeerId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_PEER_ID_LENGTH;

/** Parses a raw WebSocket frame; null for anything the client ignores. */
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

/** Parses simple-peer signal JSON; null for anything else (renegotiation and transceiver requests included). */
export const parsePeerSignal = (signal: unknown): PeerSignal | null => {
  if (!isRecord(signal)) return null;
  if (signal.type === 'offer' || signal.type === 'answer') {
    return typeof signal.sdp === 'string' && signal.sdp.length <= MAX_SDP_CHARS ? { type: signal.type, sdp: signal.sdp } : null;
  }
  if (signal.type !== 'candidate') return null;
  const c = signal.candidate;
  if (!isRecord(c) || typeof c.candidate !== 'string' || c.candidate.length > MAX_CANDIDATE_CHARS) return null;
  const sdpMid = typeof c.sdpMid === 'string' ? c.sdpMid : null;
  const sdpMLineIndex = typeof c.sdpMLineIndex === 'number' && Number.isInteger(c.sdpMLineIndex) ? c.sdpMLineIndex : null;
  // RTCIceCandidate's constructor throws when both are missing.
  if (sdpMid === null && sdpMLineIndex === null) return null;
  return { type: 'candidate', candidate: { candidate: c.candidate, sdpMid, sdpMLineIndex } };
};

/** Parses a decrypted payload; a reason string for anything malformed. */
export const parseSignalPayload = (data: unknown): SignalPayload | string => {
  if (!isRecord(data)) return 'payload is not an object';
  if (!isPeerId(data.from)) return 'bad sender id';
  if (data.tab !== undefined && !isPeerId(data.tab)) return 'bad tab id';
  const tab = data.tab === undefined ? {} : { tab: data.tab };
  if (data.type === 'announce') {
    if (data.to !== undefined && !isPeerId(data.to)) return 'bad recipient id';
    return { type: 'announce', from: data.from, ...(data.to === undefined ? {} : { to: data.to }), ...tab };
  }
  if (data.type !== 'signal') return 'unknown payload type';
  if (!isPeerId(data.to)) return 'bad recipient id';
  if (typeof data.token !== 'number' || !Number.isFinite(data.token)) return 'bad glare token';
  const signal = parsePeerSignal(data.signal);
  if (signal === null) return 'bad signal';
  return { type: 'signal', from: data.from, to: data.to, token: data.token, signal, ...tab };
};

/** The frames the client sends. */
export const subscribeFrame = (topics: readonly string[]): string => JSON.stringify({ type: 'subscribe', topics });
export const unsubscribeFrame = (topics: readonly string[]): string => JSON.stringify({ type: 'unsubscribe', topics });
export const publishFrame = (topic: string, data: string): string => JSON.stringify({ type: 'publish', topic, data });
export const PING_FRAME = JSON.stringify({ type: 'ping' });
