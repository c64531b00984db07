/**
 * decodePeerMessage at its edges: each refusal says why, limits hold at exactly the limit, and
 * awareness entries are dropped only for our own client and refused ids. (Written from the mutants
 * StrykerJS found surviving; see README, "Mutation testing".)
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import {
  MAX_AWARENESS_CLIENTS,
  MAX_AWARENESS_STATE_BYTES,
  MESSAGE_BC_PEER_ID,
  MESSAGE_SYNC,
  SYNC_STEP_1,
  SYNC_STEP_2,
  SYNC_UPDATE,
  decodePeerMessage,
  validateUpdate,
} from '../../../src/sync/peerMessage';
import { awarenessMessage } from './awarenessMessage';

const LOCAL = 42;

/** The bytes `write` encodes. */
const message = encoding.encode;

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

const sync = (syncType: number, payload: Uint8Array): Uint8Array =>
  message((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    encoding.writeVarUint(e, syncType);
    encoding.writeVarUint8Array(e, payload);
  });

/** What the decode stage says; for an update also the check stage of docs that are not notes (PeerRoom: validateUpdate). */
const errorOf = (bytes: Uint8Array): string => {
  const result = decodePeerMessage(bytes, { localClientId: LOCAL });
  if (!result.ok) return result.error;
  const { message } = result;
  if ((message.kind === 'update' || message.kind === 'sync-step-2') && !validateUpdate(message.update)) return 'undecodable update';
  return 'ok';
};

/** The client ids of the awareness entries a message keeps. */
const keptClients = (bytes: Uint8Array, mayWrite?: (clientId: number) => boolean): number[] => {
  const result = decodePeerMessage(bytes, { localClientId: LOCAL, ...(mayWrite ? { mayWrite } : {}) });
  if (!result.ok || result.message.kind !== 'awareness') throw new Error(`not an accepted awareness message: ${JSON.stringify(result)}`);
  return result.message.entries.map((entry) => entry.clientId);
};

describe('decodePeerMessage refusals say why', () => {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'hello');
  const update = Y.encodeStateAsUpdate(doc);
  const stateVector = Y.encodeStateVector(doc);

  it.each([
    ['an empty message', new Uint8Array(0), 'empty message'],
    ['an unknown type', Uint8Array.of(9), 'unknown message type 9'],
    ['a BroadcastChannel peer-id message', Uint8Array.of(MESSAGE_BC_PEER_ID, 1, 3, 0x61, 0x62, 0x63), 'BroadcastChannel peer-id message on a data channel'],
    ['an unknown sync type', sync(7, new Uint8Array(0)), 'unknown sync message type 7'],
    ['a sync message with trailing bytes', Uint8Array.from([...sync(SYNC_UPDATE, update), 0]), 'trailing bytes'],
    ['an awareness message with trailing bytes', Uint8Array.from([...awarenessMessage([[7, 1, json({})]]), 0]), 'trailing bytes'],
    ['an awareness update with trailing bytes inside', awarenessMessage([[7, 1, json({})]], [0]), 'trailing bytes in awareness update'],
    ['an awareness state that is an array', awarenessMessage([[7, 1, json([1])]]), 'awareness state is not an object'],
    ['an awareness state that is a number', awarenessMessage([[7, 1, json(3)]]), 'awareness state is not an object'],
    ['too many awareness clients', awarenessMessage(Array.from({ length: MAX_AWARENESS_CLIENTS + 1 }, (_, i): [number, number, Uint8Array] => [i + 100, 1, json({})])), `awareness update with ${MAX_AWARENESS_CLIENTS + 1} clients`],
    ['an awareness state one byte too big', awarenessMessage([[7, 1, new Uint8Array(MAX_AWARENESS_STATE_BYTES + 1).fill(0x20)]]), `awareness state of ${MAX_AWARENESS_STATE_BYTES + 1} bytes`],
  ])('%s', (_name, bytes, error) => {
    expect(errorOf(bytes)).toBe(error);
  });

  it('decodes undecodable input to an error naming the decoder failure', () => {
    expect(errorOf(Uint8Array.of(MESSAGE_SYNC))).toMatch(/^undecodable: ./);
  });

  it('refuses awareness state that is not valid UTF-8 (a lone continuation byte)', () => {
    expect(errorOf(awarenessMessage([[7, 1, Uint8Array.of(0x22, 0x80, 0x22)]]))).toMatch(/^undecodable: /);
  });

  it('checks the payload against its sync type: a state vector is not an update, nor the other way round', () => {
    expect(errorOf(sync(SYNC_STEP_1, stateVector))).toBe('ok');
    expect(errorOf(sync(SYNC_STEP_2, update))).toBe('ok');
    expect(errorOf(sync(SYNC_UPDATE, update))).toBe('ok');
    // A state vector claiming 200 clients with nothing behind it does not decode.
    expect(errorOf(sync(SYNC_STEP_1, Uint8Array.of(200)))).toMatch(/^undecodable/);
    expect(errorOf(sync(SYNC_UPDATE, Uint8Array.of(200)))).toMatch(/^undecodable/);
    expect(errorOf(sync(SYNC_STEP_2, Uint8Array.of(200)))).toMatch(/^undecodable/);
  });
});

describe('decodePeerMessage limits hold at exactly the limit', () => {
  it(`accepts ${MAX_AWARENESS_CLIENTS} awareness clients and a state of ${MAX_AWARENESS_STATE_BYTES} bytes`, () => {
    const many = awarenessMessage(Array.from({ length: MAX_AWARENESS_CLIENTS }, (_, i): [number, number, Uint8Array] => [i + 100, 1, json({})]));
    expect(errorOf(many)).toBe('ok');
    const state = new Uint8Array(MAX_AWARENESS_STATE_BYTES).fill(0x20);
    state.set(json({}), 0);
    expect(errorOf(awarenessMessage([[7, 1, state]]))).toBe('ok');
  });

  it('keeps every awareness entry but our own client and the ids it may not write for', () => {
    expect(keptClients(awarenessMessage([[7, 1, json({ name: 'Ann' })]]))).toEqual([7]);
    expect(keptClients(awarenessMessage([[LOCAL, 1, json({})], [7, 1, json({})]]))).toEqual([7]);
    expect(keptClients(awarenessMessage([[7, 1, json({})], [8, 1, json({})]]), (id) => id !== 8)).toEqual([7]);
  });
});
