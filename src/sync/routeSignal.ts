/**
 * What a room does with a decrypted, well-formed signaling payload
 * (signalingMessage.ts): the connection rules of y-webrtc, as one pure
 * decision so that each rule has its own test.
 *
 * - Our own messages, those of other tabs of this browser (they sync over
 *   BroadcastChannel) and those of peers dropped for misbehaviour are ignored.
 * - Payloads addressed to someone else are ignored (every signal has a `to`;
 *   an announce may: an invitation).
 * - An announce from a peer we have no connection with opens one, as
 *   initiator, while the room has fewer than its cap. At the cap, we invite
 *   the peer instead (an announce addressed to it): it opens the connection,
 *   within its own cap. Without that, a newcomer whose announce reaches a
 *   room where everyone is full hears from nobody and stays alone (the relay
 *   would bring it the note only every 20 s). An invitation is never
 *   answered with one (no ping-pong between two full peers).
 * - An offer from a peer we have no connection with opens one as answerer
 *   while we have fewer than twice the cap ({@link ANSWER_CEILING_FACTOR}):
 *   the cap bounds the connections a peer starts, the ceiling those others
 *   start with it — the room for invited newcomers. An offer
 *   from a peer we are offering to ourselves (both announced at once:
 *   "glare") wins when its token is not lower than ours — the same rule on
 *   both sides, so exactly one offer survives — and replaces our connection.
 * - Answers and candidates go to the existing connection; without one they
 *   are ignored.
 */

import type { SignalPayload } from './signalingMessage';

/** What the room knows when a payload arrives. */
export interface RouteContext {
  readonly ownPeerId: string;
  /** Peer ids of other tabs of this browser. */
  isTabPeer(peerId: string): boolean;
  isBlocked(peerId: string): boolean;
  /** Our connection with `peerId`, if any: its role and the token of our offer. */
  connectionWith(peerId: string): { readonly initiator: boolean; readonly token: number | undefined } | undefined;
  readonly connectionCount: number;
  readonly maxConnections: number;
}

export type SignalRoute =
  | { readonly action: 'ignore'; readonly reason: string }
  /** Open a connection as initiator. */
  | { readonly action: 'connect' }
  /** Send the peer an announce addressed to it: it may connect to us (we are at our cap). */
  | { readonly action: 'invite' }
  /** Open a connection as answerer and give it the offer (after closing ours, for `replace`). */
  | { readonly action: 'answer'; readonly replace: boolean }
  /** Hand the signal to the existing connection. */
  | { readonly action: 'forward' };

/**
 * Connections a room may reach by answering, as a multiple of its cap. Every
 * connection is opened by a peer below its cap, so the mean degree of a room
 * is at most twice the cap: a ceiling of twice the cap leaves room for a
 * newcomer somewhere, and still bounds what one browser holds.
 */
export const ANSWER_CEILING_FACTOR = 2;

const ignore = (reason: string): SignalRoute => ({ action: 'ignore', reason });

export const routeSignal = (payload: SignalPayload, context: RouteContext): SignalRoute => {
  const { from } = payload;
  if (from === context.ownPeerId) return ignore('own message');
  if (context.isTabPeer(from)) return ignore('another tab of this browser');
  if (context.isBlocked(from)) return ignore('sender is blocked');
  if (payload.to !== undefined && payload.to !== context.ownPeerId) return ignore('addressed to someone else');
  const existing = context.connectionWith(from);
  const full = context.connectionCount >= context.maxConnections;
  const atCeiling = context.connectionCount >= context.maxConnections * ANSWER_CEILING_FACTOR;
  if (payload.type === 'announce') {
    if (existing) return ignore('already connected');
    if (!full) return { action: 'connect' };
    return payload.to !== undefined || atCeiling ? ignore('too many connections') : { action: 'invite' };
  }
  if (payload.signal.type === 'offer') {
    if (!existing) return atCeiling ? ignore('too many connections') : { action: 'answer', replace: false };
    if (!existing.initiator) return { action: 'forward' };
    if (existing.token !== undefined && existing.token > payload.token) return ignore('glare: our offer wins');
    return { action: 'answer', replace: true };
  }
  return existing ? { action: 'forward' } : ignore(`${payload.signal.type} without a connection`);
};
