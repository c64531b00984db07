/**
 * The page of interop.spec.ts, bundled by it and loaded into its own Chromium process:
 * - `window.stockPeer`: a third-party client — stock y-webrtc (WebrtcProvider, simple-peer) and
 *   plain Yjs, nothing of Weft's code but the note's root name;
 * - `window.weftPeer`: Weft's own PeerNetwork with the browser's WebRTC, several notes at once,
 *   counting its open RTCPeerConnections (through its constructor option: no global patch).
 */
import * as Y from 'yjs';
import { WebrtcProvider } from 'y-webrtc';
import { Awareness } from 'y-protocols/awareness';
import { PeerNetwork } from '../../../src/sync/PeerNetwork';
import type { Transport } from '../../../src/sync/Transport';

const NOTE_ROOT = 'root-v2';

const doc = new Y.Doc();
let provider: WebrtcProvider | null = null;

const root = (): Y.XmlElement => doc.get(NOTE_ROOT, Y.XmlElement);

/** All the note's text, paragraph by paragraph. */
const paragraphs = (): string[] =>
  root()
    .toArray()
    .map((block) => (block instanceof Y.XmlElement ? block.toArray().map((child) => (child instanceof Y.XmlText ? child.toString() : '')).join('') : ''));

(window as unknown as { stockPeer: unknown }).stockPeer = {
  start(roomName: string, secret: string, signalingUrl: string): void {
    provider = new WebrtcProvider(roomName, doc, {
      signaling: [signalingUrl],
      password: secret,
      peerOpts: { config: { iceServers: [] } },
    });
    provider.awareness.setLocalState({ name: 'Stock y-webrtc', color: '#000000' });
  },
  text: (): string => paragraphs().join('\n'),
  peers: (): number => provider?.room?.webrtcConns.size ?? 0,
  /** Appends a paragraph holding `text`, as the Weft editor would write it. */
  append(text: string): void {
    doc.transact(() => {
      const paragraph = new Y.XmlElement('paragraph');
      const run = new Y.XmlText();
      run.insert(0, text);
      paragraph.insert(0, [run]);
      root().insert(root().length, [paragraph]);
    });
  },
};

/** Every RTCPeerConnection the network created (a glare loser is created and closed again). */
const created: RTCPeerConnection[] = [];
const network = new PeerNetwork({
  signaling: () => [`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signal`],
  RTCPeerConnection: class extends RTCPeerConnection {
    constructor(config?: RTCConfiguration) {
      super(config);
      created.push(this);
    }
  },
});
const notes = new Map<string, { doc: Y.Doc; transport: Transport }>();

(window as unknown as { weftPeer: unknown }).weftPeer = {
  /** Opens a note (plain Y.Text docs: no schema firewall). */
  open(noteId: string, secret: string): void {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    notes.set(noteId, { doc, transport: network.join(doc, awareness, { noteId, secret }, { firewall: false }) });
  },
  write(noteId: string, text: string): void {
    const doc = notes.get(noteId)!.doc;
    doc.getText('t').insert(doc.getText('t').length, text);
  },
  text: (noteId: string): string => notes.get(noteId)?.doc.getText('t').toString() ?? '',
  peers: (noteId: string): number => notes.get(noteId)?.transport.peerCount ?? 0,
  /** Connections not closed: what the two tabs hold between them. */
  connections: (): number => created.filter((pc) => pc.connectionState !== 'closed').length,
};
