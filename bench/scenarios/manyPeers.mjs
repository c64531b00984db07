/* global window, document, MutationObserver */
/**
 * Scenario 13: rooms with many people (issue 16). N peers — N separate Chromium processes on
 * their own profiles, the built app and our server on loopback — open one shared note; each
 * waits until it is connected and its "People here" list shows all N (presence travels only over
 * the peer connections, never through the relay, so a full list proves the mesh is connected).
 * Then the peers type in turn (typist rotating in blocks), one keystroke at a time, the next once
 * every other peer's editor shows the previous one.
 *
 * Per row: keystroke → each other peer's DOM over all (keystroke, receiver) pairs, p50 and p99.
 * Times are `performance.timeOrigin + …` in every page: the typist's keydown, and in each receiver
 * the MutationObserver callback in which the editor's text first reached the new length — the
 * processes share the machine's clock. CPU per peer over the typing phase two ways: the browser's
 * whole process tree from /proc (bench/lib/processCpu.mjs: browser, renderer, network, ...), and
 * the CPU time of the page's renderer process and of its main thread (CDP `Performance.getMetrics`
 * `ProcessTime`, `ThreadTime`; not `TaskDuration`, which is wall time and on a loaded machine
 * counts the time a task waited for a core). The bench's own per-keystroke `evaluate` in every page
 * is inside these numbers (a few hundred microseconds each). Messages and
 * bytes each peer's data channels received per keystroke (document updates apart): the cost of a
 * full mesh's redundant hop (every peer forwards what it applied to its other peers).
 *
 * A row may lower the cap on connections a peer opens itself (the server's MAX_PEER_CONNECTIONS,
 * handed out in /config.json): above it the room is a partial mesh and keystrokes reach most peers
 * through peers that forward them. Each peer's "Connected to d peers" is reported as its degree.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../scripts/chromium.mjs';
import { startAppServer } from './coldStart.mjs';
import { EDITOR, shareLink } from './peers.mjs';
import { browserPid, treeCpuSeconds } from '../lib/processCpu.mjs';
import { summarize } from '../lib/stats.mjs';

/** Browsers launched at once (each launch is a burst of CPU on a small machine). */
const LAUNCH_BATCH = 4;
/** Generous: 16 browsers on 2 loaded cores take their time. */
const SETTLE_TIMEOUT_MS = 180_000;
const KEY_TIMEOUT_MS = 30_000;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Init script: counts what the page's data channels receive (all messages; y-protocols document updates apart). */
function countChannelMessages() {
  const counts = { messages: 0, bytes: 0, updates: 0, updateBytes: 0 };
  window.__weftReceived = counts;
  const watch = (channel) =>
    channel.addEventListener('message', (event) => {
      if (!(event.data instanceof ArrayBuffer)) return;
      const bytes = new Uint8Array(event.data);
      counts.messages++;
      counts.bytes += bytes.byteLength;
      // y-webrtc sync message (type 0), sync update (2).
      if (bytes[0] === 0 && bytes[1] === 2) {
        counts.updates++;
        counts.updateBytes += bytes.byteLength;
      }
    });
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.RTCPeerConnection = class extends Native {
    constructor(config) {
      super(config);
      this.addEventListener('datachannel', (event) => watch(event.channel));
    }
    createDataChannel(label, init) {
      const channel = super.createDataChannel(label, init);
      watch(channel);
      return channel;
    }
  };
}

/** In the page: records typed characters' keydown times and the times the editor's text grew. */
function instrumentPage(selector) {
  const editor = document.querySelector(selector);
  window.__keys = [];
  window.__grew = [];
  window.__waiters = [];
  window.addEventListener('keydown', (event) => {
    if (event.key.length === 1) window.__keys.push(performance.timeOrigin + event.timeStamp);
  }, true);
  let length = editor.textContent.length;
  new MutationObserver(() => {
    const now = editor.textContent.length;
    if (now === length) return;
    length = now;
    window.__grew.push([now, performance.timeOrigin + performance.now()]);
    window.__waiters = window.__waiters.filter(([want, resolve]) => (now >= want ? (resolve(), false) : true));
  }).observe(editor, { subtree: true, childList: true, characterData: true });
}

/** In the page: resolves once the editor's text has reached `want` characters (no polling). */
function textReaches(want) {
  return new Promise((resolve) => {
    if (document.querySelector('[contenteditable="true"][aria-label="Note"]').textContent.length >= want) resolve();
    else window.__waiters.push([want, resolve]);
  });
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const peopleHere = (page) => page.getByRole('list', { name: 'People here' }).getByRole('listitem');
const syncStatus = (page) => page.getByRole('status', { name: 'Sync status' });
const degreeOf = async (page) => Number(/^Connected to (\d+) peers?(,|$)/.exec((await syncStatus(page).textContent()) ?? '')?.[1] ?? 0);

/** Launches `n` browsers, a few at a time; resolves with their pages, profiles and process ids. */
async function launchPeers(dir, n, contexts) {
  const peers = [];
  for (let first = 0; first < n; first += LAUNCH_BATCH) {
    const batch = Array.from({ length: Math.min(LAUNCH_BATCH, n - first) }, (_, i) => first + i);
    peers.push(
      ...(await Promise.all(
        batch.map(async (i) => {
          const profile = join(dir, `peer-${i}`);
          // Camera/microphone granted: Chromium then gathers host candidates (WebRTC on loopback).
          const context = await chromium.launchPersistentContext(profile, { ...LAUNCH_OPTIONS, permissions: ['camera', 'microphone'] });
          contexts.push(context);
          await context.addInitScript(countChannelMessages);
          const page = context.pages()[0] ?? (await context.newPage());
          page.on('pageerror', (e) => console.error(`[peer ${i} page error]`, e.message));
          return { name: `peer ${i}`, page, pid: browserPid(profile) };
        }),
      )),
    );
  }
  return peers;
}

/** One room: `n` peers, the cap (null: the app's own), `keystrokes` typed in turn. */
async function roomRow({ root, distDir, n, cap, keystrokes, log }) {
  const row = { peers: n, cap, keystrokes, ok: true, error: null, loadAverage: { start: loadavg() } };
  const server = await startAppServer(root, distDir, cap === null ? {} : { MAX_PEER_CONNECTIONS: String(cap) });
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-room-'));
  const contexts = [];
  try {
    const peers = await launchPeers(dir, n, contexts);
    // Each loads the app once: /config.json (and with it the cap) is there before the note opens.
    await Promise.all(peers.map(({ page }) => page.goto(`${server.url}/`)));
    if (cap !== null) {
      await Promise.all(
        peers.map(({ page }) => page.waitForFunction((c) => JSON.parse(localStorage.getItem('weft:sync-config') ?? '{}').maxPeerConnections === c, cap)),
      );
    }
    const [first] = peers;
    await first.page.getByRole('button', { name: 'New note' }).click();
    await first.page.locator(EDITOR).click();
    await first.page.keyboard.type('Room');
    const link = await shareLink(first.page);
    // The others open the link one after the other, as people arriving would.
    const t0 = performance.now();
    for (const { page } of peers.slice(1)) {
      await page.goto(link);
      await page.locator(EDITOR).waitFor();
    }
    // ("Connected to 3 peers, direct": the path follows the count once known.)
    const wantStatus = cap === null ? new RegExp(`^Connected to ${n - 1} peers?(,|$)`) : /^Connected to \d+ peers?(,|$)/;
    await Promise.all(
      peers.map(async ({ page }) => {
        await syncStatus(page).filter({ hasText: wantStatus }).waitFor({ timeout: SETTLE_TIMEOUT_MS });
        await page.waitForFunction((count) => document.querySelectorAll('[aria-label="People here"] > li').length === count, n, { timeout: SETTLE_TIMEOUT_MS, polling: 250 });
        await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'Room', EDITOR, { timeout: SETTLE_TIMEOUT_MS, polling: 250 });
      }),
    );
    row.settleMs = performance.now() - t0;
    row.degrees = await Promise.all(peers.map(({ page }) => degreeOf(page)));
    row.people = await Promise.all(peers.map(({ page }) => peopleHere(page).count()));

    // Typing: the typist changes every `block` keys, each clicking to the end of the note first.
    await Promise.all(peers.map(({ page }) => page.evaluate(instrumentPage, EDITOR)));
    const cdp = await Promise.all(peers.map(async ({ page }) => {
      const session = await page.context().newCDPSession(page);
      await session.send('Performance.enable');
      return session;
    }));
    /** [renderer process, its main thread] CPU seconds of each page so far. */
    const rendererSeconds = async () =>
      Promise.all(
        cdp.map(async (session) => {
          const { metrics } = await session.send('Performance.getMetrics');
          const value = (name) => metrics.find((m) => m.name === name)?.value ?? NaN;
          return [value('ProcessTime'), value('ThreadTime')];
        }),
      );
    const block = Math.max(1, Math.floor(keystrokes / n));
    const typed = []; // [typist index, its keydown index]
    const keysOf = new Array(n).fill(0);
    let typist = -1;
    const base = 'Room'.length;
    await Promise.all(peers.map(({ page }) => page.evaluate(() => Object.keys(window.__weftReceived).forEach((k) => (window.__weftReceived[k] = 0)))));
    const cpuBefore = peers.map(({ pid }) => treeCpuSeconds(pid));
    const rendererBefore = await rendererSeconds();
    const typingStart = performance.now();
    for (let k = 0; k < keystrokes; k++) {
      const next = Math.floor(k / block) % n;
      if (next !== typist) {
        typist = next;
        await peers[typist].page.locator(EDITOR).click();
        await peers[typist].page.keyboard.press('Control+End');
      }
      await peers[typist].page.keyboard.type(LETTERS[k % LETTERS.length]);
      typed.push([typist, keysOf[typist]++]);
      await within(KEY_TIMEOUT_MS, `keystroke ${k + 1} on every peer`, Promise.all(peers.map(({ page }) => page.evaluate(textReaches, base + k + 1))));
    }
    row.typingSeconds = (performance.now() - typingStart) / 1000;
    const rendererAfter = await rendererSeconds();
    const cpuAfter = peers.map(({ pid }) => treeCpuSeconds(pid));
    row.loadAverage.end = loadavg();

    const records = await Promise.all(peers.map(({ page }) => page.evaluate(() => ({ keys: window.__keys, grew: window.__grew, received: window.__weftReceived }))));
    const latencies = [];
    let missing = 0;
    typed.forEach(([who, index], k) => {
      const keyAt = records[who].keys[index];
      for (let r = 0; r < n; r++) {
        if (r === who) continue;
        const shownAt = records[r].grew.find(([length]) => length >= base + k + 1)?.[1];
        if (keyAt === undefined || shownAt === undefined) missing++;
        else latencies.push(shownAt - keyAt);
      }
    });
    row.latency = summarize(latencies);
    row.pairs = latencies.length;
    if (missing > 0) throw new Error(`${missing} (keystroke, receiver) pairs without a time`);
    const cpu = cpuAfter.map((after, i) => after - cpuBefore[i]);
    row.cpuSeconds = summarize(cpu);
    row.rendererSeconds = summarize(rendererAfter.map(([after], i) => after - rendererBefore[i][0]));
    row.mainThreadSeconds = summarize(rendererAfter.map(([, after], i) => after - rendererBefore[i][1]));
    // What the room received, per keystroke and receiver (N − 1 of them): 1 document update each in a
    // tree; a full mesh adds the copies every peer forwards (dropped by Yjs as already known).
    const perReceiver = (key) => records.reduce((sum, x) => sum + x.received[key], 0) / keystrokes / (n - 1);
    row.perReceiverPerKeystroke = { messages: perReceiver('messages'), bytes: perReceiver('bytes'), updates: perReceiver('updates'), updateBytes: perReceiver('updateBytes') };
    const texts = await Promise.all(peers.map(({ page }) => page.locator(EDITOR).textContent()));
    if (new Set(texts).size !== 1 || texts[0].length !== base + keystrokes) throw new Error(`the peers' texts differ after typing (lengths ${texts.map((t) => t.length).join(', ')})`);
    log(
      `  ${n} peers${cap === null ? '' : `, cap ${cap}`}: all connected and present ${(row.settleMs / 1000).toFixed(1)} s after the second opened the link (degrees ${row.degrees.join(' ')}); ` +
        `keystroke → other peer's DOM p50 ${row.latency.median.toFixed(1)} p99 ${row.latency.p99.toFixed(1)} max ${row.latency.max.toFixed(1)} ms (${row.pairs} pairs); ` +
        `CPU per peer over ${row.typingSeconds.toFixed(1)} s of typing: process tree median ${row.cpuSeconds.median.toFixed(2)} s (max ${row.cpuSeconds.max.toFixed(2)}), renderer ${row.rendererSeconds.median.toFixed(2)} s, its main thread ${row.mainThreadSeconds.median.toFixed(2)} s; ` +
        `received per keystroke and receiver: ${row.perReceiverPerKeystroke.messages.toFixed(1)} messages, ${row.perReceiverPerKeystroke.bytes.toFixed(0)} B (${row.perReceiverPerKeystroke.updates.toFixed(1)} document updates); ` +
        `load ${row.loadAverage.start.map((x) => x.toFixed(1)).join(' ')} → ${row.loadAverage.end.map((x) => x.toFixed(1)).join(' ')}`,
    );
  } catch (error) {
    row.ok = false;
    row.error = String(error?.message ?? error).split('\n')[0];
    log(`  ${n} peers${cap === null ? '' : `, cap ${cap}`}: FAILED — ${row.error}`);
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await server.stop();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  return row;
}

/** Runs each of `rooms` (`{ peers, cap }`, cap null for the app's own) in turn. */
export async function manyPeersScenario({ root, distDir, rooms, keystrokes, log }) {
  const rows = [];
  for (const { peers, cap } of rooms) rows.push(await roomRow({ root, distDir, n: peers, cap, keystrokes, log }));
  return rows;
}
