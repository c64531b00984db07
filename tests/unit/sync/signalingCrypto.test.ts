/** Our signaling/BroadcastChannel encryption against y-webrtc's own crypto.js: the same wire format both ways. */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import { decryptBytes, deriveRoomKey, encryptBytes, openSignal, sealSignal } from '../../../src/sync/signalingCrypto';

const require = createRequire(import.meta.url);
/** y-webrtc's crypto.js (not exported by the package). */
const yWebrtcCrypto = (): Promise<{
  deriveKey(secret: string, roomName: string): Promise<CryptoKey>;
  encrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array>;
  decrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array>;
  encryptJson(data: unknown, key: CryptoKey): Promise<Uint8Array>;
  decryptJson(data: Uint8Array, key: CryptoKey): Promise<unknown>;
}> => import(/* @vite-ignore */ pathToFileURL(require.resolve('y-webrtc').replace(/dist[\\/]y-webrtc\.cjs$/, 'src/crypto.js')).href);

const SECRET = '__79_Pv6-fj39vX08_Lx8A';
const ROOM = 'room-name';

describe('signaling crypto (y-webrtc crypto.js format)', () => {
  it('what we seal, y-webrtc opens, and the other way round; bytes and signaling payloads', async () => {
    const theirs = await yWebrtcCrypto();
    const [ourKey, theirKey] = await Promise.all([deriveRoomKey(SECRET, ROOM), theirs.deriveKey(SECRET, ROOM)]);
    const payload = { type: 'signal', from: 'a', to: 'b', token: 1.25, signal: { type: 'offer', sdp: 'v=0\r\n' } };
    expect(await theirs.decryptJson(Buffer.from(await sealSignal(payload, ourKey), 'base64'), theirKey)).toEqual(payload);
    expect(await openSignal(Buffer.from(await theirs.encryptJson(payload, theirKey)).toString('base64'), ourKey)).toEqual(payload);
    const bytes = Uint8Array.of(0, 1, 2, 250);
    expect(await theirs.decrypt(await encryptBytes(bytes, ourKey), theirKey)).toEqual(bytes);
    expect(await decryptBytes(await theirs.encrypt(bytes, theirKey), ourKey)).toEqual(bytes);
  });

  it('returns null (never throws or rejects) for tampering, a wrong key, another algorithm and garbage', async () => {
    const key = await deriveRoomKey(SECRET, ROOM);
    const other = await deriveRoomKey('wrong', ROOM);
    const data = await sealSignal({ type: 'announce', from: 'a' }, key);
    expect(await openSignal(data, other)).toBeNull();
    const tampered = Buffer.from(data, 'base64');
    tampered[tampered.length - 1]! ^= 1;
    expect(await openSignal(tampered.toString('base64'), key)).toBeNull();
    const wrongAlgorithm = encoding.createEncoder();
    encoding.writeVarString(wrongAlgorithm, 'ROT13');
    expect(await openSignal(Buffer.from(encoding.toUint8Array(wrongAlgorithm)).toString('base64'), key)).toBeNull();
    for (const garbage of ['', '!!!', 'AAAA', 'x'.repeat(1000)]) expect(await openSignal(garbage, key)).toBeNull();
    expect(await decryptBytes(new Uint8Array(0), key)).toBeNull();
  });
});
