/**
 * What a room does with a decrypted, well-formed signaling payload
 * (signalingMessage.ts): the connection rules of y-webrtc, as one pure
 * decision so that each rule has its own test.
 *
 * - Our own messages, those of other tabs of this browser (they sync over
 *   BroadcastChannel) and those of peers dropped for misbehaviour are ignored.
 * - An announce from a peer we have no connection with opens one, as
 *   initiator, while the room has fewer than its cap.
 * - Signals are taken only when addressed to us. An offer from a peer we
 *   have no connection with opens one as answerer (within the cap). An offer
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
  /** Open a connection as answerer and give it the offer (after closing ours, for `replace`). */
  | { readonly action: 'answer'; readonly replace: boolean }
  /** Hand the signal to the existing connection. */
  | { readonly action: 'forward' };

const ignore = (reason: string): SignalRoute => ({ action: 'ignore', reason });

export const routeSignal = (payload: SignalPayload, context: RouteContext): SignalRoute => {
  const { from } = payload;
  if (from === context.ownPeerId) return ignore('own message');
  if (context.isTabPeer(from)) return ignore('another tab of this browser');
  if (context.isBlocked(from)) return ignore('sender is blocked');
  const existing = context.connectionWith(from);
  const full = context.connectionCount >= context.maxConnections;
  if (payload.type === 'announce') {
    if (existing) return ignore('already connected');
    return full ? ignore('too many connections') : { action: 'connect' };
  }
  if (payload.to !== context.ownPeerId) return ignore('addressed to someone else');
  if (payload.signal.type === 'offer') {
    if (!existing) return full ? ignore('too many connections') : { action: 'answer', replace: false };
    if (!existing.initiator) return { action: 'forward' };
    if (existing.token !== undefined && existing.token > payload.token) return ignore('glare: our offer wins');
    return { action: 'answer', replace: true };
  }
  return existing ? { action: 'forward' } : ignore(`${payload.signal.type} without a connection`);
};
