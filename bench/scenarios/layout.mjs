/* global window */
/**
 * Scenario 11 (issue 21, storage layout): the two candidate IndexedDB layouts for N notes, raw, in
 * Chromium with a fresh persistent profile per layout and size (what is stored is real IndexedDB on
 * disk, not an incognito context's memory):
 * - **per-note** (Weft's layout, y-indexeddb's): one database per note, stores `updates`
 *   (auto-increment) and `custom`; a note is opened, read or written by opening its database;
 * - **single**: one database for every note, store `updates` keyed `[note name, seq]`; a note is
 *   one key range of the shared, already open database.
 * Each note is one stored update of `bytes` bytes of word text (as compressible as a note's Yjs
 * state). Per layout and size: writing every note, one transaction each (what a restore does);
 * reading every note, one at a time (what a backup does); in a new page (a fresh start), the first
 * note opened (start-up to the first note) and the median of 20 more (opening a note); disk usage
 * (`navigator.storage.estimate()`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../scripts/chromium.mjs';
import { serveHarness } from '../lib/harness.mjs';

/** The in-page side: writes and reads N notes in one layout. Runs in the browser. */
const PAGE_SCRIPT = `
const WORDS = 'the of and to in is that it was for on are with as his they be at one have this from or had by word'.split(' ');
function noteBytes(n, bytes) {
  let s = 'Note ' + n;
  for (let i = n; s.length < bytes; i += 7) s += ' ' + WORDS[i % WORDS.length];
  return new TextEncoder().encode(s.slice(0, bytes));
}
const done = (req) => new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
const committed = (tx) => new Promise((resolve, reject) => { tx.oncomplete = () => resolve(); tx.onabort = () => reject(tx.error); });
function openDb(name, upgrade) {
  const req = indexedDB.open(name);
  req.onupgradeneeded = () => upgrade(req.result);
  return done(req);
}
const perNote = (db) => { db.createObjectStore('updates', { autoIncrement: true }); db.createObjectStore('custom'); };
const single = (db) => { db.createObjectStore('updates'); db.createObjectStore('custom'); };
const range = (name) => IDBKeyRange.bound([name, 0], [name, Infinity]);
window.layoutBench = {
  async writeAll(layout, count, bytes) {
    const t0 = performance.now();
    const shared = layout === 'single' ? await openDb('weft-notes', single) : null;
    for (let n = 0; n < count; n++) {
      const name = 'note-' + n;
      const db = shared ?? (await openDb('weft:' + name, perNote));
      const tx = db.transaction('updates', 'readwrite');
      if (shared) tx.objectStore('updates').put(noteBytes(n, bytes), [name, 0]);
      else tx.objectStore('updates').add(noteBytes(n, bytes));
      await committed(tx);
      if (!shared) db.close();
    }
    shared?.close();
    return performance.now() - t0;
  },
  async readAll(layout, count) {
    const t0 = performance.now();
    let total = 0;
    const shared = layout === 'single' ? await openDb('weft-notes', single) : null;
    for (let n = 0; n < count; n++) {
      const name = 'note-' + n;
      const db = shared ?? (await openDb('weft:' + name, perNote));
      const rows = await done(db.transaction('updates').objectStore('updates').getAll(shared ? range(name) : undefined));
      for (const row of rows) total += row.byteLength;
      if (!shared) db.close();
    }
    shared?.close();
    return { ms: performance.now() - t0, total };
  },
  async openNotes(layout, ids) {
    const times = [];
    let shared = null;
    for (const n of ids) {
      const name = 'note-' + n;
      const t0 = performance.now();
      if (layout === 'single') shared ??= await openDb('weft-notes', single);
      const db = shared ?? (await openDb('weft:' + name, perNote));
      const rows = await done(db.transaction('updates').objectStore('updates').getAll(shared ? range(name) : undefined));
      if (rows.length !== 1) throw new Error('note ' + n + ' has ' + rows.length + ' rows');
      times.push(performance.now() - t0);
      if (!shared) db.close();
    }
    return times;
  },
  async usage() { return (await navigator.storage.estimate()).usage ?? 0; },
};
`;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};

async function oneRun(url, layout, count, bytes) {
  const profile = await mkdtemp(join(tmpdir(), 'weft-bench-layout-'));
  let context = null;
  try {
    context = await chromium.launchPersistentContext(profile, LAUNCH_OPTIONS);
    let page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
    await page.addScriptTag({ content: PAGE_SCRIPT });
    const writeMs = await page.evaluate(([l, c, b]) => window.layoutBench.writeAll(l, c, b), [layout, count, bytes]);
    const read = await page.evaluate(([l, c]) => window.layoutBench.readAll(l, c), [layout, count]);
    if (read.total !== count * bytes) throw new Error(`read ${read.total} bytes, wrote ${count * bytes}`);
    const diskBytes = await page.evaluate(() => window.layoutBench.usage());
    // A fresh start: a new page (new JS realm, no open connections) opens notes spread over the range.
    await page.close();
    page = await context.newPage();
    await page.goto(url);
    await page.addScriptTag({ content: PAGE_SCRIPT });
    const ids = Array.from({ length: 21 }, (_, i) => Math.floor((i * (count - 1)) / 20));
    const opens = await page.evaluate(([l, i]) => window.layoutBench.openNotes(l, i), [layout, ids]);
    return { layout, count, bytes, writeMs: writeMs, readMs: read.ms, firstOpenMs: opens[0], openMs: median(opens.slice(1)), diskBytes };
  } finally {
    if (context) await context.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
  }
}

/** Both layouts at every size in `sizes`, side by side; resolves with one row per layout and size. */
export async function layoutScenario({ sizes, bytes = 6_000, log }) {
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-layout-page-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>layout bench</title>');
  const server = await serveHarness(dir);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const rows = [];
  try {
    for (const count of sizes) {
      for (const layout of ['per-note', 'single']) {
        log(`  ${layout}, ${count} notes…`);
        rows.push(await oneRun(url, layout, count, bytes));
      }
    }
  } finally {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
