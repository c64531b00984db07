/** The connection status' verdicts (issue 18): what the status line and "Connection details" say, and when. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionMonitor, UNREACHABLE_AFTER_MS, type MonitorInput } from '../../../src/sync/ConnectionMonitor';

const base: MonitorInput = { online: true, signalingConnected: true, paths: [], reconnecting: 0, tabs: 0, pending: 0, relayOnly: false };

describe('ConnectionMonitor', () => {
  let changes: number;
  let monitor: ConnectionMonitor;

  beforeEach(() => {
    vi.useFakeTimers();
    changes = 0;
    monitor = new ConnectionMonitor({ onChange: () => changes++ });
  });
  afterEach(() => {
    monitor.dispose();
    vi.useRealTimers();
  });

  it('signaling that does not answer: connecting, then unreachable after UNREACHABLE_AFTER_MS', async () => {
    monitor.update({ ...base, signalingConnected: false });
    expect(monitor.details).toMatchObject({ reachability: 'connecting', signaling: 'connecting' });
    await vi.advanceTimersByTimeAsync(UNREACHABLE_AFTER_MS - 1);
    expect(monitor.details.reachability).toBe('connecting');
    await vi.advanceTimersByTimeAsync(1);
    expect(monitor.details).toMatchObject({ reachability: 'unreachable', signaling: 'unreachable' });
    expect(changes).toBeGreaterThan(0);
    monitor.update(base);
    expect(monitor.details).toMatchObject({ reachability: 'looking', signaling: 'connected' });
  });

  it('offline is offline at once, whatever signaling does', () => {
    monitor.update({ ...base, online: false, signalingConnected: false });
    expect(monitor.details.reachability).toBe('offline');
  });

  it('nobody answering on working signaling is "looking", for as long as it lasts', async () => {
    monitor.update(base);
    await vi.advanceTimersByTimeAsync(10 * UNREACHABLE_AFTER_MS);
    expect(monitor.details.reachability).toBe('looking');
  });

  it('peers found but no connection opening: connecting, then unreachable, with the reason', async () => {
    monitor.update({ ...base, pending: 1 });
    expect(monitor.details.reachability).toBe('connecting');
    monitor.candidate('host');
    monitor.candidate('host');
    monitor.candidate('srflx');
    await vi.advanceTimersByTimeAsync(UNREACHABLE_AFTER_MS / 2);
    monitor.attemptFailed('No network path to the peer was found (ICE failed)');
    monitor.update({ ...base, pending: 1 }); // the peer announced again: another attempt
    await vi.advanceTimersByTimeAsync(UNREACHABLE_AFTER_MS / 2);
    expect(monitor.details).toMatchObject({
      reachability: 'unreachable',
      failedAttempts: 1,
      lastError: 'No network path to the peer was found (ICE failed)',
      candidates: { host: 2, srflx: 1, prflx: 0, relay: 0 },
    });
  });

  it('goes back to looking once failures stop and nothing is pending (the other peer left)', async () => {
    monitor.update({ ...base, pending: 1 });
    monitor.attemptFailed('failed');
    monitor.update(base);
    await vi.advanceTimersByTimeAsync(UNREACHABLE_AFTER_MS);
    expect(monitor.details.reachability).toBe('unreachable');
    await vi.advanceTimersByTimeAsync(UNREACHABLE_AFTER_MS);
    expect(monitor.details.reachability).toBe('looking');
  });

  it('a connection clears the failures; paths and tabs are reported', () => {
    monitor.update({ ...base, pending: 1 });
    monitor.attemptFailed('failed');
    monitor.update({ ...base, paths: [{ local: 'relay', remote: 'srflx' }, null], tabs: 1 });
    expect(monitor.details).toMatchObject({ reachability: 'connected', failedAttempts: 0, paths: [{ local: 'relay', remote: 'srflx' }, null], tabs: 1 });
  });

  it('"Try again" forgets failures and candidates and starts the clock again', async () => {
    monitor.update({ ...base, signalingConnected: false });
    monitor.candidate('relay');
    monitor.error('turn:t.example.org: 401 Unauthorized');
    await vi.advanceTimersByTimeAsync(UNREACHABLE_AFTER_MS);
    expect(monitor.details.reachability).toBe('unreachable');
    monitor.reset();
    expect(monitor.details).toMatchObject({ reachability: 'connecting', lastError: null, candidates: { relay: 0 } });
    await vi.advanceTimersByTimeAsync(UNREACHABLE_AFTER_MS);
    expect(monitor.details.reachability).toBe('unreachable');
  });

  it('tells its listener only about real changes, and nothing after dispose', async () => {
    monitor.update(base);
    const before = changes;
    monitor.update(base);
    expect(changes).toBe(before);
    monitor.update({ ...base, signalingConnected: false });
    monitor.dispose();
    await vi.advanceTimersByTimeAsync(UNREACHABLE_AFTER_MS * 3);
    expect(changes).toBe(before + 1);
  });
});
