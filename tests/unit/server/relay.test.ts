/**
 * The relay's HTTP endpoints on a real server (127.0.0.1:0): what a stranger cannot do,
 * the limits and their messages, durability of what was acknowledged, and that the
 * store's files hold no plaintext.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { SqliteRelayStore } from '../../../server/SqliteRelayStore.js';
import { applySeed } from '../../../src/doc/seed';
import { noteText } from '../../../src/doc/noteText';
import { httpRelayClient } from '../../../src/sync/relayClient';
import { deriveRelayKeys, sealBlob, signWrite } from '../../../src/sync/relayCrypto';
import { memoryRelayCursors } from '../../../src/sync/relayCursors';
import { RelayTransport } from '../../../src/sync/RelayTransport';
import { cleanup, makeTempDir, startServer } from './serverTestKit.js';
import { waitFor } from '../waitFor';

const SECRET = '__79_Pv6-fj39vX08_Lx8A';
const OTHER_SECRET = 'AAECAwQFBgcICQoLDA0ODw';
const WRITER = new Uint8Array(16).fill(5);

afterEach(() => cleanup());

/** A signed write by hand, so tests can break one part of it. */
async function post(url: string, secret: string, path: (room: string) => string, body: Uint8Array<ArrayBuffer>, sign = secret, headers: Record<string, string> = {}) {
  const keys = await deriveRelayKeys(secret);
  const signer = await deriveRelayKeys(sign);
  const p = path(keys.roomId);
  const proof = await signWrite(signer, 'POST', p, body, Date.now());
  const response = await fetch(new URL(p, url), { method: 'POST', headers: { ...proof, ...headers }, body });
  return { status: response.status, json: (await response.json()) as { error?: string; message?: string; seq?: number } };
}

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('relay endpoints', () => {
  it('stores a signed blob and serves it after a cursor; a stranger cannot write', async () => {
    const { url } = await startServer();
    const ok = await post(url, SECRET, (room) => `/relay/v2/${room}/blobs`, bytes(10));
    expect(ok).toEqual({ status: 201, json: { seq: 1, duplicate: false } });
    // Someone who does not hold the room's key signs with their own.
    const stranger = await post(url, SECRET, (room) => `/relay/v2/${room}/blobs`, bytes(10, 2), OTHER_SECRET);
    expect(stranger.status).toBe(401);
    expect(stranger.json).toMatchObject({ error: 'bad-proof', message: 'the key does not belong to this room' });
    // No proof at all.
    const keys = await deriveRelayKeys(SECRET);
    const bare = await fetch(new URL(`/relay/v2/${keys.roomId}/blobs`, url), { method: 'POST', body: bytes(3) });
    expect(bare.status).toBe(401);
    const page = await httpRelayClient(url).read(keys.roomId, 0);
    expect(page.blobs.map((b) => b.seq)).toEqual([1]);
  });

  it('answers bad requests with clear errors', async () => {
    const { url } = await startServer({ relayLimits: { maxUpdateBytes: 100 } });
    const keys = await deriveRelayKeys(SECRET);
    const tooBig = await post(url, SECRET, (room) => `/relay/v2/${room}/blobs`, bytes(101));
    expect(tooBig).toMatchObject({ status: 413, json: { error: 'too-large' } });
    const empty = await post(url, SECRET, (room) => `/relay/v2/${room}/blobs`, new Uint8Array(0));
    expect(empty).toMatchObject({ status: 400, json: { message: 'the blob is empty' } });
    expect((await fetch(new URL('/relay/v2/not-a-room', url))).status).toBe(404);
    expect((await fetch(new URL(`/relay/v2/${keys.roomId}?after=-1`, url))).status).toBe(400);
    expect((await fetch(new URL(`/relay/v2/${keys.roomId}`, url), { method: 'PUT' })).status).toBe(405);
    const foreign = await fetch(new URL(`/relay/v2/${keys.roomId}`, url), { headers: { Origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    const stale = await post(url, SECRET, (room) => `/relay/v2/${room}/snapshot?replaces=5`, bytes(10));
    expect(stale).toMatchObject({ status: 409, json: { error: 'stale-snapshot' } });
    // The signed path binds `replaces`: changing it after signing breaks the proof.
    const signed = await signWrite(keys, 'POST', `/relay/v2/${keys.roomId}/snapshot?replaces=0`, bytes(4), Date.now());
    const moved = await fetch(new URL(`/relay/v2/${keys.roomId}/snapshot?replaces=1`, url), { method: 'POST', headers: signed, body: bytes(4) });
    expect(moved.status).toBe(401);
  });

  it('room and address quotas refuse with 429 and say which', async () => {
    const { url } = await startServer({ relayLimits: { maxRoomBlobs: 2, writesPerAddressBurst: 4, writesPerAddressPerHour: 1 } });
    expect((await post(url, SECRET, (r) => `/relay/v2/${r}/blobs`, bytes(5, 1))).status).toBe(201);
    expect((await post(url, SECRET, (r) => `/relay/v2/${r}/blobs`, bytes(5, 2))).status).toBe(201);
    const full = await post(url, SECRET, (r) => `/relay/v2/${r}/blobs`, bytes(5, 3));
    expect(full).toMatchObject({ status: 429, json: { error: 'room-quota' } });
    expect(full.json.message).toMatch(/must compact/);
    expect((await post(url, OTHER_SECRET, (r) => `/relay/v2/${r}/blobs`, bytes(5, 4))).status).toBe(201);
    const address = await post(url, OTHER_SECRET, (r) => `/relay/v2/${r}/blobs`, bytes(5, 5));
    expect(address).toMatchObject({ status: 429, json: { error: 'address-quota' } });
  });

  it('expires rooms nobody touched for the TTL', async () => {
    let now = Date.now();
    const store = new SqliteRelayStore(makeTempDir());
    const started = await startServer({ relayStore: store, now: () => now, relayLimits: { roomTtlMs: 1000 } });
    await post(started.url, SECRET, (r) => `/relay/v2/${r}/blobs`, bytes(5));
    const keys = await deriveRelayKeys(SECRET);
    expect(await store.expire(now - 1000)).toBe(0);
    now += 60 * 60_000 + 1;
    expect(await store.expire(now - 1000)).toBe(1);
    expect((await httpRelayClient(started.url).read(keys.roomId, 0)).count).toBe(0);
  });

  it('the SQLite files hold no plaintext, no secret and no note id', async () => {
    const dir = makeTempDir();
    const { url } = await startServer({ relayStore: new SqliteRelayStore(dir) });
    const marker = 'PLAINTEXT-MARKER-91c4e';
    const doc = new Y.Doc();
    applySeed(doc);
    const transport = new RelayTransport({
      doc,
      awareness: new Awareness(doc),
      room: { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: SECRET },
      client: httpRelayClient(url),
      cursors: memoryRelayCursors(),
      shared: () => true,
      setShared: () => undefined,
      batchMs: 0,
    });
    doc.transact(() => {
      const p = new Y.XmlElement('paragraph');
      doc.get('root-v2', Y.XmlElement).push([p]);
      const t = new Y.XmlText();
      p.insert(0, [t]);
      t.insert(0, marker.repeat(50));
    });
    await waitFor('saved', () => transport.relayStatus.state === 'saved');
    transport.destroy();
    expect(noteText(doc)).toContain(marker);
    const keys = await deriveRelayKeys(SECRET);
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
    const all = Buffer.concat(files);
    // Positive control: the grep does see what the server was given (the room id, in clear).
    expect(all.includes(Buffer.from(keys.roomId))).toBe(true);
    for (const needle of [marker, 'PLAINTEXT', SECRET, 'AAECAwQFBgcICQoLDA0ODw', 'paragraph', 'root-v2']) {
      expect(all.includes(Buffer.from(needle)), needle).toBe(false);
    }
  });

  it('stores a blob sealed for another room: the server cannot tell (readers refuse it: RelayTransport.test.ts)', async () => {
    const { url } = await startServer();
    const mine = await deriveRelayKeys(SECRET);
    const theirs = await deriveRelayKeys(OTHER_SECRET);
    const blob = (await sealBlob(theirs, 'update', WRITER, 1, bytes(3))) as Uint8Array<ArrayBuffer>;
    expect(await httpRelayClient(url).write(mine, 'update', blob)).toBe(1);
  });
});
