import { describe, expect, it } from 'vitest';
import { AwarenessOwnership, MAX_CLIENTS_PER_CONNECTION } from '../../../src/sync/awarenessOwnership';
import { MAX_AWARENESS_CLIENTS, MAX_AWARENESS_STATE_BYTES, decodePeerMessage } from '../../../src/sync/peerMessage';
import { awarenessMessage } from './awarenessMessage';
import { TokenBucket } from '../../../src/sync/TokenBucket';


/** True when the decode stage accepts an awareness message (any local id: none of these is ours). */
const accepts = (bytes: Uint8Array): boolean => decodePeerMessage(bytes, { localClientId: 1 }).ok;

describe('presence limits', () => {
  it('a presence message carries a room’s worth of states, each well under 4 KiB', () => {
    expect(MAX_AWARENESS_CLIENTS).toBeLessThanOrEqual(32);
    expect(MAX_AWARENESS_STATE_BYTES).toBeLessThan(4096);
    const state = JSON.stringify({ name: 'n'.repeat(64), color: '#2e86ab', cursor: { anchor: 'x'.repeat(200), focus: 'x'.repeat(200) } });
    expect(accepts(awarenessMessage([[7, 1, state]]))).toBe(true);
    const many = Array.from({ length: MAX_AWARENESS_CLIENTS + 1 }, (_, i): [number, number, string] => [10 + i, 1, '{}']);
    expect(accepts(awarenessMessage(many))).toBe(false);
    // The 3.75 MiB presence message.
    expect(accepts(awarenessMessage([[7, 1, JSON.stringify({ name: 'x'.repeat(3.75 * 1024 * 1024) })]]))).toBe(false);
  });

  it('a connection speaks for at most MAX_CLIENTS_PER_CONNECTION client ids', () => {
    const ownership = new AwarenessOwnership<object>(() => true);
    const channel = {};
    for (let id = 0; id < MAX_CLIENTS_PER_CONNECTION; id++) expect(ownership.claim(channel, id)).toBe(true);
    expect(ownership.claim(channel, 9999)).toBe(false);
    expect(ownership.claim(channel, 0)).toBe(true); // ids it owns stay its own
    // 20 hostile messages of invented ids leave a bounded number of states.
    const other = {};
    let accepted = 0;
    for (let m = 0; m < 20; m++) for (let i = 0; i < MAX_AWARENESS_CLIENTS; i++) if (ownership.claim(other, 10_000 + m * 100 + i)) accepted++;
    expect(accepted).toBe(MAX_CLIENTS_PER_CONNECTION);
    ownership.release(channel);
    expect(ownership.claim(channel, 12345)).toBe(true);
  });

  it('rate-limits with a token bucket: a burst, then the refill rate', () => {
    const bucket = new TokenBucket(3, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(10_000)).toBe(true);
    expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([true, true, false]);
  });
});
