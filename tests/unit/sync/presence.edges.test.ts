/**
 * Presence at its edges: samePeers (untested before), the peer-list cap, arrays as states, and
 * names normalized before they are cleaned. (Written from the mutants StrykerJS found surviving.)
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { MAX_LISTED_PEERS, readPeers, samePeers, sanitizeDisplayName, type PresencePeer } from '../../../src/sync/presence';

const peer = (clientId: number, name = 'Ann', color = '#112233'): PresencePeer => ({ clientId, name, color });

describe('samePeers', () => {
  it('is true for the same people in the same order, false for any difference', () => {
    expect(samePeers([], [])).toBe(true);
    expect(samePeers([peer(1), peer(2, 'Bo')], [peer(1), peer(2, 'Bo')])).toBe(true);
    expect(samePeers([peer(1)], [])).toBe(false);
    expect(samePeers([], [peer(1)])).toBe(false);
    expect(samePeers([peer(1)], [peer(2)])).toBe(false);
    expect(samePeers([peer(1, 'Ann')], [peer(1, 'Bo')])).toBe(false);
    expect(samePeers([peer(1, 'Ann', '#112233')], [peer(1, 'Ann', '#445566')])).toBe(false);
    expect(samePeers([peer(1), peer(2)], [peer(1), peer(3)])).toBe(false);
  });
});

describe('readPeers', () => {
  it(`lists at most ${MAX_LISTED_PEERS} peers, the lowest client ids, and skips array states`, () => {
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    const states = new Map<number, unknown>();
    for (let id = 1; id <= MAX_LISTED_PEERS + 3; id++) states.set(awareness.clientID + id, { name: `p${id}` });
    states.set(awareness.clientID + 1000, ['not', 'an', 'object']);
    for (const [id, state] of states) awareness.getStates().set(id, state as never);
    const peers = readPeers(awareness);
    expect(peers).toHaveLength(MAX_LISTED_PEERS);
    expect(peers.map((p) => p.name)).toEqual(Array.from({ length: MAX_LISTED_PEERS }, (_, i) => `p${i + 1}`));
    awareness.destroy();
  });
});

describe('sanitizeDisplayName', () => {
  it('normalizes to NFC before cutting, so a decomposed name keeps its accents whole', () => {
    expect(sanitizeDisplayName('Cafe\u0301')).toBe('Caf\u00e9');
  });
});
