import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import {
  MAX_CANDIDATE_CHARS,
  MAX_PEER_ID_LENGTH,
  MAX_SDP_CHARS,
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
    // Only a publish carries a payload for y-webrtc, whatever else a frame holds.
    ['{"type":"subscribe","topic":"t","data":"x"}', null],
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

describe('signaling guard limits, at their edges', () => {
  const offer = { type: 'signal', from: PEER, token: 1, signal: { type: 'offer', sdp: 'v=0' } };
  const candidate = (value: unknown) => ({ ...offer, signal: { type: 'candidate', candidate: value } });

  it('accepts a frame of exactly MAX_SIGNALING_FRAME_CHARS', () => {
    const frame = (length: number): string => {
      const head = '{"type":"pong","x":"';
      return `${head}${'a'.repeat(length - head.length - 2)}"}`;
    };
    expect(frame(MAX_SIGNALING_FRAME_CHARS)).toHaveLength(MAX_SIGNALING_FRAME_CHARS);
    expect(parseSignalingFrame(frame(MAX_SIGNALING_FRAME_CHARS))).toEqual({ type: 'pong' });
    expect(parseSignalingFrame(frame(MAX_SIGNALING_FRAME_CHARS + 1))).toBeNull();
  });

  it('takes peer ids of 1 to MAX_PEER_ID_LENGTH characters, as sender and as recipient', () => {
    const longest = 'p'.repeat(MAX_PEER_ID_LENGTH);
    expect(checkSignalPayload({ type: 'announce', from: longest, to: longest }, context())).toBeNull();
    expect(checkSignalPayload({ type: 'announce', from: `${longest}p` }, context())).toBe('bad sender id');
    expect(checkSignalPayload({ type: 'announce', from: '' }, context())).toBe('bad sender id');
    expect(checkSignalPayload({ type: 'announce', from: PEER, to: '' }, context())).toBe('bad recipient id');
    expect(checkSignalPayload({ type: 'announce', from: PEER, to: `${longest}p` }, context())).toBe('bad recipient id');
  });

  it('asks the room whether the sender is blocked, by its id', () => {
    const asked: string[] = [];
    const isBlocked = (id: string): boolean => (asked.push(id), false);
    expect(checkSignalPayload({ type: 'announce', from: PEER }, context({ isBlocked }))).toBeNull();
    expect(asked).toEqual([PEER]);
  });

  it('refuses glare tokens that are not finite numbers, and signals that are not objects', () => {
    for (const token of [Number.NaN, Infinity, '1', null]) expect(checkSignalPayload({ ...offer, token }, context()), String(token)).toBe('bad glare token');
    expect(checkSignalPayload({ ...offer, token: 0 }, context())).toBeNull();
    for (const signal of [null, [], 'offer']) expect(checkSignalPayload({ ...offer, signal }, context())).toBe('missing signal');
  });

  it('takes SDP up to MAX_SDP_CHARS, for offers and answers', () => {
    const sdp = 'v'.repeat(MAX_SDP_CHARS);
    expect(checkSignalPayload({ ...offer, signal: { type: 'offer', sdp } }, context())).toBeNull();
    expect(checkSignalPayload({ ...offer, signal: { type: 'offer', sdp: `${sdp}v` } }, context())).toBe('bad sdp');
    expect(checkSignalPayload({ ...offer, signal: { type: 'answer', sdp: `${sdp}v` } }, context({ hasConnection: () => true }))).toBe('bad sdp');
    expect(checkSignalPayload({ ...offer, signal: { type: 'answer', sdp: 5 } }, context({ hasConnection: () => true }))).toBe('bad sdp');
  });

  it('counts connections against the cap only for offers from peers it has no connection with', () => {
    expect(checkSignalPayload(offer, context({ connectionCount: 19 }))).toBeNull();
    expect(checkSignalPayload(offer, context({ connectionCount: 20 }))).toBe('too many connections');
    expect(checkSignalPayload(offer, context({ connectionCount: 21 }))).toBe('too many connections');
    // A renegotiating peer already holds a connection: its offer is not a new one.
    expect(checkSignalPayload(offer, context({ connectionCount: 20, hasConnection: (id) => id === PEER }))).toBeNull();
    const connected: string[] = [];
    checkSignalPayload({ ...offer, signal: { type: 'answer', sdp: 'v=0' } }, context({ hasConnection: (id) => (connected.push(id), true) }));
    expect(connected).toEqual([PEER]);
  });

  it('takes candidates with a string line up to MAX_CANDIDATE_CHARS and an sdpMid or an integer sdpMLineIndex', () => {
    const line = 'c'.repeat(MAX_CANDIDATE_CHARS);
    expect(checkSignalPayload(candidate({ candidate: line, sdpMid: '0' }), context())).toBeNull();
    expect(checkSignalPayload(candidate({ candidate: 'c', sdpMLineIndex: 0 }), context())).toBeNull();
    expect(checkSignalPayload(candidate({ candidate: 'c', sdpMid: null, sdpMLineIndex: 2 }), context())).toBeNull();
    for (const bad of [
      { candidate: `${line}c`, sdpMid: '0' },
      { candidate: 5, sdpMid: '0' },
      { candidate: 'c', sdpMLineIndex: 1.5 },
      { candidate: 'c', sdpMLineIndex: '0' },
      { candidate: 'c', sdpMid: 0 },
      null,
      ['c'],
    ]) {
      expect(checkSignalPayload(candidate(bad), context()), JSON.stringify(bad)).toBe('bad candidate');
    }
  });
});

describe('guardSignalingSocket, an open room', () => {
  const socketRecording = (onEvent: (data: string) => void = () => undefined) => {
    const forwarded: string[] = [];
    const socket = {
      onmessage(event: MessageEvent) {
        forwarded.push(event.data as string);
        onEvent(event.data as string);
      },
    } as unknown as WebSocket;
    return { socket, forwarded };
  };
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

  it("hands a checked frame to y-webrtc decrypted, with the open room's key set aside for that call only", async () => {
    const key = await deriveKey('secret', 'topic-open');
    const open = { key: key as CryptoKey | null };
    const keysSeen: Array<CryptoKey | null> = [];
    const { socket, forwarded } = socketRecording(() => keysSeen.push(open.key));
    const dispose = registerGuardedRoom('topic-open', { key: Promise.resolve(key), context: context(), openRoom: () => open });
    guardSignalingSocket(socket);
    // A second guard would receive the decrypted hand-over and drop it (its data is no longer a string).
    guardSignalingSocket(socket);
    const payload = { type: 'announce', from: PEER };
    socket.onmessage!({ data: JSON.stringify({ type: 'publish', topic: 'topic-open', data: await encryptJson(payload, key) }) } as MessageEvent);
    await settle();
    dispose();
    expect(forwarded.map((data) => JSON.parse(data) as unknown)).toEqual([{ type: 'publish', topic: 'topic-open', data: payload }]);
    expect(keysSeen).toEqual([null]);
    expect(open.key).toBe(key);
  });

  it('forwards the frame as it came when y-webrtc has no open room for the topic', async () => {
    const key = await deriveKey('secret', 'topic-closed');
    const { socket, forwarded } = socketRecording();
    const dispose = registerGuardedRoom('topic-closed', { key: Promise.resolve(key), context: context(), openRoom: () => null });
    guardSignalingSocket(socket);
    const frame = JSON.stringify({ type: 'publish', topic: 'topic-closed', data: await encryptJson({ type: 'announce', from: PEER }, key) });
    socket.onmessage!({ data: frame } as MessageEvent);
    await settle();
    dispose();
    expect(forwarded).toEqual([frame]);
  });

  it('drops frames for a room without a key, and for a room whose disposer ran', async () => {
    const key = await deriveKey('secret', 'topic-k');
    const { socket, forwarded } = socketRecording();
    const disposeKeyless = registerGuardedRoom('topic-none', { key: Promise.resolve(null), context: context() });
    const dispose = registerGuardedRoom('topic-k', { key: Promise.resolve(key), context: context() });
    guardSignalingSocket(socket);
    const announce = await encryptJson({ type: 'announce', from: PEER }, key);
    socket.onmessage!({ data: JSON.stringify({ type: 'publish', topic: 'topic-none', data: announce }) } as MessageEvent);
    dispose();
    socket.onmessage!({ data: JSON.stringify({ type: 'publish', topic: 'topic-k', data: announce }) } as MessageEvent);
    await settle();
    disposeKeyless();
    expect(forwarded).toEqual([]);
  });

  it("a disposer removes only its own registration, not a newer room's of the same topic", async () => {
    const key = await deriveKey('secret', 'topic-re');
    const { socket, forwarded } = socketRecording();
    const disposeOld = registerGuardedRoom('topic-re', { key: Promise.resolve(key), context: context() });
    const disposeNew = registerGuardedRoom('topic-re', { key: Promise.resolve(key), context: context() });
    disposeOld();
    guardSignalingSocket(socket);
    const frame = JSON.stringify({ type: 'publish', topic: 'topic-re', data: await encryptJson({ type: 'announce', from: PEER }, key) });
    socket.onmessage!({ data: frame } as MessageEvent);
    await settle();
    disposeNew();
    expect(forwarded).toEqual([frame]);
  });

  it('leaves a socket without a message handler alone, and guards it once one is set', async () => {
    const socket = { onmessage: null } as unknown as WebSocket;
    guardSignalingSocket(socket);
    expect(socket.onmessage).toBeNull();
    const forwarded: string[] = [];
    socket.onmessage = (event: MessageEvent) => void forwarded.push(event.data as string);
    guardSignalingSocket(socket);
    socket.onmessage({ data: 'garbage{' } as MessageEvent);
    socket.onmessage({ data: '{"type":"pong"}' } as MessageEvent);
    await settle();
    expect(forwarded).toEqual(['{"type":"pong"}']);
  });
});
