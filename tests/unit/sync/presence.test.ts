import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import {
  DEFAULT_DISPLAY_NAME,
  MAX_DISPLAY_NAME_LENGTH,
  PRESENCE_PALETTE,
  colorForClient,
  judgePeer,
  localUser,
  peerLabel,
  readPeers,
  samePeers,
  sanitizeDisplayName,
  verdictText,
} from '../../../src/sync/presence';

describe('sanitizeDisplayName', () => {
  const cases: [unknown, string][] = [
    ['Ann', 'Ann'],
    ['  Ann   Lee  ', 'Ann Lee'],
    ['Ann\n\tLee', 'Ann Lee'],
    ['A\u0000n\u0007n\u007f', 'Ann'],
    ['\u202eevil\u202c', 'evil'],
    ['zero\u200bwidth', 'zerowidth'],
    ['', DEFAULT_DISPLAY_NAME],
    ['   \n ', DEFAULT_DISPLAY_NAME],
    ['\u0000\u200b', DEFAULT_DISPLAY_NAME],
    [undefined, DEFAULT_DISPLAY_NAME],
    [42, DEFAULT_DISPLAY_NAME],
    [{ toString: () => 'x' }, DEFAULT_DISPLAY_NAME],
    ['<img src=x onerror=alert(1)>', '<img src=x onerror=alert(1)>'], // text, rendered as text by React
    ['e\u0301', '\u00e9'], // NFC
  ];
  it.each(cases)('%j → %j', (input, expected) => {
    expect(sanitizeDisplayName(input)).toBe(expected);
  });

  it('clamps to MAX_DISPLAY_NAME_LENGTH code points without splitting surrogate pairs', () => {
    expect(sanitizeDisplayName('x'.repeat(1000))).toHaveLength(MAX_DISPLAY_NAME_LENGTH);
    const emoji = sanitizeDisplayName('😀'.repeat(100));
    expect(Array.from(emoji)).toHaveLength(MAX_DISPLAY_NAME_LENGTH);
    expect(emoji).toBe('😀'.repeat(MAX_DISPLAY_NAME_LENGTH));
    expect(sanitizeDisplayName('\ud800abc')).toBe('abc');
  });

  it('handles a 1 MB name (the time is printed, not asserted: speed is for the benchmarks)', () => {
    const started = performance.now();
    expect(sanitizeDisplayName('a '.repeat(512 * 1024))).toHaveLength(MAX_DISPLAY_NAME_LENGTH - 1);
    console.info(`sanitizeDisplayName of 1 MB: ${(performance.now() - started).toFixed(1)} ms`);
  });
});

describe('colorForClient', () => {
  it('is deterministic and from the palette', () => {
    for (const id of [0, 1, 2, 123456789, 2 ** 31 - 1, -5, Number.NaN]) {
      expect(colorForClient(id)).toBe(colorForClient(id));
      expect(PRESENCE_PALETTE).toContain(colorForClient(id));
    }
    expect(new Set([0, 1, 2, 3, 4].map(colorForClient)).size).toBe(5);
  });

  it('localUser sanitizes the name', () => {
    expect(localUser('  Bo ', 3)).toEqual({ name: 'Bo', color: colorForClient(3) });
  });
});

describe('readPeers', () => {
  it('validates untrusted remote states', () => {
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    awareness.setLocalState({ name: 'Me', color: '#000000' });
    const states = awareness.getStates() as Map<number, unknown>;
    states.set(10, { name: 'Ann', color: '#AABBCC' });
    states.set(11, { name: 'x'.repeat(1024 * 1024), color: 'red; background: url(evil)' });
    states.set(12, 'not an object');
    states.set(13, ['array']);
    states.set(14, { name: '<b>bold</b>' });
    states.set(9, { color: '#123456' });
    const peers = readPeers(awareness);
    expect(peers.map((p) => p.clientId)).toEqual([9, 10, 11, 14]);
    expect(peers[0]).toEqual({ clientId: 9, name: DEFAULT_DISPLAY_NAME, color: '#123456' });
    expect(peers[1]).toEqual({ clientId: 10, name: 'Ann', color: '#aabbcc' });
    expect(peers[2]!.name).toHaveLength(MAX_DISPLAY_NAME_LENGTH);
    expect(peers[2]!.color).toBe(colorForClient(11));
    expect(peers[3]!.name).toBe('<b>bold</b>');
  });

  it('ignores states claiming our own client id', () => {
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    awareness.setLocalState({ name: 'Impostor' });
    expect(readPeers(awareness)).toEqual([]);
  });
});

describe('judgePeer, peerLabel, verdictText: one verdict for the list and the caret', () => {
  const state = { name: ' Alex\u202e ', color: '#2E86AB' };
  it('verified: the name and the fingerprint; unproven: marked, with the reason; forged and unchecked: nothing', () => {
    const verified = judgePeer(7, state, { status: 'verified', device: { fingerprint: '1111 2222 3333 4444' } })!;
    expect(verified).toEqual({ clientId: 7, name: 'Alex', color: '#2e86ab', fingerprint: '1111 2222 3333 4444' });
    expect(peerLabel(verified)).toEqual({ name: 'Alex', title: 'Device key 1111 2222 3333 4444, verified' });
    const unproven = judgePeer(7, state, { status: 'unproven', reason: { kind: 'no-proof' } })!;
    expect(peerLabel(unproven).name).toBe('Alex (unverified)');
    expect(judgePeer(7, state, { status: 'forged' })).toBeNull();
    expect(judgePeer(7, state, { status: 'pending' })).toBeNull();
    // A pending re-signing shows the device as it was verified (its name then, not the new claim).
    expect(judgePeer(7, state, { status: 'pending', previous: { fingerprint: 'AAAA BBBB CCCC DDDD', name: 'Al' } })).toMatchObject({ name: 'Al', fingerprint: 'AAAA BBBB CCCC DDDD' });
  });

  it('clock offsets are rounded to whole minutes (at least one), so an honest skewed peer re-signing does not change the list', () => {
    const at = (offsetMs: number) => judgePeer(7, state, { status: 'unproven', reason: { kind: 'clock', offsetMs } })!;
    expect(at(-61_000).unproven).toEqual({ kind: 'clock', offsetMs: -60_000 });
    expect(at(-75_000).unproven).toEqual({ kind: 'clock', offsetMs: -60_000 });
    expect(at(-95_000).unproven).toEqual({ kind: 'clock', offsetMs: -120_000 });
    expect(at(301_000).unproven).toEqual({ kind: 'clock', offsetMs: 300_000 });
    expect(samePeers([at(-61_000)], [at(-75_000)])).toBe(true);
    expect(samePeers([at(-61_000)], [at(-95_000)])).toBe(false);
    expect(samePeers([at(-61_000)], [judgePeer(7, state, { status: 'unproven', reason: { kind: 'v1-proof' } })!])).toBe(false);
    expect(verdictText(at(-95_000))).toBe(
      "Device not verified: its device proof is dated about 2 min behind this device's clock (one of the two clocks is wrong, or an old presence was replayed)",
    );
    expect(verdictText(at(301_000))).toMatch(/about 5 min ahead of this device's clock/);
  });
});
