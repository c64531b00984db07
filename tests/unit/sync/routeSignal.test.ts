import { describe, expect, it } from 'vitest';
import { ANSWER_CEILING_FACTOR, routeSignal, type RouteContext } from '../../../src/sync/routeSignal';
import type { SignalPayload } from '../../../src/sync/signalingMessage';

const ME = 'me';
const PEER = 'peer';

const context = (overrides: Partial<RouteContext> = {}): RouteContext => ({
  ownPeerId: ME,
  isTabPeer: () => false,
  isBlocked: () => false,
  connectionWith: () => undefined,
  connectionCount: 0,
  maxConnections: 20,
  ...overrides,
});
const announce: SignalPayload = { type: 'announce', from: PEER };
const signal = (type: 'offer' | 'answer', token = 1, to = ME): SignalPayload => ({ type: 'signal', from: PEER, to, token, signal: { type, sdp: 'v=0' } });
const candidate: SignalPayload = { type: 'signal', from: PEER, to: ME, token: 1, signal: { type: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } } };
const action = (payload: SignalPayload, overrides: Partial<RouteContext> = {}) => routeSignal(payload, context(overrides));

describe('routeSignal', () => {
  it('ignores our own messages, other tabs of this browser and blocked peers', () => {
    expect(action({ type: 'announce', from: ME })).toEqual({ action: 'ignore', reason: 'own message' });
    expect(action(announce, { isTabPeer: (id) => id === PEER })).toMatchObject({ action: 'ignore', reason: 'another tab of this browser' });
    expect(action(signal('offer'), { isBlocked: (id) => id === PEER })).toMatchObject({ action: 'ignore', reason: 'sender is blocked' });
  });

  it('connects to an announced peer once, within the cap; at the cap it invites the peer, up to the ceiling', () => {
    expect(action(announce)).toEqual({ action: 'connect' });
    expect(action(announce, { connectionCount: 19 })).toEqual({ action: 'connect' });
    expect(action(announce, { connectionCount: 20 })).toEqual({ action: 'invite' });
    expect(action(announce, { connectionCount: 39 })).toEqual({ action: 'invite' });
    expect(action(announce, { connectionCount: 40 })).toMatchObject({ action: 'ignore', reason: 'too many connections' });
    expect(action(announce, { connectionWith: () => ({ initiator: false, token: undefined }) })).toMatchObject({ action: 'ignore' });
  });

  it('an invitation (an announce addressed to us) is taken like an announce, but never answered with one', () => {
    const invitation: SignalPayload = { type: 'announce', from: PEER, to: ME };
    expect(action(invitation)).toEqual({ action: 'connect' });
    expect(action(invitation, { connectionCount: 20 })).toMatchObject({ action: 'ignore', reason: 'too many connections' });
    expect(action({ type: 'announce', from: PEER, to: 'someone else' })).toMatchObject({ action: 'ignore', reason: 'addressed to someone else' });
  });

  it('answers an offer addressed to us up to twice the cap (room for invited newcomers); signals for others are ignored', () => {
    expect(action(signal('offer'))).toEqual({ action: 'answer', replace: false });
    expect(action(signal('offer'), { connectionCount: 20 })).toEqual({ action: 'answer', replace: false });
    expect(action(signal('offer'), { connectionCount: 20 * ANSWER_CEILING_FACTOR - 1 })).toEqual({ action: 'answer', replace: false });
    expect(action(signal('offer'), { connectionCount: 20 * ANSWER_CEILING_FACTOR })).toMatchObject({ action: 'ignore', reason: 'too many connections' });
    expect(action(signal('offer', 1, 'someone else'))).toMatchObject({ action: 'ignore', reason: 'addressed to someone else' });
    // A further offer on a connection we answer goes to it (and does not count against the cap).
    expect(action(signal('offer'), { connectionCount: 20, connectionWith: () => ({ initiator: false, token: undefined }) })).toEqual({ action: 'forward' });
  });

  it('glare: the higher token wins on both sides, ties go to the remote offer as in y-webrtc', () => {
    const offering = (token: number) => ({ connectionWith: () => ({ initiator: true, token }) });
    expect(action(signal('offer', 5), offering(7))).toMatchObject({ action: 'ignore', reason: 'glare: our offer wins' });
    expect(action(signal('offer', 7), offering(5))).toEqual({ action: 'answer', replace: true });
    expect(action(signal('offer', 5), offering(5))).toEqual({ action: 'answer', replace: true });
    // Our offer not sent yet (no token): theirs wins.
    expect(action(signal('offer', 5), { connectionWith: () => ({ initiator: true, token: undefined }) })).toEqual({ action: 'answer', replace: true });
  });

  it('forwards answers and candidates to an existing connection, and ignores them without one', () => {
    const existing = { connectionWith: () => ({ initiator: true, token: 3 }) };
    expect(action(signal('answer'), existing)).toEqual({ action: 'forward' });
    expect(action(candidate, existing)).toEqual({ action: 'forward' });
    expect(action(signal('answer'))).toMatchObject({ action: 'ignore', reason: 'answer without a connection' });
    expect(action(candidate)).toMatchObject({ action: 'ignore', reason: 'candidate without a connection' });
  });
});
