/**
 * PeerConnection's recovery and its reports (issue 18): a failed or lasting-disconnected
 * connection gets an ICE restart with the ICE servers of now (renewed TURN credentials), the
 * initiator sends the new offer, the bound is kept, and it says what ICE did (candidates,
 * errors, the selected pair). Over the fake WebRTC (fakeWrtc.ts), whose states the test sets.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DISCONNECTED_GRACE_MS, ICE_RESTART_TIMEOUT_MS, MAX_ICE_RESTARTS, PeerConnection, type ConnectionEvent } from '../../../src/sync/PeerConnection';
import type { PeerSignal } from '../../../src/sync/signalingMessage';
import { FakePeerConnection } from './fakeWrtc';
import { waitFor } from '../waitFor';

interface Side {
  connection: PeerConnection;
  pc: FakePeerConnection;
  signals: PeerSignal[];
  events: ConnectionEvent[];
  closed: number;
}

/**
 * A connected pair; `servers()` is what `iceServersNow` returns (the "renewed" configuration).
 * `cut()` stops delivering signals between them (the peer is gone: a restart never gets an answer).
 */
async function connectedPair(servers: () => RTCIceServer[], policy?: RTCIceTransportPolicy): Promise<[Side, Side, () => void]> {
  let delivering = true;
  const made: FakePeerConnection[] = [];
  const Recording = class extends FakePeerConnection {
    constructor(config?: unknown) {
      super(config);
      made.push(this);
    }
  } as unknown as new (config?: RTCConfiguration) => RTCPeerConnection;
  const sides: Side[] = [];
  const make = (initiator: boolean, other: () => Side): Side => {
    const s = { signals: [], events: [], closed: 0 } as unknown as Side;
    s.connection = new PeerConnection({
      initiator,
      RTCPeerConnection: Recording,
      iceServers: [{ urls: 'turn:turn.example.org', username: 'old', credential: 'old' }],
      iceServersNow: servers,
      ...(policy ? { iceTransportPolicy: policy } : {}),
      compression: false,
      onSignal: (signal) => {
        s.signals.push(signal);
        if (delivering) other().connection.signal(JSON.parse(JSON.stringify(signal)) as PeerSignal);
      },
      onEvent: (event) => s.events.push(event),
      link: { onOpen: () => undefined, onMessage: () => undefined, onClose: () => s.closed++, onViolation: () => undefined },
    });
    s.pc = made.at(-1)!;
    return s;
  };
  const a = make(true, () => sides[1]!);
  sides.push(a);
  const b = make(false, () => sides[0]!);
  sides.push(b);
  await waitFor('both links open', () => a.connection.openLink !== null && b.connection.openLink !== null);
  return [a, b, () => (delivering = false)];
}

const fresh = [{ urls: 'turn:turn.example.org', username: 'new', credential: 'new' }];

describe('ICE restart', () => {
  afterEach(() => vi.useRealTimers());

  it('reports gathered candidates by type and the selected pair once connected', async () => {
    const [a] = await connectedPair(() => fresh);
    expect(a.events).toContainEqual({ kind: 'candidate', type: 'host' });
    await waitFor('the path', () => a.connection.path !== null);
    expect(a.connection.path).toEqual({ local: 'host', remote: 'host' });
  });

  it('a peer-reflexive remote candidate takes the type its signal gives: a path to a relay-only peer is relayed', async () => {
    const [, b] = await connectedPair(() => fresh);
    await waitFor('the path', () => b.connection.path !== null);
    // Alice hides her address: her relay's check reached Bob before her candidate's signal did.
    b.pc.remoteCandidate = { type: 'prflx', address: '198.51.100.7', port: 49152 };
    b.pc.setConnectionState('connected');
    await waitFor('the peer-reflexive path', () => b.connection.path?.remote === 'prflx');
    b.connection.signal({ type: 'candidate', candidate: { candidate: 'candidate:7 1 udp 41885439 198.51.100.7 49152 typ relay raddr 0.0.0.0 rport 0 generation 0', sdpMid: '0', sdpMLineIndex: 0 } });
    await waitFor('the relayed path', () => b.connection.path?.remote === 'relay');
    expect(b.connection.path).toEqual({ local: 'host', remote: 'relay' });
  });

  it('passes the relay-only policy to the platform', async () => {
    const [a, b] = await connectedPair(() => fresh, 'relay');
    expect(a.pc.configuration.iceTransportPolicy).toBe('relay');
    expect(b.pc.configuration.iceTransportPolicy).toBe('relay');
  });

  it('a failed connection: the initiator restarts ICE with the ICE servers of now, the answerer takes them too', async () => {
    const [a, b] = await connectedPair(() => fresh);
    const offersBefore = a.pc.offers.length;
    const answersBefore = b.signals.filter((s) => s.type === 'answer').length;
    a.pc.setConnectionState('failed');
    b.pc.setConnectionState('failed');
    await waitFor('the restart offer', () => a.pc.offers.length === offersBefore + 1);
    expect(a.pc.offers.at(-1)).toEqual({ iceRestart: true });
    expect(a.pc.configuration.iceServers).toEqual(fresh);
    expect(b.pc.configuration.iceServers).toEqual(fresh);
    // A TURN server is configured: the restart gathers relay candidates only, on both sides.
    expect(a.pc.configuration.iceTransportPolicy).toBe('relay');
    expect(b.pc.configuration.iceTransportPolicy).toBe('relay');
    // Only the initiator offers; the answerer answers the restart offer.
    expect(b.pc.offers).toHaveLength(0);
    await waitFor('the answer', () => b.signals.filter((s) => s.type === 'answer').length === answersBefore + 1);
    a.pc.setConnectionState('connected');
    b.pc.setConnectionState('connected');
    expect(a.connection.isClosed).toBe(false);
    expect(a.closed).toBe(0);
  });

  it('without a TURN server the restart keeps gathering every candidate type', async () => {
    const stunOnly = [{ urls: 'stun:stun.example.org' }];
    const [a] = await connectedPair(() => stunOnly);
    a.pc.setConnectionState('failed');
    await waitFor('the restart offer', () => a.pc.offers.some((o) => o?.iceRestart === true));
    expect(a.pc.configuration.iceServers).toEqual(stunOnly);
    expect(a.pc.configuration.iceTransportPolicy).toBeUndefined();
  });

  it('gives up after MAX_ICE_RESTARTS restarts that did not reconnect, with a reason', async () => {
    const [a, , cut] = await connectedPair(() => fresh);
    cut();
    vi.useFakeTimers();
    a.pc.setConnectionState('failed');
    for (let i = 0; i < MAX_ICE_RESTARTS; i++) await vi.advanceTimersByTimeAsync(ICE_RESTART_TIMEOUT_MS);
    expect(a.connection.isClosed).toBe(true);
    expect(a.connection.failure).toMatch(/lost and could not be restored/);
    expect(a.pc.offers.filter((o) => o?.iceRestart === true)).toHaveLength(MAX_ICE_RESTARTS);
    expect(a.events).toContainEqual({ kind: 'error', message: a.connection.failure });
  });

  it('a disconnected connection gets DISCONNECTED_GRACE_MS to come back before a restart', async () => {
    const [a] = await connectedPair(() => fresh);
    vi.useFakeTimers();
    const offers = a.pc.offers.length;
    a.pc.setConnectionState('disconnected');
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS - 1);
    a.pc.setConnectionState('connected'); // a blip
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS);
    expect(a.pc.offers).toHaveLength(offers);
    a.pc.setConnectionState('disconnected');
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS);
    expect(a.pc.offers).toHaveLength(offers + 1);
    expect(a.pc.offers.at(-1)).toEqual({ iceRestart: true });
  });

  it('is "reconnecting" from a lost path until ICE connects again, never before it first connected', async () => {
    const [a] = await connectedPair(() => fresh);
    a.pc.setConnectionState('connected');
    expect(a.connection.reconnecting).toBe(false);
    const events = a.events.length;
    a.pc.setConnectionState('failed');
    expect(a.connection.reconnecting).toBe(true);
    // The room hears of it (a state event) and recomputes the status line.
    expect(a.events.slice(events)).toContainEqual({ kind: 'state' });
    await waitFor('the restart offer', () => a.pc.offers.some((o) => o?.iceRestart === true));
    a.pc.setConnectionState('connecting');
    expect(a.connection.reconnecting).toBe(true);
    a.pc.setConnectionState('connected');
    expect(a.connection.reconnecting).toBe(false);
    a.connection.destroy();
    expect(a.connection.reconnecting).toBe(false);
  });

  it('a connection that never connected is not "reconnecting"', () => {
    const pc = new FakePeerConnection();
    const connection = new PeerConnection({
      initiator: true,
      RTCPeerConnection: class extends FakePeerConnection {
        constructor() {
          super();
          return pc;
        }
      } as unknown as new (config?: RTCConfiguration) => RTCPeerConnection,
      iceServers: [],
      compression: false,
      onSignal: () => undefined,
      link: { onOpen: () => undefined, onMessage: () => undefined, onClose: () => undefined, onViolation: () => undefined },
    });
    pc.setConnectionState('connecting');
    expect(connection.reconnecting).toBe(false);
    pc.setConnectionState('failed');
    expect(connection.reconnecting).toBe(false);
    connection.destroy();
  });

  it('restartIfStalled leaves a working connection alone', async () => {
    const [a] = await connectedPair(() => fresh);
    a.pc.setConnectionState('connected');
    const offers = a.pc.offers.length;
    a.connection.restartIfStalled();
    a.pc.setConnectionState('disconnected');
    a.connection.restartIfStalled();
    await waitFor('the restart offer', () => a.pc.offers.length === offers + 1);
  });
});
