/* global document -- used inside page.waitForFunction callbacks, which run in the browser */
/**
 * Scenario 10: the store-and-forward relay (issue 16).
 *
 * - join: a new device (a fresh Chromium process) opens the link of the automerge-paper note
 *   with no peer online: everything comes from the relay. Navigation → the editor shows the
 *   whole note. Baseline side by side: scenario 5's join from a peer that is online, when run.
 * - throughput: writers in Node post 256-byte update blobs to one server instance (each writer
 *   signs every write, as clients do, speaking the open protocol with node:crypto only — a
 *   second implementation of it); updates acknowledged per second, SQLite (fsync per write)
 *   and Redis (appendfsync always) side by side.
 * - memory: server RSS before and after 10,000 rooms of one blob each, SQLite and Redis (with
 *   Redis's own used_memory), per 10,000 rooms.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, hkdfSync, randomBytes, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../scripts/chromium.mjs';
import { startAppServer } from './coldStart.mjs';
import { profiled } from './peers.mjs';

const EDITOR = '[contenteditable="true"][aria-label="Note"]';
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The relay keys of a secret (16 bytes), by the open protocol (README, "Relay"). */
export function relayKeys(secretBytes) {
  const seed = Buffer.from(hkdfSync('sha256', secretBytes, 'weft/v2', 'weft/v2/sign', 32));
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
  const roomId = createHash('sha256').update('weft/relay-room/v2').update(Buffer.from([0])).update(Buffer.from(x, 'base64url')).digest('base64url');
  return { privateKey, publicKey: x, roomId };
}

/** Posts one signed blob; resolves with the HTTP status. `address` is sent as X-Forwarded-For (TRUST_PROXY=1). */
async function postBlob(url, keys, body, address) {
  const path = `/relay/v2/${keys.roomId}/blobs`;
  const time = String(Date.now());
  const message = Buffer.concat([Buffer.from(`weft/relay-write/v2\0POST ${path}\0${time}\0`), createHash('sha256').update(body).digest()]);
  const signature = sign(null, message, keys.privateKey).toString('base64url');
  const response = await fetch(url + path, {
    method: 'POST',
    body,
    headers: { 'Weft-Relay-Key': keys.publicKey, 'Weft-Relay-Time': time, 'Weft-Relay-Signature': signature, 'X-Forwarded-For': address },
  });
  await response.arrayBuffer();
  return response.status;
}

const rssKb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A redis-server with AOF fsynced on every write, or null when none is installed. */
async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    usedMemory: async () => {
      const { Redis } = await import('ioredis');
      const r = new Redis(`redis://127.0.0.1:${port}`);
      const info = await r.info('memory');
      await r.quit();
      return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Stores: always SQLite; Redis too when redis-server is installed. */
async function withStores(root, distDir, run) {
  const out = {};
  const sqlite = await startAppServer(root, distDir, { TRUST_PROXY: '1' });
  try {
    out.sqlite = await run(sqlite, null);
  } finally {
    await sqlite.stop();
  }
  const redis = await startRedis();
  if (redis) {
    const server = await startAppServer(root, distDir, { TRUST_PROXY: '1', REDIS_URL: redis.url });
    try {
      out.redis = await run(server, redis);
    } finally {
      await server.stop();
      await redis.stop();
    }
  }
  return out;
}

export async function relayThroughputScenario({ root, distDir, writes, writers }) {
  const keys = Array.from({ length: writers }, (_, i) => relayKeys(createHash('sha256').update(`bench writer ${i}`).digest().subarray(0, 16)));
  return withStores(root, distDir, async (server) => {
    let next = 0;
    let refused = 0;
    const cpuBefore = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
    const t0 = performance.now();
    await Promise.all(
      keys.map(async (k, w) => {
        // Each writer its own room and address (the per-address budget is per client).
        for (let i = next++; i < writes; i = next++) {
          const body = Buffer.alloc(256, (i * 31 + w) & 0xff);
          body.writeUInt32BE(i, 0);
          if ((await postBlob(server.url, k, body, `10.0.${w}.1`)) !== 201) refused++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (stat) => {
      const f = stat.split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    };
    const serverCpu = cpu(readFileSync(`/proc/${server.pid}/stat`, 'utf8')) - cpu(cpuBefore);
    return { writes, writers, refused, seconds, perSecond: writes / seconds, serverCpuSeconds: serverCpu };
  });
}

/**
 * Server memory per room: RSS growth while `rooms` rooms get one blob each, next to a baseline
 * on a fresh server: the same number of writes into 10 rooms. The difference is what the rooms
 * themselves cost (the rest is HTTP, crypto and the heap's own growth).
 */
export async function relayMemoryScenario({ root, distDir, rooms }) {
  const grow = (spread) =>
    withStores(root, distDir, async (server, redis) => {
      // Warm up (first requests load code paths) before the baseline.
      const warm = relayKeys(Buffer.alloc(16, 255));
      await postBlob(server.url, warm, Buffer.alloc(64, 1), '10.1.0.1');
      const roomKeys = Array.from({ length: spread }, (_, i) => relayKeys(createHash('sha256').update(`bench room ${i}`).digest().subarray(0, 16)));
      const redisBefore = redis ? await redis.usedMemory() : null;
      const before = rssKb(server.pid);
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = next++; i < rooms; i = next++) {
            const status = await postBlob(server.url, roomKeys[i % spread], Buffer.alloc(200, i & 0xff), `10.2.${w}.${Math.floor(i / 1000)}`);
            if (status !== 201) throw new Error(`write ${i}: HTTP ${status}`);
          }
        }),
      );
      const after = rssKb(server.pid);
      const redisAfter = redis ? await redis.usedMemory() : null;
      // SQLite keeps rooms on disk: what DATA_DIR holds after the writes (WAL included).
      const diskMb = redis ? null : readdirSync(server.dataDir).reduce((n, f) => n + statSync(join(server.dataDir, f)).size, 0) / 1024 / 1024;
      return { rssGrowthMb: (after - before) / 1024, redisGrowthMb: redis ? (redisAfter - redisBefore) / 1024 / 1024 : null, diskMb };
    });
  const many = await grow(rooms);
  const few = await grow(Math.min(10, rooms));
  const out = {};
  for (const store of Object.keys(many)) {
    const per10k = (x) => (x === null ? null : (x * 10_000) / rooms);
    out[store] = {
      rooms,
      writes: rooms,
      rssGrowthManyRoomsMb: many[store].rssGrowthMb,
      rssGrowthTenRoomsMb: few[store]?.rssGrowthMb ?? null,
      rssPer10kRoomsMb: per10k(many[store].rssGrowthMb - (few[store]?.rssGrowthMb ?? 0)),
      redisPer10kRoomsMb: per10k(many[store].redisGrowthMb === null ? null : many[store].redisGrowthMb - (few[store]?.redisGrowthMb ?? 0)),
      diskPer10kRoomsMb: per10k(many[store].diskMb),
    };
  }
  return out;
}

/**
 * A new device joins the note in `backup` from the relay alone: peer A restores the backup,
 * shares the note (the relay gets it), and quits; then `joins` fresh browsers open the link.
 */
export async function relayJoinScenario({ root, distDir, backup, backupText, joins }) {
  const server = await startAppServer(root, distDir);
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-relay-'));
  const want = { paras: backupText.split('\n').length, chars: backupText.replace(/\n/g, '').length };
  try {
    const a = await chromium.launchPersistentContext(join(dir, 'a'), LAUNCH_OPTIONS);
    const page = a.pages()[0] ?? (await a.newPage());
    await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: 'Restore from backup' }).setInputFiles({ name: 'weft-backup.json', mimeType: 'application/json', buffer: Buffer.from(backup) });
    await page.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: /bench/ }).first().click({ timeout: 30_000 });
    await page.waitForFunction(
      ([sel, w]) => document.querySelector(sel)?.childElementCount === w.paras && document.querySelector(sel).textContent.length === w.chars,
      [EDITOR, want],
      { timeout: 60_000 },
    );
    await page.getByRole('button', { name: 'Share' }).click();
    const link = await page.getByRole('dialog').getByRole('textbox', { name: 'Share link' }).inputValue();
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await page.getByRole('status', { name: 'Relay status' }).filter({ hasText: 'Saved to the relay' }).waitFor({ timeout: 60_000 });
    await a.close(); // nobody is online from here on
    const ms = [];
    const local = [];
    const timelines = [];
    for (let j = 0; j < joins; j++) {
      const c = await chromium.launchPersistentContext(join(dir, `c${j}`), LAUNCH_OPTIONS);
      const p = c.pages()[0] ?? (await c.newPage());
      await p.goto('about:blank');
      // WEFT_PROFILE_PEERS / WEFT_TRACE_PEERS: the first join's CPU profile or timeline trace.
      const joinAndWait = async () => {
        await p.goto(link);
        return p.waitForFunction(
          ([sel, w]) => {
            const el = document.querySelector(sel);
            return el && el.childElementCount === w.paras && el.textContent.length === w.chars ? performance.now() : false;
          },
          [EDITOR, want],
          { polling: 'raf', timeout: 60_000 },
        );
      };
      const at = j === 0 ? await profiled({ c: p }, 'relay-join', joinAndWait) : await joinAndWait();
      ms.push(await at.jsonValue());
      // Where the time went: the page's own load, then the relay read (request → response end).
      timelines.push(
        await p.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const read = performance.getEntriesByType('resource').find((r) => r.name.includes('/relay/v2/'));
          return { domContentLoaded: nav?.domContentLoadedEventEnd ?? null, relayRequest: read?.startTime ?? null, relayResponseEnd: read?.responseEnd ?? null, relayBytes: read?.transferSize ?? null };
        }),
      );
      const connected = await p.getByRole('status', { name: 'Sync status' }).textContent();
      if (/Connected/.test(connected ?? '')) throw new Error('a peer was online during a relay-only join');
      // The floor, same browser and note: opening it again now that this device holds it
      // (a new page from storage: the app's start and drawing the note, without the relay's part).
      await p.goto('about:blank');
      await p.goto(link);
      const again = await p.waitForFunction(
        ([sel, w]) => {
          const el = document.querySelector(sel);
          return el && el.childElementCount === w.paras && el.textContent.length === w.chars ? performance.now() : false;
        },
        [EDITOR, want],
        { polling: 'raf', timeout: 60_000 },
      );
      local.push(await again.jsonValue());
      await c.close();
    }
    // The cold floor: a new device (fresh profile, nothing cached, no service worker) opening a
    // share link of a note nobody holds, until its empty note is editable. What the app's own
    // start costs on a new device, before any of the note's content.
    const cold = [];
    for (let j = 0; j < joins; j++) {
      const c = await chromium.launchPersistentContext(join(dir, `cold${j}`), LAUNCH_OPTIONS);
      const p = c.pages()[0] ?? (await c.newPage());
      await p.goto('about:blank');
      const id = () => randomBytes(16).toString('base64url');
      await p.goto(`${server.url}/#/share/v1/${id()}/${id()}`);
      const at = await p.waitForFunction(
        (sel) => document.querySelector(sel)?.getAttribute('contenteditable') === 'true' ? performance.now() : false,
        EDITOR,
        { polling: 'raf', timeout: 60_000 },
      );
      cold.push(await at.jsonValue());
      await c.close();
    }
    return { ok: true, ms, local, cold, timelines, paragraphs: want.paras, chars: want.chars };
  } catch (error) {
    return { ok: false, error: String(error) };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
