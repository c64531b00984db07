/**
 * The peer network in Node: lifecycle, the BroadcastChannel to other tabs
 * (y-webrtc's encrypted format, checked with y-webrtc's own crypto.js), and
 * two "browsers" syncing over a real Weft signaling server and the fake
 * WebRTC, with each transport's named origin. Hostile peers: hostilePeer.test.ts.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { Awareness } from 'y-protocols/awareness';
import { createWeftServer, type WeftServer } from '../../../server/createServer.js';
import { silentLogger } from '../../../server/logger.js';
import { PeerNetwork, type PeerNetworkOptions } from '../../../src/sync/PeerNetwork';
import { ORIGIN_PEER_GONE } from '../../../src/sync/PeerRoom';
import { ORIGIN_PEER, ORIGIN_TAB } from '../../../src/doc/origins';
import { deriveNoteKeys } from '../../../src/sync/noteKeys';
import { SIGNED_MARKER } from '../../../src/sync/signedUpdate';
import { viewCapability } from '../../../src/doc/noteId';
import { MESSAGE_AWARENESS, MESSAGE_BC_PEER_ID, MESSAGE_QUERY_AWARENESS, MESSAGE_SYNC, peerMessage } from '../../../src/sync/peerMessage';
import { FakePeerConnection, fakeWrtc } from './fakeWrtc';
import { loadYWebrtc } from './stockYWebrtc';
import type { PeerConnection } from '../../../src/sync/PeerConnection';
import { DataChannelLink } from '../../../src/sync/DataChannelLink';
import { SIGNATURE_BYTES, isSignedMessage } from '../../../src/sync/signedUpdate';
import { AUTH_HELLO_MARKER, AUTH_PROOF_MARKER, ChannelAuth } from '../../../src/sync/channelAuth';
import { waitFor } from '../waitFor';
import { mulberry32, seedsFor } from '../../prng';

const ROOM = { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: '__79_Pv6-fj39vX08_Lx8A' };

const require = createRequire(import.meta.url);
/** y-webrtc's own message encryption (not exported by the package), to speak as a stock tab would. */
const yWebrtcCrypto = (): Promise<{
  deriveKey(secret: string, roomName: string): Promise<CryptoKey>;
  encrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array>;
  decrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array>;
}> => import(/* @vite-ignore */ pathToFileURL(require.resolve('y-webrtc').replace(/dist[\\/]y-webrtc\.cjs$/, 'src/crypto.js')).href);

/** Another tab of this browser on the note's room (stock y-webrtc's view): records the message types it hears. */
const otherTab = async (): Promise<{ channel: BroadcastChannel; heard: number[]; key: CryptoKey }> => {
  const { roomId: roomName, password } = await deriveNoteKeys(ROOM.noteId, ROOM.secret);
  const crypto = await yWebrtcCrypto();
  const key = await crypto.deriveKey(password, roomName);
  const channel = new BroadcastChannel(roomName);
  const heard: number[] = [];
  channel.onmessage = (event: MessageEvent) => {
    // A signed update is recorded by its marker (0xF6, signedUpdate.ts): stock y-webrtc cannot read it.
    void crypto
      .decrypt(event.data as Uint8Array, key)
      .then((message) => heard.push(message[0] === SIGNED_MARKER ? SIGNED_MARKER : decoding.readVarUint(decoding.createDecoder(message))));
  };
  cleanup.push(() => channel.close());
  return { channel, heard, key };
};

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanup.splice(0).reverse()) undo();
  vi.restoreAllMocks();
});

const network = (options: Partial<PeerNetworkOptions> = {}): PeerNetwork => {
  const created = new PeerNetwork({ signaling: () => [], RTCPeerConnection: fakeWrtc.RTCPeerConnection, ...options });
  cleanup.push(() => created.destroy());
  return created;
};

/** A note's doc and awareness with a name, destroyed after the test. */
const note = (name: string): { doc: Y.Doc; awareness: Awareness; origins: unknown[] } => {
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  awareness.setLocalState({ name });
  const origins: unknown[] = [];
  doc.on('afterTransaction', (tr: Y.Transaction) => {
    if (tr.origin !== null) origins.push(tr.origin);
  });
  cleanup.push(() => {
    awareness.destroy();
    doc.destroy();
  });
  return { doc, awareness, origins };
};

describe('PeerNetwork: lifecycle and tabs', () => {
  it('starts offline without signaling, refuses a second transport for the note, and can reopen after destroy', async () => {
    const tab = await otherTab();
    const net = network();
    const { doc, awareness } = note('Ann');
    const first = net.join(doc, awareness, ROOM, { firewall: false });
    expect(first.status).toBe('offline');
    expect(first.peerCount).toBe(0);
    expect(first.awareness).toBe(awareness);
    expect(() => net.join(new Y.Doc(), awareness, ROOM)).toThrow(/already open/);
    // Key derivation done: it tells other tabs who it is and its state vector, asks for presence and gives its own.
    await waitFor('the four greetings', () => tab.heard.length === 4);
    expect(tab.heard).toEqual([MESSAGE_BC_PEER_ID, MESSAGE_SYNC, MESSAGE_QUERY_AWARENESS, MESSAGE_AWARENESS]);
    // Its whole state (signed) only once another tab says it is there, with its id in return;
    // a tab alone never encodes its note for nobody.
    tab.channel.postMessage(await (await yWebrtcCrypto()).encrypt(peerMessage(MESSAGE_BC_PEER_ID, (e) => {
      encoding.writeUint8(e, 1);
      encoding.writeVarString(e, 'another-tab');
    }), tab.key));
    await waitFor('its id and state for the new tab', () => tab.heard.length === 6);
    expect(tab.heard.slice(4)).toEqual([MESSAGE_BC_PEER_ID, SIGNED_MARKER]);
    expect(first.peerCount).toBe(1);
    first.destroy();
    first.destroy();
    // Its goodbye: peer id removed, presence removed.
    await waitFor('the goodbyes', () => tab.heard.length === 8);
    expect(tab.heard.slice(6)).toEqual([MESSAGE_BC_PEER_ID, MESSAGE_AWARENESS]);
    const second = net.join(doc, awareness, ROOM, { firewall: false });
    await waitFor('greetings again', () => tab.heard.length === 12);
    expect(second.status).toBe('offline');
    second.destroy();
  });

  it('applies what another tab sends with ORIGIN_TAB, and never decrypts its own broadcasts', async () => {
    const tab = await otherTab();
    const { doc, awareness, origins } = note('Ann');
    doc.getText('t').insert(0, 'written before the room connected');
    const local = origins.length;
    const transport = network().join(doc, awareness, ROOM, { firewall: false });
    await waitFor('the greetings', () => tab.heard.length === 4);
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    const elsewhere = new Y.Doc();
    elsewhere.getText('t').insert(0, 'from the other tab. ');
    const message = encoding.createEncoder();
    encoding.writeVarUint(message, MESSAGE_SYNC);
    syncProtocol.writeUpdate(message, Y.encodeStateAsUpdate(elsewhere));
    const signed = await (await deriveNoteKeys(ROOM.noteId, ROOM.secret)).sealUpdate(encoding.toUint8Array(message));
    tab.channel.postMessage(await (await yWebrtcCrypto()).encrypt(signed!, tab.key));
    await waitFor('the other tab’s text', () => doc.getText('t').toString().includes('from the other tab. '));
    expect(origins.slice(local)).toEqual([ORIGIN_TAB]);
    expect(decrypt).toHaveBeenCalledTimes(1);
    transport.destroy();
  });

  it('refuses an update from another tab that is unsigned or signed by another key, before decoding it', async () => {
    const tab = await otherTab();
    const { doc, awareness, origins } = note('Ann');
    const transport = network().join(doc, awareness, ROOM, { firewall: false });
    await waitFor('the greetings', () => tab.heard.length === 4);
    const update = (text: string): Uint8Array => {
      const elsewhere = new Y.Doc();
      elsewhere.getText('t').insert(0, text);
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(elsewhere));
      return encoding.toUint8Array(encoder);
    };
    const yCrypto = await yWebrtcCrypto();
    const post = async (bytes: Uint8Array) => tab.channel.postMessage(await yCrypto.encrypt(bytes, tab.key));
    const forger = await deriveNoteKeys(ROOM.noteId, 'AAAAAAAAAAAAAAAAAAAAAA');
    await post(update('unsigned'));
    await post((await forger.sealUpdate(update('signed by another key')))!);
    // The marker: a rightly signed update posted after both.
    await post((await (await deriveNoteKeys(ROOM.noteId, ROOM.secret)).sealUpdate(update('marker')))!);
    await waitFor('the marker', () => doc.getText('t').toString().includes('marker'));
    expect(doc.getText('t').toString()).toBe('marker');
    expect(origins.filter((o) => o === ORIGIN_TAB)).toHaveLength(1);
    transport.destroy();
  });

  it('two tabs sync over BroadcastChannel, count each other as a peer, and do not connect over WebRTC', async () => {
    const [a, b] = [note('Ann'), note('Bob')];
    const RTCPeerConnection = vi.fn();
    const ta = network({ RTCPeerConnection: RTCPeerConnection as never }).join(a.doc, a.awareness, ROOM, { firewall: false });
    const tb = network({ RTCPeerConnection: RTCPeerConnection as never }).join(b.doc, b.awareness, ROOM, { firewall: false });
    a.doc.getText('t').insert(0, 'A');
    b.doc.getText('t').insert(0, 'B');
    await waitFor('both tabs to converge and count each other', () =>
      ta.peerCount === 1 && tb.peerCount === 1 && a.doc.getText('t').length === 2 && a.doc.getText('t').toString() === b.doc.getText('t').toString(),
    );
    expect([ta.status, tb.status]).toEqual(['connected', 'connected']);
    await waitFor('presence both ways', () => a.awareness.getStates().has(b.doc.clientID) && b.awareness.getStates().has(a.doc.clientID));
    expect(a.origins).toContain(ORIGIN_TAB);
    expect(RTCPeerConnection).not.toHaveBeenCalled();
    tb.destroy();
    await waitFor('the tab gone', () => ta.peerCount === 0 && !a.awareness.getStates().has(b.doc.clientID));
    ta.destroy();
  });
});

/** Node's `ws` sends no Origin, and the server accepts only its own. */
class SameOriginWebSocket extends NodeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { origin: `http://${new URL(url).host}` });
  }
}

describe('PeerNetwork: two browsers over signaling and WebRTC', () => {
  let server: WeftServer;
  let signalingUrl: string;
  let staticDir: string;

  beforeAll(async () => {
    staticDir = mkdtempSync(join(tmpdir(), 'weft-network-'));
    server = createWeftServer({ staticDir, host: '127.0.0.1', port: 0, logger: silentLogger });
    signalingUrl = `ws://127.0.0.1:${(await server.listen()).port}/signal`;
  });
  afterAll(async () => {
    await server.close();
    rmSync(staticDir, { recursive: true, force: true });
  });

  /** A browser's network: its own signaling socket, WebRTC (fake, recording its connections in `pcs`), no tabs. */
  const browser = (options: Partial<PeerNetworkOptions> = {}, pcs: FakePeerConnection[] = []): PeerNetwork =>
    network({
      signaling: () => [signalingUrl],
      WebSocket: SameOriginWebSocket as never,
      BroadcastChannel: null,
      RTCPeerConnection: class extends FakePeerConnection {
        constructor(config?: unknown) {
          super(config);
          pcs.push(this);
        }
      } as never,
      ...options,
    });
  /** The note ids of `count` notes, with their secrets. */
  const rooms = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ noteId: `${ROOM.noteId.slice(0, 20)}${String(i).padStart(2, '0')}`, secret: ROOM.secret }));

  it('a lost answer to the first sync is asked for again: both sides end with both texts', async () => {
    const [a, b] = [note('Ann'), note('Bob')];
    a.doc.getText('t').insert(0, 'from A. ');
    b.doc.getText('t').insert(0, 'from B. ');
    // The first sync step 2 either side sends never arrives (as in the rare interop failure).
    const send = DataChannelLink.prototype.send;
    let dropped = 0;
    vi.spyOn(DataChannelLink.prototype, 'send').mockImplementation(function (this: DataChannelLink, message: Uint8Array) {
      // A sync step 2 travels signed: the envelope, then the y-webrtc message.
      const inner = isSignedMessage(message) ? message.subarray(2 + SIGNATURE_BYTES) : message;
      if (dropped === 0 && inner[0] === MESSAGE_SYNC && inner[1] === syncProtocol.messageYjsSyncStep2) {
        dropped++;
        return;
      }
      send.call(this, message);
    });
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
    const ta = browser().join(a.doc, a.awareness, ROOM, { firewall: false });
    await waitFor('A on signaling', () => ta.status === 'connecting' && server.stats().subscriptions === 1);
    const tb = browser().join(b.doc, b.awareness, ROOM, { firewall: false });
    await waitFor('connected', () => ta.peerCount === 1 && tb.peerCount === 1);
    await waitFor('both texts on both sides', () =>
      [a, b].every(({ doc }) => doc.getText('t').toString().includes('from A. ') && doc.getText('t').toString().includes('from B. ')),
    );
    expect(dropped).toBe(1);
    expect(warnings.filter((w) => w.includes('no sync answer from peer'))).toHaveLength(1);
  });

  it('syncs doc and presence with ORIGIN_PEER, removes a closed peer’s presence, and closes its socket with the last note', async () => {
    const [a, b] = [note('Ann'), note('Bob')];
    const ta = browser().join(a.doc, a.awareness, ROOM, { firewall: false });
    await waitFor('A on signaling', () => ta.status === 'connecting' && server.stats().subscriptions === 1);
    const tb = browser().join(b.doc, b.awareness, ROOM, { firewall: false });
    a.doc.getText('t').insert(0, 'from A. ');
    await waitFor('connected and synced', () => ta.peerCount === 1 && tb.peerCount === 1 && b.doc.getText('t').toString() === 'from A. ');
    b.doc.getText('t').insert(0, 'from B. ');
    await waitFor('B’s edit on A', () => a.doc.getText('t').toString() === 'from B. from A. ');
    expect(a.origins).toContain(ORIGIN_PEER);
    expect(b.origins).toContain(ORIGIN_PEER);
    expect(a.origins).not.toContain(ORIGIN_TAB);
    await waitFor('presence both ways', () => a.awareness.getStates().has(b.doc.clientID) && b.awareness.getStates().has(a.doc.clientID));
    const removedBy: unknown[] = [];
    a.awareness.on('update', ({ removed }: { removed: number[] }, origin: unknown) => {
      if (removed.includes(b.doc.clientID)) removedBy.push(origin);
    });
    tb.destroy();
    await waitFor('B gone from A', () => ta.peerCount === 0 && !a.awareness.getStates().has(b.doc.clientID));
    // B's goodbye usually arrives before its connection closes; either way its presence is gone.
    expect(removedBy.length).toBe(1);
    expect([ORIGIN_PEER, ORIGIN_PEER_GONE]).toContain(removedBy[0]);
    expect(ta.status).toBe('connecting');
    ta.destroy();
    await waitFor('every socket closed', () => server.stats().connections === 0);
  });

  it('a view-only browser reads live, forwards editors’ signed updates verbatim to its tab, and sends nothing of its own', async () => {
    const keys = await deriveNoteKeys(ROOM.noteId, ROOM.secret);
    const viewRoom = { noteId: ROOM.noteId, secret: viewCapability(keys.readKey, keys.publicKey) };
    const [a, v, c] = [note('Ann (editor)'), note('Vic (view only)'), note('Cid (editor, a tab of Vic’s browser)')];
    // Ann —WebRTC— Vic —BroadcastChannel— Cid: everything between Ann and Cid crosses Vic.
    const tabsOfVic = `vic-tabs-${crypto.randomUUID()}`;
    class VicsTabs extends BroadcastChannel {
      constructor(name: string) {
        super(`${tabsOfVic}/${name}`);
      }
    }
    const ta = browser().join(a.doc, a.awareness, ROOM, { firewall: false });
    await waitFor('Ann on signaling', () => ta.status === 'connecting' && server.stats().subscriptions === 1);
    const tv = browser({ BroadcastChannel: VicsTabs as never }).join(v.doc, v.awareness, viewRoom, { firewall: false });
    const tc = network({ signaling: () => [], RTCPeerConnection: null, BroadcastChannel: VicsTabs as never }).join(c.doc, c.awareness, ROOM, { firewall: false });
    await waitFor('Ann–Vic over WebRTC, Vic–Cid over the tab channel', () => ta.peerCount === 1 && tv.peerCount === 2 && tc.peerCount === 1);
    a.doc.getText('t').insert(0, 'from Ann. ');
    await waitFor('Ann’s edit at Vic and, through Vic, at Cid', () => c.doc.getText('t').toString() === 'from Ann. ' && v.doc.getText('t').toString() === 'from Ann. ');
    c.doc.getText('t').insert(0, 'from Cid. ');
    await waitFor('Cid’s edit at Ann, through Vic', () => a.doc.getText('t').toString() === 'from Cid. from Ann. ');
    // Vic writes (a forced editor): it stays at Vic. The marker: Ann's next edit reaches Cid after it.
    v.doc.getText('t').insert(0, 'VIC ');
    a.doc.getText('t').insert(a.doc.getText('t').length, 'marker.');
    await waitFor('the marker at Cid', () => c.doc.getText('t').toString().endsWith('marker.'));
    expect(a.doc.getText('t').toString()).not.toContain('VIC');
    expect(c.doc.getText('t').toString()).not.toContain('VIC');
    expect(v.doc.getText('t').toString()).toContain('VIC');
    // Nobody struck Vic: it only ever forwarded what editors signed.
    expect([ta.peerCount, tv.peerCount, tc.peerCount]).toEqual([1, 2, 1]);
    for (const t of [ta, tv, tc]) t.destroy();
    await waitFor('every socket closed', () => server.stats().connections === 0);
  });

  it.each([
    ['one connection per remote tab, every note on it (multiplexed)', true, 1],
    ['one connection per note (stock y-webrtc’s way, multiplexing off)', false, 10],
  ])('two browsers sharing ten notes: %s', async (_name, multiplex, connections) => {
    const [pcsA, pcsB] = [[] as FakePeerConnection[], [] as FakePeerConnection[]];
    const [netA, netB] = [browser({ multiplex }, pcsA), browser({ multiplex }, pcsB)];
    const notes = rooms(10).map((room, i) => {
      const [a, b] = [note('Ann'), note('Bob')];
      const ta = netA.join(a.doc, a.awareness, room, { firewall: false });
      a.doc.getText('t').insert(0, `note ${i} from A. `);
      return { room, a, b, ta, tb: null as ReturnType<PeerNetwork['join']> | null };
    });
    await waitFor('A on signaling in every note', () => server.stats().subscriptions === 10);
    // B opens the notes one after the other, as a user would.
    for (const entry of notes) {
      entry.tb = netB.join(entry.b.doc, entry.b.awareness, entry.room, { firewall: false });
      entry.b.doc.getText('t').insert(0, 'B. ');
      await waitFor(`note ${entry.room.noteId} synced`, () =>
        entry.ta.peerCount === 1 && entry.a.doc.getText('t').toString() === entry.b.doc.getText('t').toString() && entry.a.doc.getText('t').toString().includes('B. ') && entry.b.doc.getText('t').toString().includes('from A'),
      );
    }
    expect(notes.every(({ a, b }) => a.origins.includes(ORIGIN_PEER) && b.origins.includes(ORIGIN_PEER))).toBe(true);
    await waitFor('presence in every note', () => notes.every(({ a, b }) => a.awareness.getStates().has(b.doc.clientID)));
    expect([pcsA.length, pcsB.length]).toEqual([connections, connections]);
    // Closing a note closes its channel only: the others keep syncing over the shared connection.
    notes[0]!.tb!.destroy();
    await waitFor('note 0 without B', () => notes[0]!.ta.peerCount === 0);
    notes[9]!.b.doc.getText('t').insert(0, 'still here. ');
    await waitFor('note 9 still syncing', () => notes[9]!.a.doc.getText('t').toString().startsWith('still here. '));
    for (const { ta, tb } of notes) {
      ta.destroy();
      tb?.destroy();
    }
    await waitFor('every socket closed', () => server.stats().connections === 0);
  });

  it('"Hide my IP address" toggled in one note makes the connection every note of the tab shares again, under the new policy', async () => {
    // The notes of two tabs ride one connection; only the note on screen hears the toggle (the
    // others' sessions may be closed). Releasing that note's channel alone left the connection
    // to the other note, and the note's new channel joined it again: the old path, the old policy.
    let policy: RTCIceTransportPolicy = 'all';
    const [pcsA, pcsB] = [[] as FakePeerConnection[], [] as FakePeerConnection[]];
    const [netA, netB] = [browser({ iceTransportPolicy: () => policy }, pcsA), browser({}, pcsB)];
    const [first, second] = rooms(2);
    const [a1, b1, a2, b2] = [note('Ann'), note('Bob'), note('Ann'), note('Bob')];
    const ta1 = netA.join(a1.doc, a1.awareness, first!, { firewall: false });
    const ta2 = netA.join(a2.doc, a2.awareness, second!, { firewall: false });
    await waitFor('A on signaling in both notes', () => server.stats().subscriptions === 2);
    const tb1 = netB.join(b1.doc, b1.awareness, first!, { firewall: false });
    await waitFor('the first note connected', () => ta1.peerCount === 1 && tb1.peerCount === 1);
    const tb2 = netB.join(b2.doc, b2.awareness, second!, { firewall: false });
    await waitFor('both notes connected', () => ta2.peerCount === 1 && tb2.peerCount === 1);
    expect(pcsA.length + pcsB.length).toBe(2); // one connection, both notes on it
    const old = [...pcsA, ...pcsB];
    policy = 'relay';
    ta1.connection!.retry({ reconnectAll: true });
    await waitFor('both notes connected again, on a new connection', () =>
      ta1.peerCount === 1 && ta2.peerCount === 1 && tb1.peerCount === 1 && tb2.peerCount === 1 && pcsA.length + pcsB.length > 2,
    );
    // The old connection is gone for both notes; A's connection now is relay-only.
    expect(old.every((pc) => pc.channel?.readyState !== 'open')).toBe(true);
    const live = pcsA.filter((pc) => pc.channel?.readyState === 'open');
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((pc) => pc.configuration.iceTransportPolicy === 'relay')).toBe(true);
    a2.doc.getText('t').insert(0, 'second note still syncs. ');
    await waitFor('the second note synced on the new connection', () => b2.doc.getText('t').toString() === 'second note still syncs. ');
    for (const t of [ta1, ta2, tb1, tb2]) t.destroy();
    await waitFor('every socket closed', () => server.stats().connections === 0);
  });

  it('a note’s channel on the shared connection that hears the other side before its own `open` (Chromium’s order) still proves and syncs: no second connection', async () => {
    // The opener's in-band channel gets the acceptor's hellos (compression, then the proof's) while
    // still `connecting`; it opens on the next turn. A proof answered then was dropped unsent, the
    // acceptor refused the note's first message as "not an auth message", both re-announced, and
    // the tabs opened a second RTCPeerConnection.
    const [pcsA, pcsB] = [[] as FakePeerConnection[], [] as FakePeerConnection[]];
    const [netA, netB] = [browser({}, pcsA), browser({}, pcsB)];
    const [first, second] = rooms(2);
    const [a1, b1, a2, b2] = [note('Ann'), note('Bob'), note('Ann'), note('Bob')];
    const ta1 = netA.join(a1.doc, a1.awareness, first!, { firewall: false });
    const ta2 = netA.join(a2.doc, a2.awareness, second!, { firewall: false });
    a2.doc.getText('t').insert(0, 'A. ');
    await waitFor('A on signaling in both notes', () => server.stats().subscriptions === 2);
    const tb1 = netB.join(b1.doc, b1.awareness, first!, { firewall: false });
    await waitFor('first note connected', () => ta1.peerCount === 1 && tb1.peerCount === 1);
    expect([pcsA.length, pcsB.length]).toEqual([1, 1]);
    // A opens the second note's channel (it hears B announce); its end gets B's two hellos
    // (compression's, the proof's) while still `connecting`, and opens only once whatever A
    // started on them has finished, as Chromium may order it on a busy machine.
    pcsA[0]!.extraChannelsOpenLate = true;
    const receive = ChannelAuth.prototype.receive;
    const proofSteps: Promise<unknown>[] = [];
    vi.spyOn(ChannelAuth.prototype, 'receive').mockImplementation(function (this: ChannelAuth, message: Uint8Array) {
      const step = receive.call(this, message);
      proofSteps.push(step);
      return step;
    });
    const closedChannels = () => [...pcsA, ...pcsB].flatMap((pc) => pc.extraChannels).filter((channel) => channel.readyState === 'closed').length;
    const tb2 = netB.join(b2.doc, b2.awareness, second!, { firewall: false });
    b2.doc.getText('t').insert(0, 'B. ');
    const late = () => pcsA[0]!.extraChannels[0];
    await waitFor('B’s hellos on A’s channel before its open', () => late()?.receivedWhileConnecting === 2);
    await Promise.all(proofSteps);
    await new Promise((resolve) => setImmediate(resolve)); // (what the room does with a step runs in its continuation)
    expect(late()!.readyState).toBe('connecting');
    late()!.open();
    await waitFor('second note synced both ways', () =>
      ta2.peerCount === 1 && tb2.peerCount === 1 && a2.doc.getText('t').toString() === b2.doc.getText('t').toString() && a2.doc.getText('t').length === 6,
    );
    expect(pcsA[0]!.extraChannels.length).toBe(1);
    expect(closedChannels()).toBe(0);
    expect([pcsA.length, pcsB.length]).toEqual([1, 1]);
    for (const transport of [ta1, ta2, tb1, tb2]) transport.destroy();
    await waitFor('every socket closed', () => server.stats().connections === 0);
  });

  it('an impostor with note A’s link who copies another tab’s id gets nothing of note B, and B still syncs with the real tab', async () => {
    // Vera and Hugo share notes A and B. Mallory has A's link only, and announces with Hugo's tab id.
    const [noteA, noteB] = rooms(2);
    const HUGO_TAB = 'tab-of-hugo';
    const heardFromVera: Uint8Array[] = [];
    let proofsRefused = 0;
    /** Mallory's network accepts any channel Vera opens, and answers the handshake with a made-up proof. */
    class Impostor extends PeerNetwork {
      override incomingChannel(connection: PeerConnection, channel: RTCDataChannel): void {
        const link = connection.acceptChannel(channel, {
          onOpen: () => link.send(Uint8Array.of(AUTH_HELLO_MARKER, 1, ...new Uint8Array(32).fill(7))),
          onMessage: (message) => {
            heardFromVera.push(message);
            if (message[0] === AUTH_HELLO_MARKER) link.send(Uint8Array.of(AUTH_PROOF_MARKER, 1, ...new Uint8Array(32).fill(9)));
          },
          onClose: () => proofsRefused++,
          onViolation: () => undefined,
        });
      }
    }
    const mallory = new Impostor({
      signaling: () => [signalingUrl],
      WebSocket: SameOriginWebSocket as never,
      BroadcastChannel: null,
      RTCPeerConnection: FakePeerConnection as never,
      tabId: HUGO_TAB,
    });
    cleanup.push(() => mallory.destroy());
    const [vera, hugo] = [browser(), browser({ tabId: HUGO_TAB })];
    const [mA, vA, vB, hA, hB] = [note('Mallory'), note('Vera'), note('Vera'), note('Hugo'), note('Hugo')];
    vB.doc.getText('t').insert(0, 'B is secret');
    // Mallory first in A, so Vera's connection to "Hugo's tab" is hers.
    const tmA = mallory.join(mA.doc, mA.awareness, noteA!, { firewall: false });
    await waitFor('Mallory on signaling', () => tmA.status === 'connecting' && server.stats().subscriptions === 1);
    const tvA = vera.join(vA.doc, vA.awareness, noteA!, { firewall: false });
    await waitFor('Vera connected to Mallory in A', () => tvA.peerCount === 1);
    const thA = hugo.join(hA.doc, hA.awareness, noteA!, { firewall: false });
    await waitFor('Vera connected to Hugo in A too', () => tvA.peerCount === 2 && thA.peerCount >= 1);
    const tvB = vera.join(vB.doc, vB.awareness, noteB!, { firewall: false });
    await waitFor('Vera on signaling in B', () => tvB.status === 'connecting' && server.stats().subscriptions === 4);
    // Hugo opens B: Vera hears "Hugo's tab" and first tries the connection Mallory claimed it for.
    const thB = hugo.join(hB.doc, hB.awareness, noteB!, { firewall: false });
    await waitFor('Hugo gets B from Vera', () => hB.doc.getText('t').toString() === 'B is secret' && tvB.peerCount === 1);
    expect(proofsRefused).toBeGreaterThan(0);
    // All Mallory ever heard on B's channel: Vera's hello and proof, nothing of the note.
    expect(heardFromVera.length).toBeGreaterThan(0);
    expect(heardFromVera.every((message) => message[0] === AUTH_HELLO_MARKER || message[0] === AUTH_PROOF_MARKER)).toBe(true);
    for (const transport of [tmA, tvA, thA, tvB, thB]) transport.destroy();
    await waitFor('every socket closed', () => server.stats().connections === 0);
  });

  describe('rooms larger than the connection cap (a partial mesh)', () => {
    const CAP = 2;
    /** `count` browsers with the cap lowered to CAP, joining the room one after the other, each once connected to someone. */
    const joinOneByOne = async (count: number, first = 0) => {
      const peers: { name: string; doc: Y.Doc; transport: ReturnType<PeerNetwork['join']> }[] = [];
      for (let i = first; i < first + count; i++) {
        const { doc, awareness } = note(`peer ${i}`);
        const transport = browser({ maxConnections: () => CAP }).join(doc, awareness, ROOM, { firewall: false });
        peers.push({ name: `peer ${i}`, doc, transport });
        if (i > 0) await waitFor(`peer ${i} connected to someone`, () => transport.peerCount > 0, 10_000);
      }
      return peers;
    };
    const texts = (peers: { doc: Y.Doc }[]) => peers.map((p) => p.doc.getText('t').toString());

    it.each(seedsFor('partial mesh', { pinned: [1, 2024], fresh: 1 }))(
      'five peers, cap 2: every edit reaches every peer through relaying peers (seed %i)',
      async (seed) => {
        const random = mulberry32(seed);
        const peers = await joinOneByOne(5);
        // Each opens at most CAP itself and answers up to twice that; not everyone is connected to everyone.
        await waitFor('the mesh settled', () => peers.every((p) => p.transport.peerCount >= 1));
        const degrees = peers.map((p) => p.transport.peerCount);
        expect(Math.max(...degrees), `degrees ${degrees.join(',')}`).toBeLessThanOrEqual(2 * CAP);
        expect(degrees.reduce((a, b) => a + b, 0) / 2, `degrees ${degrees.join(',')}`).toBeLessThan((5 * 4) / 2);
        // Rounds: every peer inserts a token at a token boundary of its own text (tokens never split),
        // concurrently within a round. The oracle: every token, exactly once, on every peer.
        const expected: string[] = [];
        for (let round = 0; round < 4; round++) {
          for (const [i, peer] of peers.entries()) {
            const text = peer.doc.getText('t');
            const boundaries = [0, ...[...text.toString()].flatMap((c, at) => (c === '|' ? [at + 1] : []))];
            const token = `p${i}r${round}|`;
            text.insert(boundaries[Math.floor(random() * boundaries.length)]!, token);
            expected.push(token.slice(0, -1));
          }
          await waitFor(`round ${round} everywhere (seed ${seed})`, () => {
            const all = texts(peers);
            return all.every((t) => t === all[0]) && all[0]!.split('|').length === expected.length + 1;
          });
        }
        for (const text of texts(peers)) expect(text.split('|').filter(Boolean).sort()).toEqual([...expected].sort());
        for (const { transport } of peers) transport.destroy();
        await waitFor('every socket closed', () => server.stats().connections === 0);
      },
      30_000,
    );

    it('a stock y-webrtc newcomer to a room of full Weft peers joins through their invitation (an announce addressed to it)', async () => {
      vi.stubGlobal('WebSocket', SameOriginWebSocket); // y-webrtc's signaling uses the global one
      cleanup.push(() => vi.unstubAllGlobals());
      const [a, b, c] = [note('Ann'), note('Bob'), note('Carol')];
      // With a cap of one, Ann and Bob are full once connected to each other.
      const ta = browser({ maxConnections: () => 1 }).join(a.doc, a.awareness, ROOM, { firewall: false });
      await waitFor('Ann on signaling', () => ta.status === 'connecting' && server.stats().subscriptions === 1);
      const tb = browser({ maxConnections: () => 1 }).join(b.doc, b.awareness, ROOM, { firewall: false });
      await waitFor('Ann and Bob connected', () => ta.peerCount === 1 && tb.peerCount === 1);
      a.doc.getText('t').insert(0, 'from Weft');
      const yWebrtc = await loadYWebrtc(`invitation-${crypto.randomUUID()}`);
      const stockKeys = await deriveNoteKeys(ROOM.noteId, ROOM.secret);
      const provider = new yWebrtc.WebrtcProvider(stockKeys.roomId, c.doc, {
        signaling: [signalingUrl],
        password: stockKeys.password,
        awareness: c.awareness,
        maxConns: 20,
        filterBcConns: true,
        peerOpts: { config: { iceServers: [] }, wrtc: fakeWrtc },
      });
      const closeStock = () => {
        provider.disconnect(); // (destroy alone leaves its signaling socket open)
        provider.destroy();
      };
      cleanup.push(closeStock);
      // Above their cap of one, within its ceiling of two.
      await waitFor('both Weft peers connected to it', () => ta.peerCount === 2 && tb.peerCount === 2, 10_000);
      // Connected, but it can neither read the note (updates travel signed) nor write it (it cannot sign).
      c.doc.getText('t').insert(0, 'stock. ');
      a.doc.getText('t').insert(0, 'marker. ');
      await waitFor('the marker at Bob', () => b.doc.getText('t').toString() === 'marker. from Weft');
      expect(c.doc.getText('t').toString()).toBe('stock. ');
      closeStock();
      ta.destroy();
      tb.destroy();
      await waitFor('every socket closed', () => server.stats().connections === 0);
    });

    it('a newcomer whose announce finds every peer full still connects (they invite it), and syncs', async () => {
      // Three peers with a cap of two: a triangle, everyone full.
      const full = await joinOneByOne(3);
      await waitFor('the triangle', () => full.every((p) => p.transport.peerCount === CAP));
      full[0]!.doc.getText('t').insert(0, 'written before the newcomer came');
      await waitFor('the triangle synced', () => texts(full).every((t) => t === 'written before the newcomer came'));
      const [newcomer] = await joinOneByOne(1, 3);
      await waitFor('the newcomer has the note', () => newcomer!.doc.getText('t').toString() === 'written before the newcomer came');
      newcomer!.doc.getText('t').insert(0, 'and wrote back. ');
      await waitFor('everyone has the newcomer’s edit', () => texts(full).every((t) => t.startsWith('and wrote back. ')));
      expect(newcomer!.transport.peerCount).toBeLessThanOrEqual(CAP);
      for (const { transport } of full) expect(transport.peerCount).toBeLessThanOrEqual(2 * CAP);
      for (const { transport } of [...full, newcomer!]) transport.destroy();
      await waitFor('every socket closed', () => server.stats().connections === 0);
    });
  });

  it('reports the connection (signaling, candidates, the pair, a broken path, the relay-only policy) and "Try again" drops what never opened', async () => {
    const [a, b] = [note('Ann'), note('Bob')];
    const [pcsA, pcsB] = [[] as FakePeerConnection[], [] as FakePeerConnection[]];
    const ta = browser({ iceTransportPolicy: () => 'relay' }, pcsA).join(a.doc, a.awareness, ROOM, { firewall: false });
    const seen: string[] = [];
    const stop = ta.connection!.onDetails(() => seen.push(ta.connection!.details.reachability));
    await waitFor('A looking', () => ta.connection!.details.reachability === 'looking');
    expect(ta.connection!.details.signaling).toBe('connected');
    const tb = browser({}, pcsB).join(b.doc, b.awareness, ROOM, { firewall: false });
    await waitFor('connected with a known pair', () => ta.connection!.details.paths[0] != null && tb.connection!.details.paths[0] != null);
    expect(ta.connection!.details).toMatchObject({ reachability: 'connected', relayOnly: true, paths: [{ local: 'host', remote: 'host' }] });
    expect(ta.connection!.details.candidates.host).toBeGreaterThan(0);
    expect(pcsA[0]!.configuration.iceTransportPolicy).toBe('relay');
    expect(pcsB[0]!.configuration.iceTransportPolicy).toBeUndefined();
    expect(seen).toContain('connected');
    // A path that breaks: "reconnecting" (what the status line says) until ICE connects again.
    expect(ta.connection!.details.reconnecting).toBe(0);
    pcsA[0]!.setConnectionState('disconnected');
    await waitFor('A reconnecting', () => ta.connection!.details.reconnecting === 1);
    expect(ta.peerCount).toBe(1);
    pcsA[0]!.setConnectionState('connected');
    await waitFor('A connected again', () => ta.connection!.details.reconnecting === 0);
    // "Try again" keeps a working connection (it only restarts stalled ones)…
    ta.connection!.retry();
    expect(ta.peerCount).toBe(1);
    // …and with reconnectAll (a changed privacy setting) every connection is made again.
    ta.connection!.retry({ reconnectAll: true });
    await waitFor('a second connection', () => pcsA.length + pcsB.length >= 3 && ta.peerCount === 1 && tb.peerCount === 1);
    stop();
    ta.destroy();
    tb.destroy();
  });

  it('holds nothing module-level: the same note in two networks of one process is two browsers, not an error', async () => {
    const [a, b] = [note('Ann'), note('Bob')];
    const ta = browser().join(a.doc, a.awareness, ROOM, { firewall: false });
    const tb = browser().join(b.doc, b.awareness, ROOM, { firewall: false });
    await waitFor('the two to find each other', () => ta.peerCount === 1 && tb.peerCount === 1);
    ta.destroy();
    tb.destroy();
    await waitFor('every socket closed', () => server.stats().connections === 0);
  });
});
