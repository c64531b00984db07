/**
 * Presence at its edges: samePeers (untested before), the peer-list cap, arrays as states, and
 * names normalized before they are cleaned. (Written from the mutants StrykerJS found surviving.)
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import {
  DEFAULT_DISPLAY_NAME,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_LISTED_PEERS,
  PRESENCE_PALETTE,
  colorForClient,
  readPeers,
  samePeers,
  sanitizeColor,
  sanitizeDisplayName,
  type PresencePeer,
} from '../../../src/sync/presence';

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

describe('sanitizeDisplayName, character by character', () => {
  // One of each class UNSAFE_CHARS removes, at both ends of each range it lists. (U+FEFF is
  // white space to a JS regex: it becomes a space before UNSAFE_CHARS sees it.)
  const unsafe = [
    '\u0000', '\u001f', '\u007f', '\u009f', '\u00ad', '\u061c', '\u180e', '\u200b', '\u200f', '\u202a', '\u202e',
    '\u2060', '\u206f', '\ufff9', '\ufffb',
  ];
  it.each(unsafe.map((c) => [c.codePointAt(0)!.toString(16).padStart(4, '0'), c]))('removes U+%s', (_code, c) => {
    expect(sanitizeDisplayName(`A${c}n${c}${c}n`)).toBe('Ann');
  });

  it('keeps the characters just outside those ranges', () => {
    for (const c of ['\u00ae', '\u061b', '\u180d', '\u2010', '\u2070', '\ufffc']) {
      expect(sanitizeDisplayName(`A${c}n`), c.codePointAt(0)!.toString(16)).toBe(`A${c}n`.normalize('NFC'));
    }
  });

  it('turns white space into single spaces before removing controls, and trims after cutting', () => {
    // A control between two spaces leaves one space, not two.
    expect(sanitizeDisplayName('Ann \u0000 Lee')).toBe('Ann Lee');
    expect(sanitizeDisplayName('Ann\u2003\u2003Lee')).toBe('Ann Lee');
    expect(sanitizeDisplayName('Ann\ufeffLee')).toBe('Ann Lee');
    // Leading white space does not count toward the cut.
    expect(sanitizeDisplayName(`  \u0000 ${'x'.repeat(MAX_DISPLAY_NAME_LENGTH + 5)}`)).toBe('x'.repeat(MAX_DISPLAY_NAME_LENGTH));
    // The cut at MAX_DISPLAY_NAME_LENGTH lands after a space: it is trimmed.
    expect(sanitizeDisplayName(`${'x'.repeat(MAX_DISPLAY_NAME_LENGTH - 1)} tail`)).toBe('x'.repeat(MAX_DISPLAY_NAME_LENGTH - 1));
  });

  it('removes lone surrogates wherever they are, and keeps pairs', () => {
    expect(sanitizeDisplayName('a\udc00b')).toBe('ab');
    expect(sanitizeDisplayName('ab\ud800')).toBe('ab');
    expect(sanitizeDisplayName('a\udc00\ud800b')).toBe('ab');
    expect(sanitizeDisplayName('a\ud83d\ude00b')).toBe('a\ud83d\ude00b');
    expect(sanitizeDisplayName('\ud800')).toBe(DEFAULT_DISPLAY_NAME);
  });

  it(`looks at the first ${MAX_DISPLAY_NAME_LENGTH * 8} characters of a raw name only`, () => {
    // Controls fill the scanned part: nothing is left, however long the rest.
    expect(sanitizeDisplayName(`${'\u0000'.repeat(MAX_DISPLAY_NAME_LENGTH * 8)}visible`)).toBe(DEFAULT_DISPLAY_NAME);
    expect(sanitizeDisplayName(`${'\u0000'.repeat(MAX_DISPLAY_NAME_LENGTH * 8 - 1)}visible`)).toBe('v');
  });
});

describe('colours', () => {
  it('takes a claimed colour only as a whole #rrggbb value, lower-cased', () => {
    expect(sanitizeColor('#A1b2C3', 1)).toBe('#a1b2c3');
    for (const bad of ['#a1b2c', '#a1b2c3d', 'x#a1b2c3', '#a1b2c3 ', '#g1b2c3', 'a1b2c3', 0xa1b2c3, null]) {
      expect(sanitizeColor(bad, 3), String(bad)).toBe(colorForClient(3));
    }
  });

  it('gives a client id its palette entry by |id| modulo the palette, and unsafe ids the first', () => {
    const n = PRESENCE_PALETTE.length;
    expect(colorForClient(0)).toBe(PRESENCE_PALETTE[0]);
    expect(colorForClient(n + 2)).toBe(PRESENCE_PALETTE[2]);
    expect(colorForClient(-3)).toBe(PRESENCE_PALETTE[3]);
    for (const id of [Number.NaN, 2 ** 53, 1.5, Infinity]) expect(colorForClient(id), String(id)).toBe(PRESENCE_PALETTE[0]);
  });
});

describe('readPeers, client ids', () => {
  it('skips client ids that are not safe integers, and sorts numerically', () => {
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    const states = awareness.getStates() as Map<number, unknown>;
    for (const id of [2 ** 53, 1.5, 100, 20, 3]) states.set(id, { name: `c${id}` });
    // A null state (typeof 'object') is skipped like any other non-object, not read.
    states.set(50, null);
    expect(readPeers(awareness).map((p) => p.clientId)).toEqual([3, 20, 100]);
    awareness.destroy();
  });
});
