/** The status line's words (issue 18): a note that is not shared says so; a shared one tells the truth about its peers. */
import { describe, expect, it } from 'vitest';
import type { ConnectionDetails } from '../../../src/sync/ConnectionMonitor';
import { syncStatusText } from '../../../src/ui/Presence';

const details = (change: Partial<ConnectionDetails>): ConnectionDetails => ({
  reachability: 'looking',
  signaling: 'connected',
  candidates: { host: 1, srflx: 0, prflx: 0, relay: 0 },
  paths: [],
  reconnecting: 0,
  tabs: 0,
  failedAttempts: 0,
  lastError: null,
  relayOnly: false,
  ...change,
});

describe('syncStatusText', () => {
  it('says "Not shared" for a note nobody else has, whatever the network does', () => {
    expect(syncStatusText({ sync: 'connecting', peerCount: 0, shared: false, connection: details({}) })).toBe('Not shared');
    expect(syncStatusText({ sync: 'offline', peerCount: 0, shared: false, connection: null })).toBe('Not shared');
  });

  it('names each state of a shared note', () => {
    const text = (reachability: ConnectionDetails['reachability']) =>
      syncStatusText({ sync: 'connecting', peerCount: 0, shared: true, connection: details({ reachability }) });
    expect(text('looking')).toBe('Looking for peers…');
    expect(text('connecting')).toBe('Connecting…');
    expect(text('unreachable')).toBe("Can't reach other peers");
    expect(text('offline')).toBe('Offline');
  });

  it('says how peers are connected: direct, relayed, or how many are relayed', () => {
    const connected = (paths: ConnectionDetails['paths'], peerCount = paths.length) =>
      syncStatusText({ sync: 'connected', peerCount, shared: true, connection: details({ reachability: 'connected', paths }) });
    expect(connected([{ local: 'host', remote: 'srflx' }])).toBe('Connected to 1 peer, direct');
    expect(connected([{ local: 'relay', remote: 'host' }])).toBe('Connected to 1 peer, relayed');
    expect(connected([{ local: 'relay', remote: 'relay' }, { local: 'host', remote: 'host' }, null])).toBe('Connected to 3 peers, 1 relayed');
    expect(connected([null])).toBe('Connected to 1 peer');
    // A tab of this browser counts as a peer (no WebRTC path), also for a note not shared.
    expect(syncStatusText({ sync: 'connected', peerCount: 1, shared: false, connection: details({ reachability: 'connected', tabs: 1 }) })).toBe(
      'Connected to 1 peer',
    );
  });

  it('a peer whose path broke (ICE restart) is "reconnecting", not connected by the path it lost', () => {
    const status = (paths: ConnectionDetails['paths'], reconnecting: number, peerCount = paths.length) =>
      syncStatusText({ sync: 'connected', peerCount, shared: true, connection: details({ reachability: 'connected', paths, reconnecting }) });
    expect(status([null], 1)).toBe('Connected to 1 peer, reconnecting…');
    // A disconnected path is still the old pair until the restart: the words say it is not working.
    expect(status([{ local: 'host', remote: 'srflx' }], 1)).toBe('Connected to 1 peer, reconnecting…');
    expect(status([{ local: 'relay', remote: 'relay' }, null], 1)).toBe('Connected to 2 peers, 1 reconnecting');
    // A tab besides: not every peer is reconnecting.
    expect(status([null], 1, 2)).toBe('Connected to 2 peers, 1 reconnecting');
  });

  it('falls back to the transport status where there are no details (a transport without peer connections)', () => {
    expect(syncStatusText({ sync: 'offline', peerCount: 0, shared: true, connection: null })).toBe('Offline');
    expect(syncStatusText({ sync: 'connecting', peerCount: 0, shared: true, connection: null })).toBe('Looking for peers…');
  });
});
