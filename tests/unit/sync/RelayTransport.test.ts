/**
 * The relay transport against a real Weft server on 127.0.0.1 (relay endpoints, memory
 * store unless a test says otherwise), through the real fetch client: devices that are
 * never online together, waiting changes, a hostile relay, compaction, quotas.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { applySeed } from '../../../src/doc/seed';
import { noteText } from '../../../src/doc/noteText';
import { httpRelayClient, RelayError, type RelayClient, type RelayPage } from '../../../src/sync/relayClient';
import { deriveRelayKeys, sealBlob } from '../../../src/sync/relayCrypto';
import { deriveNoteKeys } from '../../../src/sync/noteKeys';
import { parseViewCapability, viewCapability } from '../../../src/doc/noteId';

/** `update` as a relay blob's sync message (a sync step 2), before signing. */
const syncMessage = (update: Uint8Array): Uint8Array => Uint8Array.of(0, 1, ...lengthPrefixed(update));
const lengthPrefixed = (bytes: Uint8Array): number[] => {
  const out: number[] = [];
  let n = bytes.byteLength;
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return [...out, ...bytes];
};
import { memoryRelayCursors } from '../../../src/sync/relayCursors';
import { RelayTransport } from '../../../src/sync/RelayTransport';
import type { SyncRoom } from '../../../src/sync/Transport';
import type { RelayLimits } from '../../../server/relayProtocol.js';
import { cleanup, startServer } from '../server/serverTestKit.js';
import { waitFor } from '../waitFor';

const ROOM: SyncRoom = { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: '__79_Pv6-fj39vX08_Lx8A' };
const OTHER_ROOM: SyncRoom = { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: 'AAECAwQFBgcICQoLDA0ODw' };

const devices: RelayTransport[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) d.destroy();
  await cleanup();
});

const noteDoc = (): Y.Doc => {
  const doc = new Y.Doc();
  applySeed(doc);
  return doc;
};

/** Types a paragraph at the end of the note, as the editor would write it. */
const type = (doc: Y.Doc, text: string): void => {
  doc.transact(() => {
    const root = doc.get('root-v2', Y.XmlElement);
    const paragraph = new Y.XmlElement('paragraph');
    root.push([paragraph]);
    const run = new Y.XmlText();
    paragraph.insert(0, [run]);
    run.insert(0, text);
  });
};

const server = async (limits: Partial<RelayLimits> = {}) => (await startServer({ relayLimits: limits })).url;

interface DeviceOptions {
  client?: RelayClient;
  cursors?: ReturnType<typeof memoryRelayCursors>;
  doc?: Y.Doc;
  room?: SyncRoom;
}

const device = (url: string, options: DeviceOptions = {}) => {
  const doc = options.doc ?? noteDoc();
  let shared = true;
  const transport = new RelayTransport({
    doc,
    awareness: new Awareness(doc),
    room: options.room ?? ROOM,
    client: options.client ?? httpRelayClient(url),
    cursors: options.cursors ?? memoryRelayCursors(),
    shared: () => shared,
    setShared: (s) => (shared = s),
    batchMs: 0,
    pollMs: 3_600_000,
    retryMs: 20,
  });
  devices.push(transport);
  return { doc, transport };
};

const saved = (t: RelayTransport) => t.relayStatus.state === 'saved' && t.relayStatus.pending === 0;

describe('RelayTransport', () => {
  it('two devices never online together exchange edits both ways through the relay', async () => {
    const url = await server();
    const cursorsA = memoryRelayCursors();
    const a = device(url, { cursors: cursorsA });
    type(a.doc, 'written on the laptop');
    await waitFor('a saved', () => saved(a.transport));
    a.transport.destroy(); // the laptop closes

    const b = device(url);
    await waitFor('b got the laptop text', () => noteText(b.doc).includes('written on the laptop'));
    expect(b.transport.relayStatus.verified).toBe(true);
    type(b.doc, 'answered on the phone');
    await waitFor('b saved', () => saved(b.transport));
    b.transport.destroy();

    const again = device(url, { doc: a.doc, cursors: cursorsA });
    await waitFor('the laptop got the phone text', () => noteText(a.doc).includes('answered on the phone'));
    expect(noteText(again.doc)).toBe(noteText(b.doc));
  });

  it('changes made while the relay is unreachable are counted, persisted, and uploaded when it is back (also after a restart)', async () => {
    const url = await server();
    const real = httpRelayClient(url);
    let down = true;
    const flaky: RelayClient = {
      read: (...args) => (down ? Promise.reject(new RelayError('network', 'down')) : real.read(...args)),
      write: (...args) => (down ? Promise.reject(new RelayError('network', 'down')) : real.write(...args)),
      deleteRoom: (...args) => real.deleteRoom(...args),
    };
    const cursors = memoryRelayCursors();
    const a = device(url, { client: flaky, cursors });
    type(a.doc, 'one');
    type(a.doc, 'two');
    await waitFor('a counts two waiting changes', () => a.transport.relayStatus.state === 'waiting' && a.transport.relayStatus.pending === 2);
    expect([...cursors.entries.values()].some((text) => (JSON.parse(text) as { pending: number }).pending === 2)).toBe(true);
    a.transport.destroy(); // closed while offline: only the persisted cursor remembers

    down = false;
    const restarted = device(url, { client: flaky, cursors, doc: a.doc });
    await waitFor('uploaded after the restart', () => saved(restarted.transport));
    const b = device(url);
    await waitFor('b has both', () => noteText(b.doc).includes('one') && noteText(b.doc).includes('two'));
  });

  it('refuses garbage, another room’s blob and a replayed blob, says so, and keeps applying good ones', async () => {
    const url = await server();
    const writer = device(url);
    type(writer.doc, 'first');
    await waitFor('writer saved first', () => saved(writer.transport));
    const real = httpRelayClient(url);
    const keys = await deriveRelayKeys(ROOM.secret);
    const firstPage = await real.read(keys.roomId, 0);
    const otherKeys = await deriveRelayKeys(OTHER_ROOM.secret);
    const foreign = await sealBlob(otherKeys, 'update', new Uint8Array(16).fill(1), 1, Y.encodeStateAsUpdate(noteDoc()));
    let served = 0;
    // A relay that mixes garbage, another room's blob and a replay of an earlier blob into its answers.
    const hostile: RelayClient = {
      ...real,
      read: async (roomId, after): Promise<RelayPage> => {
        const page = await real.read(roomId, after);
        served++;
        if (served > 1) return page;
        const head = page.head;
        const replayed = firstPage.blobs.map((b, i) => ({ ...b, seq: head + 10 + i }));
        return {
          ...page,
          head: head + 20,
          blobs: [
            ...page.blobs,
            { seq: head + 1, kind: 'update', data: new Uint8Array([2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36]) },
            { seq: head + 2, kind: 'update', data: foreign },
            ...replayed,
          ],
        };
      },
    };
    const reader = device(url, { client: hostile });
    await waitFor('reader got the good blob', () => noteText(reader.doc).includes('first'));
    // One garbage blob, one of another room, one replayed (the writer's counter is not newer).
    await waitFor('reader reports the three bad ones', () => /sent 3 changes that failed their check/.test(reader.transport.relayStatus.problem ?? ''));
    // The good path keeps working after the bad answers.
    type(writer.doc, 'second');
    await waitFor('writer saved second', () => saved(writer.transport));
    reader.transport.pullNow();
    await waitFor('reader got the next good blob', () => noteText(reader.doc).includes('second'));
  });

  it('refuses a well-encrypted change that breaks the note schema (same firewall as peers)', async () => {
    const url = await server();
    const keys = await deriveNoteKeys(ROOM.noteId, ROOM.secret);
    const evil = new Y.Doc();
    evil.getMap('not-a-note').set('x', 1);
    const signed = await keys.sealUpdate(syncMessage(Y.encodeStateAsUpdate(evil)));
    const blob = await sealBlob(keys.relay, 'update', new Uint8Array(16).fill(3), 1, signed!);
    await httpRelayClient(url).write(keys.relay, 'update', blob as Uint8Array<ArrayBuffer>);
    const reader = device(url);
    await waitFor('refused', () => /note schema/.test(reader.transport.relayStatus.problem ?? ''));
    expect(reader.doc.share.has('not-a-note')).toBe(false);
  });

  it('refuses a well-encrypted blob whose update is unsigned or signed by another key (a view-only holder cannot write)', async () => {
    const url = await server();
    const keys = await deriveNoteKeys(ROOM.noteId, ROOM.secret);
    // What a view-only holder has: it opens and makes blobs, but cannot sign.
    const view = await deriveNoteKeys(ROOM.noteId, viewCapability(keys.readKey, keys.publicKey));
    expect(parseViewCapability(viewCapability(keys.readKey, keys.publicKey))).not.toBeNull();
    expect(view.canWrite).toBe(false);
    const forger = await deriveNoteKeys(ROOM.noteId, OTHER_ROOM.secret);
    const update = (text: string) => {
      const doc = noteDoc();
      type(doc, text);
      return syncMessage(Y.encodeStateAsUpdate(doc));
    };
    const unsigned = update('unsigned words');
    const wrong = (await forger.sealUpdate(update('forged words')))!;
    for (const [i, payload] of [unsigned, wrong].entries()) {
      const blob = await sealBlob(view.relay, 'update', new Uint8Array(16).fill(5 + i), 1, payload);
      // (The server takes it only with the editor's write proof: the relay operator colluding with a view-only holder.)
      await httpRelayClient(url).write(keys.relay, 'update', blob as Uint8Array<ArrayBuffer>);
    }
    const reader = device(url);
    await waitFor('both refused', () => /2 changes .*not signed by an editor/.test(reader.transport.relayStatus.problem ?? ''));
    expect(noteText(reader.doc)).not.toMatch(/unsigned|forged/);
  });

  it('compacts past compactAfter: one snapshot replaces the blobs, and a new device still gets everything', async () => {
    const url = await server({ compactAfterBlobs: 3 });
    const a = device(url);
    for (let i = 0; i < 6; i++) {
      type(a.doc, `line ${i}`);
      await waitFor(`a saved line ${i}`, () => saved(a.transport));
    }
    const keys = await deriveRelayKeys(ROOM.secret);
    expect((await httpRelayClient(url).read(keys.roomId, 0)).count).toBeGreaterThan(3);
    const b = device(url);
    await waitFor('b compacted', async () => (await httpRelayClient(url).read(keys.roomId, 0)).count <= 2);
    const page = await httpRelayClient(url).read(keys.roomId, 0);
    expect(page.blobs.some((blob) => blob.kind === 'snapshot')).toBe(true);
    const c = device(url);
    await waitFor('c has every line', () => noteText(c.doc) === noteText(a.doc));
    expect(noteText(b.doc)).toBe(noteText(a.doc));
  });

  it('a first push holding a long history (many client ids, over the per-update bound) reaches a new device', async () => {
    const url = await server();
    const a = device(url, { doc: noteDoc() });
    // 40 earlier sessions (each page load is a new Yjs client) wrote into the note before it was shared.
    for (let i = 0; i < 40; i++) {
      const session = noteDoc();
      Y.applyUpdate(session, Y.encodeStateAsUpdate(a.doc));
      type(session, `session ${i}`);
      Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(session), 'weft:peer');
    }
    expect(a.doc.store.clients.size).toBeGreaterThan(40);
    type(a.doc, 'now shared');
    await waitFor('a saved', () => saved(a.transport));
    const b = device(url);
    await waitFor('b has the whole history', () => noteText(b.doc) === noteText(a.doc));
    expect(b.transport.relayStatus.problem).toBeNull();
  });

  it('a change too large for one update blob (a 2.5 MB paste) goes up as a snapshot and reaches a new device', async () => {
    const url = await server();
    const a = device(url);
    type(a.doc, 'p'.repeat(2_500_000));
    await waitFor('a saved', () => saved(a.transport), 15_000);
    const keys = await deriveRelayKeys(ROOM.secret);
    expect((await httpRelayClient(url).read(keys.roomId, 0)).blobs.map((b) => b.kind)).toContain('snapshot');
    const b = device(url);
    await waitFor('b has the paste', () => noteText(b.doc).length === noteText(a.doc).length, 15_000);
  });

  it('a room quota gives a clear refusal and the changes wait', async () => {
    const url = await server({ maxRoomBytes: 200 });
    const a = device(url);
    type(a.doc, 'x'.repeat(400));
    await waitFor('refused', () => a.transport.relayStatus.state === 'refused');
    expect(a.transport.relayStatus.message).toMatch(/relay refuses more changes of this note.*bytes on the relay/);
    expect(a.transport.relayStatus.pending).toBe(1);
  });

  it('Stop sharing deletes the room from the relay and stops uploading', async () => {
    const url = await server();
    const a = device(url);
    type(a.doc, 'shared for a while');
    await waitFor('saved', () => saved(a.transport));
    const keys = await deriveRelayKeys(ROOM.secret);
    await a.transport.unshare();
    expect(await httpRelayClient(url).read(keys.roomId, 0)).toMatchObject({ head: 0, count: 0 });
    type(a.doc, 'private again');
    expect(a.transport.relayStatus.state).toBe('off');
    expect((await httpRelayClient(url).read(keys.roomId, 0)).count).toBe(0);
  });

  it('does not upload a note that is not shared', async () => {
    const url = await server();
    const doc = noteDoc();
    const t = new RelayTransport({
      doc,
      awareness: new Awareness(doc),
      room: ROOM,
      client: httpRelayClient(url),
      cursors: memoryRelayCursors(),
      shared: () => false,
      setShared: () => undefined,
      batchMs: 0,
    });
    devices.push(t);
    type(doc, 'private');
    const keys = await deriveRelayKeys(ROOM.secret);
    // A positive marker: a shared device's write lands, the private one's never did.
    const other = device(url, { room: ROOM });
    type(other.doc, 'shared');
    await waitFor('shared saved', () => saved(other.transport));
    const page = await httpRelayClient(url).read(keys.roomId, 0);
    expect(page.count).toBe(1);
    expect(t.relayStatus.state).toBe('off');
  });
});
