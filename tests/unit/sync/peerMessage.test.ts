import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import {
  MAX_AWARENESS_STATE_BYTES,
  MESSAGE_BC_PEER_ID,
  MESSAGE_QUERY_AWARENESS,
  MESSAGE_SYNC,
  decodePeerMessage,
  encodeAwarenessEntries,
  validateUpdate,
  type DecodedPeerMessage,
} from '../../../src/sync/peerMessage';
import { awarenessMessage } from './awarenessMessage';
import { mulberry32, randomBytes, seedsFor } from '../../prng';
import { oracleCounter } from '../../oracle';

const LOCAL = 42;

/** The bytes `write` encodes. */
const message = encoding.encode;

/**
 * What PeerRoom takes from a peer on a doc that is not a note: the decoded message when the
 * decode stage accepts it and, for an update, the check stage (validateUpdate) does too; else null.
 */
const accepted = (bytes: Uint8Array): DecodedPeerMessage | null => {
  const result = decodePeerMessage(bytes, { localClientId: LOCAL });
  if (!result.ok) return null;
  const decoded = result.message;
  if ((decoded.kind === 'update' || decoded.kind === 'sync-step-2') && !validateUpdate(decoded.update)) return null;
  return decoded;
};

describe('decodePeerMessage', () => {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'hello');

  const valid: [string, Uint8Array, DecodedPeerMessage['kind']][] = [
    ['sync step 1', message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); syncProtocol.writeSyncStep1(e, doc); }), 'sync-step-1'],
    ['sync step 2', message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); syncProtocol.writeSyncStep2(e, doc); }), 'sync-step-2'],
    ['update', message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(doc)); }), 'update'],
    ['query awareness', Uint8Array.of(MESSAGE_QUERY_AWARENESS), 'query-awareness'],
    ['awareness', awarenessMessage([[7, 1, '{"name":"Ann"}'], [8, 3, 'null']]), 'awareness'],
  ];

  it.each(valid)('accepts %s', (_name, bytes, kind) => {
    expect(accepted(bytes)?.kind).toBe(kind);
  });

  const invalid: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['unknown type', Uint8Array.of(9)],
    ['bc peer id over a data channel', message((e) => { encoding.writeVarUint(e, MESSAGE_BC_PEER_ID); encoding.writeUint8(e, 1); encoding.writeVarString(e, 'someone'); })],
    ['unknown sync type', Uint8Array.of(MESSAGE_SYNC, 7, 0)],
    ['truncated update', Uint8Array.of(MESSAGE_SYNC, 2, 10, 1, 2)],
    ['update claiming a huge length', Uint8Array.of(MESSAGE_SYNC, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1)],
    ['garbage update', message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); encoding.writeVarUint(e, 2); encoding.writeVarUint8Array(e, Uint8Array.of(5, 200, 1, 2, 3)); })],
    ['trailing bytes', Uint8Array.of(MESSAGE_QUERY_AWARENESS, 0)],
    ['awareness state not JSON', awarenessMessage([[7, 1, '{name']])],
    ['awareness state not an object', awarenessMessage([[7, 1, '"just a string"']])],
    ['awareness state too big', awarenessMessage([[7, 1, JSON.stringify({ name: 'x'.repeat(MAX_AWARENESS_STATE_BYTES) })]])],
    ['awareness with too many clients', awarenessMessage(Array.from({ length: 300 }, (_, i): [number, number, string] => [i + 100, 1, '{}']))],
  ];

  it.each(invalid)('rejects %s', (_name, bytes) => {
    expect(accepted(bytes)).toBeNull();
  });

  it('strips awareness entries that claim our own client id (echoes are normal in y-webrtc)', () => {
    const result = accepted(awarenessMessage([[LOCAL, 99, '{"name":"evil"}'], [7, 1, '{"name":"Ann"}']]));
    expect(result?.kind).toBe('awareness');
    if (result?.kind !== 'awareness') return;
    expect(result.dropped).toBe(1);
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    awarenessProtocol.applyAwarenessUpdate(awareness, encodeAwarenessEntries(result.entries), 'test');
    expect([...awareness.getStates().keys()].sort()).toEqual([7, awareness.clientID].sort());
  });

  /** A y-webrtc message a peer could send, built from a randomly edited doc: valid as built. */
  const validMessage = (next: () => number): Uint8Array => {
    const source = new Y.Doc();
    const text = source.getText('t');
    for (let i = Math.floor(next() * 4); i >= 0; i--) text.insert(Math.floor(next() * (text.length + 1)), 'abc xyz'.slice(0, 1 + Math.floor(next() * 7)));
    if (text.length > 2 && next() < 0.5) text.delete(Math.floor(next() * (text.length - 1)), 1);
    switch (Math.floor(next() * 5)) {
      case 0: return message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); syncProtocol.writeSyncStep1(e, source); });
      case 1: return message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); syncProtocol.writeSyncStep2(e, source); });
      case 2: return message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(source)); });
      case 3: return Uint8Array.of(MESSAGE_QUERY_AWARENESS);
      default: return awarenessMessage(Array.from({ length: 1 + Math.floor(next() * 3) }, (_, k): [number, number, string] =>
        [Math.floor(next() * 1000), 1 + k, next() < 0.2 ? 'null' : JSON.stringify({ name: `n${k}`, x: Math.floor(next() * 99) })]));
    }
  };

  /** `bytes` damaged at random: a byte changed, cut short, extended, or left as is. */
  const damaged = (bytes: Uint8Array, next: () => number): Uint8Array => {
    const out = Uint8Array.from(bytes);
    switch (Math.floor(next() * 4)) {
      case 0: out[Math.floor(next() * out.length)] = Math.floor(next() * 256); return out;
      case 1: return out.slice(0, Math.floor(next() * out.length));
      case 2: return Uint8Array.from([...out, Math.floor(next() * 256)]);
      default: return out;
    }
  };

  const fuzzSeeds = seedsFor('peerMessage fuzz', { pinned: [777], fresh: 1 });

  it('never throws on seeded random input, and what it accepts applies without throwing', () => {
    const hits = oracleCounter('peerMessage fuzz', ['never-throws', 'valid-accepted', 'accepted-sync-applies', 'accepted-awareness-applies', 'rejected', 'yjs-logged-error']);
    // Yjs catches what goes wrong while integrating an update and logs it instead of throwing.
    // Counted, not failed: decoding and validateUpdate promise complete decoding, not a sound update
    // (a damaged update that decodes can still reference structs that do not exist).
    const logged = vi.spyOn(console, 'error').mockImplementation(() => hits.hit('yjs-logged-error'));
    try {
      for (const seed of fuzzSeeds) {
        const next = mulberry32(seed);
        for (let i = 0; i < 1500; i++) {
          const at = `seed ${seed}, case ${i}`;
          const kind = Math.floor(next() * 3);
          let bytes: Uint8Array;
          if (kind === 0) {
            // Random bytes behind a plausible type (and sync type): almost always rejected.
            bytes = randomBytes(1 + Math.floor(next() * 40), seed + i);
            bytes[0] = [0, 1, 3, 4, 9][Math.floor(next() * 5)]!;
            if (bytes[0] === 0 && bytes.length > 1) bytes[1] = Math.floor(next() * 3);
          } else {
            bytes = validMessage(next);
            if (kind === 2) bytes = damaged(bytes, next);
          }
          let result!: DecodedPeerMessage | null;
          expect(() => { result = accepted(bytes); }, at).not.toThrow();
          hits.hit('never-throws');
          if (kind === 1) {
            expect(result, `${at}: a valid message was rejected`).not.toBeNull();
            hits.hit('valid-accepted');
          }
          if (result === null) {
            hits.hit('rejected');
            continue;
          }
          const target = new Y.Doc();
          target.getText('t').insert(0, 'local');
          if (result.kind === 'sync-step-1' || result.kind === 'update' || result.kind === 'sync-step-2') {
            // Through y-protocols' reader, which logs what Yjs fails to integrate (counted above).
            const decoder = decoding.createDecoder(bytes);
            decoding.readVarUint(decoder);
            expect(() => syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), target, 'x'), at).not.toThrow();
            hits.hit('accepted-sync-applies');
          } else if (result.kind === 'awareness') {
            const awareness = new awarenessProtocol.Awareness(new Y.Doc());
            const entries = result.entries;
            expect(() => awarenessProtocol.applyAwarenessUpdate(awareness, encodeAwarenessEntries(entries), 'x'), at).not.toThrow();
            awareness.destroy();
            hits.hit('accepted-awareness-applies');
          }
        }
      }
    } finally {
      logged.mockRestore();
    }
    hits.assertAtLeast({ 'yjs-logged-error': 0, 'valid-accepted': 200 * fuzzSeeds.length, 'accepted-sync-applies': 200 * fuzzSeeds.length, 'accepted-awareness-applies': 50 * fuzzSeeds.length, rejected: 200 * fuzzSeeds.length });
  });
});
