/**
 * The WebRTC adapter in Node (no signaling server, fake WebRTC): lifecycle,
 * and what it does on the BroadcastChannel that y-webrtc uses between tabs.
 * Peer-to-peer behaviour is covered by the browser e2e suite.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { Awareness } from 'y-protocols/awareness';
import { createWebrtcTransportFactory } from '../../../src/sync/webrtc';
import { deriveRoomName, roomPassword } from '../../../src/sync/keys';
import { MESSAGE_SYNC } from '../../../src/sync/peerMessage';
import { fakeWrtc } from './fakeWrtc';

const ROOM = { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: '__79_Pv6-fj39vX08_Lx8A' };
/** What y-webrtc's room broadcasts to other tabs when it connects: peer id, sync step 1 and 2, awareness query and state. */
const CONNECT_BROADCASTS = 5;

const require = createRequire(import.meta.url);
/** y-webrtc's own message encryption (not exported by the package), to speak as another tab would. */
const yWebrtcCrypto = (): Promise<{
  deriveKey(secret: string, roomName: string): Promise<CryptoKey>;
  encrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array>;
}> => import(/* @vite-ignore */ pathToFileURL(require.resolve('y-webrtc').replace(/dist[\\/]y-webrtc\.cjs$/, 'src/crypto.js')).href);

/** Another tab of this browser on the note's room: records what it hears. */
const otherTab = async (): Promise<{ channel: BroadcastChannel; heard: unknown[] }> => {
  const channel = new BroadcastChannel(await deriveRoomName(ROOM.noteId, ROOM.secret));
  const heard: unknown[] = [];
  channel.onmessage = (event: MessageEvent) => heard.push(event.data);
  tabs.push(channel);
  return { channel, heard };
};
const tabs: BroadcastChannel[] = [];

afterEach(() => {
  for (const tab of tabs.splice(0)) tab.close();
  vi.restoreAllMocks();
});

describe('WebRTC transport', () => {
  it('starts offline without signaling, refuses a second transport for the note, and can reopen after destroy', async () => {
    const tab = await otherTab();
    const factory = createWebrtcTransportFactory({ signaling: [], wrtc: fakeWrtc });
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const first = factory(doc, awareness, ROOM);
    expect(first.status).toBe('offline');
    expect(first.peerCount).toBe(0);
    expect(first.awareness).toBe(awareness);
    expect(() => factory(new Y.Doc(), awareness, ROOM)).toThrow(/already open/);
    // Key derivation (PBKDF2) done and the room connected: it announces itself to other tabs.
    await vi.waitFor(() => expect(tab.heard.length).toBeGreaterThanOrEqual(CONNECT_BROADCASTS));
    first.destroy();
    first.destroy();
    const second = factory(doc, awareness, ROOM);
    await vi.waitFor(() => expect(tab.heard.length).toBeGreaterThanOrEqual(2 * CONNECT_BROADCASTS + 1)); // + first's goodbye
    expect(second.status).toBe('offline');
    second.destroy();
    doc.destroy();
  });

  it('does not decrypt and re-apply what it broadcast to other tabs itself, and still applies what other tabs send', async () => {
    // lib0's publish also hands each message to this tab's own subscribers;
    // y-webrtc used to decrypt and apply all of it again (the whole note on connect).
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    const tab = await otherTab();
    const doc = new Y.Doc();
    const local = { local: true };
    const foreign: unknown[] = [];
    doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (tr.origin !== local) foreign.push(tr.origin);
    });
    doc.transact(() => doc.getText('t').insert(0, 'written before the room connected'), local);
    const transport = createWebrtcTransportFactory({ signaling: [], wrtc: fakeWrtc })(doc, new Awareness(doc), ROOM);
    await vi.waitFor(() => expect(tab.heard.length).toBeGreaterThanOrEqual(CONNECT_BROADCASTS));
    doc.transact(() => doc.getText('t').insert(0, 'typed. '), local);
    // Published (to the other tab and, synchronously, to this tab's subscribers).
    await vi.waitFor(() => expect(tab.heard.length).toBeGreaterThanOrEqual(CONNECT_BROADCASTS + 1));
    expect(decrypt).not.toHaveBeenCalled();
    expect(foreign).toEqual([]);

    const { deriveKey, encrypt } = await yWebrtcCrypto();
    const key = await deriveKey(roomPassword(ROOM.secret), await deriveRoomName(ROOM.noteId, ROOM.secret));
    const elsewhere = new Y.Doc();
    elsewhere.getText('t').insert(0, 'from the other tab. ');
    const message = encoding.createEncoder();
    encoding.writeVarUint(message, MESSAGE_SYNC);
    syncProtocol.writeUpdate(message, Y.encodeStateAsUpdate(elsewhere));
    tab.channel.postMessage(await encrypt(encoding.toUint8Array(message), key));
    await vi.waitFor(() => expect(doc.getText('t').toString()).toContain('from the other tab. '));
    expect(decrypt).toHaveBeenCalledTimes(1);
    transport.destroy();
    doc.destroy();
  });
});
