import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { EchoFilter, MAX_REMEMBERED_BYTES, MAX_REMEMBERED_PAYLOADS } from '../../../src/sync/EchoFilter';
import { MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS, MESSAGE_SYNC, SYNC_STEP_1, SYNC_STEP_2, SYNC_UPDATE } from '../../../src/sync/peerMessage';

/** A y-webrtc message as its rooms write them. */
const syncMessage = (syncType: number, payload: Uint8Array): Uint8Array => {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  encoding.writeVarUint(encoder, syncType);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
};
const awarenessMessage = (update: Uint8Array): Uint8Array => {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
};

/** What a doc emits (y-webrtc's doc update handler broadcasts exactly this) while `fn` runs. */
const emitted = (doc: Y.Doc, fn: () => void): Uint8Array[] => {
  const out: Uint8Array[] = [];
  const onUpdate = (update: Uint8Array): void => void out.push(update);
  doc.on('update', onUpdate);
  fn();
  doc.off('update', onUpdate);
  return out;
};

describe('EchoFilter', () => {
  it('recognises the update a doc re-broadcasts after applying a peer update as the echo of it, once', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const filter = new EchoFilter(); // b's filter for its channel to a
    const [fromA] = emitted(a, () => a.getText('t').insert(0, 'hello'));
    filter.noteReceived(syncMessage(SYNC_UPDATE, fromA!));
    const [relay] = emitted(b, () => Y.applyUpdate(b, fromA!, 'room'));
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, relay!))).toBe(true);
    // Each received payload excuses one message: the same bytes again go out.
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, relay!))).toBe(false);
  });

  it('recognises the re-broadcast of a sync step 2 (a whole note with its history) as its echo', () => {
    const a = new Y.Doc();
    const text = a.getText('t');
    for (let i = 0; i < 300; i++) text.insert(i % 7 === 0 ? 0 : text.length, String.fromCharCode(97 + (i % 26)));
    text.delete(10, 40);
    const b = new Y.Doc();
    const step2 = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
    const filter = new EchoFilter();
    filter.noteReceived(syncMessage(SYNC_STEP_2, step2));
    const [relay] = emitted(b, () => Y.applyUpdate(b, step2, 'room'));
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, relay!))).toBe(true);
  });

  it('lets through an update that carries more than the peer sent (structs that were pending here)', () => {
    const a = new Y.Doc();
    const c = new Y.Doc();
    const b = new Y.Doc();
    // c's second edit reaches b before its first: it waits as pending.
    const [first] = emitted(c, () => c.getText('t').insert(0, 'one '));
    const [second] = emitted(c, () => c.getText('t').insert(4, 'two'));
    Y.applyUpdate(b, second!, 'room');
    // a relays c's first edit; applying it also integrates the pending one.
    Y.applyUpdate(a, first!, 'room');
    const filter = new EchoFilter();
    filter.noteReceived(syncMessage(SYNC_UPDATE, first!));
    const [relay] = emitted(b, () => Y.applyUpdate(b, first!, 'room'));
    expect(b.getText('t').toString()).toBe('one two');
    // a never had "two": the relay must reach it.
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, relay!))).toBe(false);
  });

  it('recognises a re-encoded awareness update as the echo of the one received', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const awarenessA = new Awareness(a);
    const awarenessB = new Awareness(b);
    awarenessA.setLocalState({ name: 'Ann', color: '#2e86ab', cursor: { anchor: [1, 2], head: null } });
    const received = awarenessMessage(encodeAwarenessUpdate(awarenessA, [a.clientID]));
    const filter = new EchoFilter();
    filter.noteReceived(received);
    let relay: Uint8Array | null = null;
    // y-webrtc's awareness handler: encode the changed clients and broadcast.
    awarenessB.on('update', ({ added, updated, removed }: Record<string, number[]>) => {
      relay = awarenessMessage(encodeAwarenessUpdate(awarenessB, [...added!, ...updated!, ...removed!]));
    });
    applyAwarenessUpdate(awarenessB, encodeAwarenessUpdate(awarenessA, [a.clientID]), 'room');
    expect(relay).not.toBeNull();
    expect(filter.isEcho(relay!)).toBe(true);
    // Our own state is never an echo.
    awarenessB.setLocalState({ name: 'Bo', color: '#000000' });
    expect(filter.isEcho(relay!)).toBe(false);
    awarenessA.destroy();
    awarenessB.destroy();
  });

  it('never drops sync steps, queries or anything that does not decode, and never matches across kinds', () => {
    const filter = new EchoFilter();
    const payload = Uint8Array.of(0, 0);
    filter.noteReceived(syncMessage(SYNC_STEP_1, payload));
    filter.noteReceived(syncMessage(SYNC_UPDATE, payload));
    expect(filter.isEcho(syncMessage(SYNC_STEP_1, payload))).toBe(false);
    expect(filter.isEcho(syncMessage(SYNC_STEP_2, payload))).toBe(false);
    expect(filter.isEcho(awarenessMessage(payload))).toBe(false);
    expect(filter.isEcho(Uint8Array.of(MESSAGE_QUERY_AWARENESS))).toBe(false);
    expect(filter.isEcho(Uint8Array.of(MESSAGE_SYNC, SYNC_UPDATE, 200))).toBe(false);
    expect(filter.isEcho(new Uint8Array(0))).toBe(false);
    filter.noteReceived(Uint8Array.of(MESSAGE_SYNC)); // garbage is ignored, not thrown on
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, payload))).toBe(true);
  });

  it('remembers a bounded number of payloads and bytes', () => {
    const filter = new EchoFilter();
    const numbered = (i: number): Uint8Array => Uint8Array.of(i & 255, i >> 8);
    for (let i = 0; i <= MAX_REMEMBERED_PAYLOADS; i++) filter.noteReceived(syncMessage(SYNC_UPDATE, numbered(i)));
    // The oldest was forgotten; the newest are still known.
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, numbered(0)))).toBe(false);
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, numbered(MAX_REMEMBERED_PAYLOADS)))).toBe(true);
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, numbered(1)))).toBe(true);

    const huge = new Uint8Array(MAX_REMEMBERED_BYTES + 1);
    filter.noteReceived(syncMessage(SYNC_UPDATE, huge));
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, huge))).toBe(false);
    const half = new Uint8Array(MAX_REMEMBERED_BYTES / 2 + 1);
    filter.noteReceived(syncMessage(SYNC_UPDATE, half));
    filter.noteReceived(syncMessage(SYNC_UPDATE, half.slice()));
    // Two of them do not fit: only the second is remembered.
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, half))).toBe(true);
    expect(filter.isEcho(syncMessage(SYNC_UPDATE, half))).toBe(false);
  });
});
