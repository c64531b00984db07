import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import {
  MAX_AWARENESS_STATE_BYTES,
  MESSAGE_AWARENESS,
  MESSAGE_BC_PEER_ID,
  MESSAGE_QUERY_AWARENESS,
  MESSAGE_SYNC,
  checkPeerMessage,
} from '../../../src/sync/peerMessage';
import { mulberry32, randomBytes, testSeed } from './prng';

const SEED = testSeed(777);
const LOCAL = 42;

const message = (write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
};

const awarenessMessage = (entries: [number, number, string][]): Uint8Array =>
  message((e) => {
    encoding.writeVarUint(e, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(
      e,
      message((inner) => {
        encoding.writeVarUint(inner, entries.length);
        for (const [id, clock, json] of entries) {
          encoding.writeVarUint(inner, id);
          encoding.writeVarUint(inner, clock);
          encoding.writeVarString(inner, json);
        }
      }),
    );
  });

describe('checkPeerMessage', () => {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'hello');

  const valid: [string, Uint8Array][] = [
    ['sync step 1', message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); syncProtocol.writeSyncStep1(e, doc); })],
    ['sync step 2', message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); syncProtocol.writeSyncStep2(e, doc); })],
    ['update', message((e) => { encoding.writeVarUint(e, MESSAGE_SYNC); syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(doc)); })],
    ['query awareness', Uint8Array.of(MESSAGE_QUERY_AWARENESS)],
    ['awareness', awarenessMessage([[7, 1, '{"name":"Ann"}'], [8, 3, 'null']])],
  ];

  it.each(valid)('accepts %s unchanged', (_name, bytes) => {
    const result = checkPeerMessage(bytes, LOCAL);
    expect(result).toEqual({ ok: true, message: bytes });
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
    const result = checkPeerMessage(bytes, LOCAL);
    expect(result.ok).toBe(false);
  });

  it('strips awareness entries that claim our own client id (echoes are normal in y-webrtc)', () => {
    const result = checkPeerMessage(awarenessMessage([[LOCAL, 99, '{"name":"evil"}'], [7, 1, '{"name":"Ann"}']]), LOCAL);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const decoder = decoding.createDecoder(result.message);
    expect(decoding.readVarUint(decoder)).toBe(MESSAGE_AWARENESS);
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    awarenessProtocol.applyAwarenessUpdate(awareness, decoding.readVarUint8Array(decoder), 'test');
    expect([...awareness.getStates().keys()].sort()).toEqual([7, awareness.clientID].sort());
  });

  it('never throws on seeded random input, and what it accepts applies without throwing', () => {
    const next = mulberry32(SEED);
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(1 + Math.floor(next() * 40), SEED + i);
      bytes[0] = [0, 1, 3, 4, 9][Math.floor(next() * 5)]!;
      if (bytes[0] === 0 && bytes.length > 1) bytes[1] = Math.floor(next() * 3);
      const result = checkPeerMessage(bytes, LOCAL);
      if (result.ok && bytes[0] === MESSAGE_SYNC) {
        const target = new Y.Doc();
        const decoder = decoding.createDecoder(result.message);
        decoding.readVarUint(decoder);
        expect(() => syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), target, 'x'), `seed ${SEED}, i ${i}`).not.toThrow();
      }
    }
  });
});
