/**
 * Issue 16's faults: `kill -9` of the real server process (`node build/server/main.js`,
 * SQLite under DATA_DIR) while writers are mid-write loses no acknowledged blob, and a
 * browser whose relay died keeps counting its changes and uploads them when the server
 * is back on the same address.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { pickFreePort, startWeftServer, type WeftServer } from './helpers/server';
import { editorOf, launchPeer, newNote, openShareLink, shareLinkOf } from './helpers/peers';
import { typeAtEnd } from './helpers/app';
import { httpRelayClient } from '../../src/sync/relayClient';
import { deriveRelayKeys, type RelayKeys } from '../../src/sync/relayCrypto';
import { seedFor } from '../prng';

const RELAY_TIMEOUT_MS = 20_000;
/** Writers posting at once, and acknowledged writes before the kill. */
const WRITERS = 4;
const ACKED_BEFORE_KILL = 60;

test('kill -9 mid-write: every acknowledged blob is there after the restart', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'weft-kill-'));
  const port = await pickFreePort();
  const env = { DATA_DIR: dataDir };
  let server: WeftServer = await startWeftServer({ port, env });
  try {
    const seed = seedFor('relay kill -9');
    const secrets = ['__79_Pv6-fj39vX08_Lx8A', 'AAECAwQFBgcICQoLDA0ODw'];
    const keys: RelayKeys[] = await Promise.all(secrets.map((s) => deriveRelayKeys(s)));
    const client = httpRelayClient(server.url);
    const acked: Array<{ room: string; seq: number; data: string }> = [];
    let n = 0;
    let killed = false;
    const writer = async (w: number) => {
      // Bounded: stops at the kill or after a number of writes far above the kill point.
      for (let i = 0; i < 10_000 && !killed; i++) {
        const k = keys[(w + i) % keys.length]!;
        const data = new TextEncoder().encode(`seed ${seed} writer ${w} blob ${i} ${n++}`.padEnd(200 + ((seed + i) % 300), '.'));
        try {
          const seq = await client.write(k, 'update', data);
          acked.push({ room: k.roomId, seq, data: Buffer.from(data).toString('base64url') });
        } catch {
          return; // the server is gone: this write was never acknowledged
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await expect.poll(() => acked.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(ACKED_BEFORE_KILL);
    killed = true;
    await server.kill();
    await Promise.all(writers);
    const ackedAtKill = acked.length;

    server = await startWeftServer({ port, env });
    const reader = httpRelayClient(server.url);
    for (const k of keys) {
      const page = await reader.read(k.roomId, 0);
      expect(page.more).toBe(false);
      const stored = new Map(page.blobs.map((b) => [b.seq, Buffer.from(b.data).toString('base64url')]));
      for (const a of acked.filter((x) => x.room === k.roomId)) expect(stored.get(a.seq), `seq ${a.seq} (seed ${seed})`).toBe(a.data);
    }
    expect(ackedAtKill).toBeGreaterThanOrEqual(ACKED_BEFORE_KILL);
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('the relay killed and restarted: the browser counts its waiting changes, then uploads them', async ({ launchProfile, profileDir }) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'weft-kill-'));
  const port = await pickFreePort();
  const env = { DATA_DIR: dataDir };
  let server = await startWeftServer({ port, env });
  try {
    const a = await launchPeer(launchProfile, profileDir, 'a', {});
    await a.page.goto(server.url + '/');
    await newNote(a.page);
    await a.page.keyboard.type('Before the crash');
    const link = await shareLinkOf(a.page);
    const relayStatus = a.page.getByRole('status', { name: 'Relay status' });
    await expect(relayStatus).toHaveText('Saved to the relay', { timeout: RELAY_TIMEOUT_MS });
    await server.kill();
    await typeAtEnd(a.page, ' and after it');
    await expect(relayStatus).toHaveText(/^\d+ changes? waits? to be uploaded to the relay/, { timeout: RELAY_TIMEOUT_MS });
    server = await startWeftServer({ port, env });
    // The app retries on its own (backoff); no reload.
    await expect(relayStatus).toHaveText('Saved to the relay', { timeout: 90_000 });
    await a.context.close();

    const b = await launchPeer(launchProfile, profileDir, 'b');
    await openShareLink(b.page, link);
    await expect(editorOf(b.page)).toContainText('Before the crash and after it', { timeout: RELAY_TIMEOUT_MS });
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
