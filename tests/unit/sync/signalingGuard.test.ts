import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import {
  MAX_SIGNALING_FRAME_CHARS,
  checkSignalPayload,
  decryptSignalPayload,
  guardSignalingSocket,
  parseSignalingFrame,
  registerGuardedRoom,
  type SignalContext,
} from '../../../src/sync/signalingGuard';

/** y-webrtc's crypto.js, re-done here: PBKDF2 key and the AES-GCM envelope around lib0 `writeAny`. */
const deriveKey = async (secret: string, roomName: string): Promise<CryptoKey> => {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: new TextEncoder().encode(roomName), iterations: 100000, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    true,
    ['encrypt', 'decrypt'],
  );
};
const encryptJson = async (data: unknown, key: CryptoKey): Promise<string> => {
  const plain = encoding.createEncoder();
  encoding.writeAny(plain, data as never);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cipher = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoding.toUint8Array(plain));
  const envelope = encoding.createEncoder();
  encoding.writeVarString(envelope, 'AES-GCM');
  encoding.writeVarUint8Array(envelope, iv);
  encoding.writeVarUint8Array(envelope, new Uint8Array(cipher));
  return Buffer.from(encoding.toUint8Array(envelope)).toString('base64');
};

const context = (overrides: Partial<SignalContext> = {}): SignalContext => ({
  hasConnection: () => false,
  connectionCount: 0,
  maxConnections: 20,
  isBlocked: () => false,
  ...overrides,
});

const PEER = '2f1c7a9e-0000-4000-8000-000000000001';

describe('parseSignalingFrame', () => {
  it.each([
    ['not json', null],
    ['null', null],
    ['[]', null],
    ['{"type":5}', null],
    ['{"type":"publish","topic":1,"data":"x"}', null],
    ['{"type":"publish","topic":"t"}', null],
    ['{"type":"subscribe","topics":["t"]}', null],
    ['{"type":"pong"}', { type: 'pong' }],
    ['{"type":"publish","topic":"t","data":"x"}', { type: 'publish', topic: 't', data: 'x' }],
  ])('%s', (raw, expected) => {
    expect(parseSignalingFrame(raw)).toEqual(expected);
  });

  it('drops binary and oversized frames', () => {
    expect(parseSignalingFrame(new ArrayBuffer(4))).toBeNull();
    expect(parseSignalingFrame(`{"type":"pong","x":"${'a'.repeat(MAX_SIGNALING_FRAME_CHARS)}"}`)).toBeNull();
  });
});

describe('checkSignalPayload', () => {
  const offer = { type: 'signal', from: PEER, to: 'me', token: 1.5, signal: { type: 'offer', sdp: 'v=0' } };
  it.each([
    ['announce', { type: 'announce', from: PEER }, null],
    ['offer', offer, null],
    ['candidate', { ...offer, signal: { type: 'candidate', candidate: { candidate: 'c', sdpMid: '0', sdpMLineIndex: 0 } } }, null],
    ['not an object', 'x', 'payload is not an object'],
    ['no sender', { type: 'announce' }, 'bad sender id'],
    ['huge sender id', { type: 'announce', from: 'x'.repeat(100) }, 'bad sender id'],
    ['bad recipient', { ...offer, to: 5 }, 'bad recipient id'],
    ['unknown type', { type: 'hello', from: PEER }, 'unknown payload type'],
    ['signal without signal', { ...offer, signal: undefined }, 'missing signal'],
    ['signal without token', { ...offer, token: undefined }, 'bad glare token'],
    ['offer without sdp', { ...offer, signal: { type: 'offer' } }, 'bad sdp'],
    ['answer without a connection', { ...offer, signal: { type: 'answer', sdp: 'v=0' } }, 'answer without offer'],
    ['candidate without mid/index', { ...offer, signal: { type: 'candidate', candidate: { candidate: 'c' } } }, 'bad candidate'],
    ['renegotiate', { ...offer, signal: { renegotiate: true } }, 'unsupported signal type'],
  ])('%s', (_name, payload, expected) => {
    expect(checkSignalPayload(payload, context())).toBe(expected);
  });

  it('accepts answers for existing connections, refuses offers beyond the cap and blocked peers', () => {
    const answer = { ...offer, signal: { type: 'answer', sdp: 'v=0' } };
    expect(checkSignalPayload(answer, context({ hasConnection: () => true }))).toBeNull();
    expect(checkSignalPayload(offer, context({ connectionCount: 20 }))).toBe('too many connections');
    expect(checkSignalPayload(offer, context({ isBlocked: (id) => id === PEER }))).toBe('sender is blocked');
  });
});

describe('decryptSignalPayload', () => {
  it('decrypts what y-webrtc encrypts and returns null for tampering, wrong keys and garbage', async () => {
    const key = await deriveKey('secret', 'room');
    const other = await deriveKey('wrong', 'room');
    const data = await encryptJson({ type: 'announce', from: PEER }, key);
    expect(await decryptSignalPayload(data, key)).toEqual({ type: 'announce', from: PEER });
    expect(await decryptSignalPayload(data, other)).toBeNull();
    const bytes = Buffer.from(data, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    expect(await decryptSignalPayload(bytes.toString('base64'), key)).toBeNull();
    const wrongAlgorithm = encoding.createEncoder();
    encoding.writeVarString(wrongAlgorithm, 'ROT13');
    expect(await decryptSignalPayload(Buffer.from(encoding.toUint8Array(wrongAlgorithm)).toString('base64'), key)).toBeNull();
    for (const garbage of ['', '!!!', 'AAAA', 'x'.repeat(1000)]) expect(await decryptSignalPayload(garbage, key)).toBeNull();
  });
});

describe('guardSignalingSocket', () => {
  it('forwards only well-formed, decryptable frames for joined rooms, in order, without unhandled errors', async () => {
    const key = await deriveKey('secret', 'topic-a');
    const dispose = registerGuardedRoom('topic-a', { key: Promise.resolve(key), context: context() });
    const forwarded: string[] = [];
    const socket = {
      onmessage(event: MessageEvent) {
        forwarded.push(event.data as string);
        if (String(event.data).includes('"pong"')) throw new Error('handler bug'); // must be contained
      },
    } as unknown as WebSocket;
    guardSignalingSocket(socket);
    guardSignalingSocket(socket); // idempotent
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const frames = [
      'garbage{',
      'null',
      JSON.stringify({ type: 'publish', topic: 'topic-a', data: await encryptJson({ type: 'announce', from: PEER }, key) }),
      JSON.stringify({ type: 'publish', topic: 'topic-a', data: 'bm90IGNpcGhlcnRleHQ=' }),
      JSON.stringify({ type: 'publish', topic: 'topic-b', data: await encryptJson({ type: 'announce', from: PEER }, key) }),
      JSON.stringify({ type: 'publish', topic: 'topic-a', data: await encryptJson({ type: 'signal', from: PEER }, key) }),
      JSON.stringify({ type: 'pong' }),
      JSON.stringify({ type: 'publish', topic: 'topic-a', data: await encryptJson({ type: 'announce', from: 'peer-2' }, key) }),
    ];
    for (const data of frames) socket.onmessage!({ data } as MessageEvent);
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.off('unhandledRejection', onUnhandled);
    dispose();
    expect(forwarded).toEqual([frames[2], frames[6], frames[7]]);
    expect(unhandled).toEqual([]);
  });
});
