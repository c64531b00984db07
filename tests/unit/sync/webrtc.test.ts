/**
 * Smoke test of the WebRTC adapter's lifecycle in Node (no signaling server,
 * fake WebRTC). Peer-to-peer behaviour is covered by the browser e2e suite.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { createWebrtcTransportFactory } from '../../../src/sync/webrtc';
import { fakeWrtc } from './fakeWrtc';

const ROOM = { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: '__79_Pv6-fj39vX08_Lx8A' };

describe('WebRTC transport lifecycle', () => {
  it('starts offline without signaling, refuses a second transport for the note, and can reopen after destroy', async () => {
    const factory = createWebrtcTransportFactory({ signaling: [], wrtc: fakeWrtc });
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const first = factory(doc, awareness, ROOM);
    expect(first.status).toBe('offline');
    expect(first.peerCount).toBe(0);
    expect(first.awareness).toBe(awareness);
    expect(() => factory(new Y.Doc(), awareness, ROOM)).toThrow(/already open/);
    await new Promise((resolve) => setTimeout(resolve, 300)); // key derivation (PBKDF2) and room creation
    first.destroy();
    first.destroy();
    const second = factory(doc, awareness, ROOM);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(second.status).toBe('offline');
    second.destroy();
    doc.destroy();
  });
});
