/* global window, document, MutationObserver, indexedDB -- used inside page.evaluate callbacks, which run in the browser */
/**
 * Scenario 16 (issue 19, "Find anything" + "Scale"): the built app (`dist/` on
 * `build/server/main.js`) in a fresh persistent Chromium profile per size, 10 and 10,000 notes of
 * ~5,000 characters cut from the editing traces' texts (tests/backupFixture.ts with a corpus; ~50 MB
 * of text at 10,000). Per size, through the UI:
 * - seed: "Restore from backup" of the fixture file until "Restored N notes" (timed, not a target);
 * - build: focus of the search box → the full-text index rebuilt from the stored texts (no
 *   snapshot yet) and its snapshot written (`window.weft.search`);
 * - cold start, `reps` times: a new Chromium process on the profile navigates to note 1's URL;
 *   navigation start → editable note showing its text, painted. Then, in that page: the JS heap
 *   after a forced collection ("after start"), DOM elements in the notes list and in the page, and
 *   on the first start the **first search** (the box filled with a word: the index loads from its
 *   snapshot) and **warm searches** (`queries` words, prefixes and typos from the notes' text, each
 *   from an empty box), each timed from the input event to the frame after the first `<mark>` of a
 *   result is in the list; the same queries through the list's read alone (no drawing); then the
 *   heap again with the index loaded.
 * Search targets (issue 19): p95 ≤ 50 ms warm; cold start at 10,000 notes ≤ 1.5x the 10-note start.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../scripts/chromium.mjs';
import { loadBackupFixture } from '../lib/fixture.mjs';
import { readTrace } from '../lib/traces.mjs';
import { startAppServer } from './coldStart.mjs';
import { openNoteCold } from './scale.mjs';

/** Seeded randomness (the same generator as tests/prng.ts). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STEP_TIMEOUT_MS = 30 * 60_000;

/** The traces' end texts, one after the other: real prose (and its vocabulary) for the notes. */
export function traceCorpus() {
  return ['sequential_traces/automerge-paper.json.gz', 'sequential_traces/friendsforever_flat.json.gz', 'sequential_traces/clownschool_flat.json.gz']
    .map((path) => readTrace(path).endContent)
    .join('\n');
}

/**
 * Queries every size can answer: words of the first notes' text (present at 10 notes and at
 * 10,000), as typed, as a prefix of 4–5 letters, and with one letter changed (a typo).
 */
function queriesFor(fixture, options, count, seed) {
  const words = new Set();
  for (let n = 0; n < 10; n++) {
    for (const line of fixture.fixtureLines(n, options).slice(1)) for (const w of line.toLowerCase().match(/[a-z]{6,}/g) ?? []) words.add(w);
  }
  const pool = [...words].sort();
  const random = mulberry32(seed);
  const queries = [];
  for (let i = 0; i < count; i++) {
    const word = pool[Math.floor(random() * pool.length)];
    const kind = i % 3;
    if (kind === 0) queries.push({ kind: 'word', q: word });
    else if (kind === 1) queries.push({ kind: 'prefix', q: word.slice(0, 4 + (i % 2)) });
    else {
      const at = 1 + Math.floor(random() * (word.length - 2));
      const letter = word[at] === 'e' ? 'a' : 'e';
      queries.push({ kind: 'typo', q: word.slice(0, at) + letter + word.slice(at + 1) });
    }
  }
  return queries;
}

/** Fills the search box with `q` from the page and resolves with ms until a result's <mark> is drawn (next frame). */
function timeSearch(page, q) {
  return page.evaluate(
    (q) =>
      new Promise((resolve, reject) => {
        const box = document.querySelector('input[type="search"][aria-label="Search notes"]');
        const nav = document.querySelector('nav[aria-label="Notes"]');
        if (!box || !nav) return reject(new Error('no search box or notes list'));
        const setValue = Object.getOwnPropertyDescriptor(window.HTMLInputElement.prototype, 'value').set;
        const done = () => nav.querySelector('mark') !== null || /No notes match/.test(nav.textContent);
        const t0 = performance.now();
        const observer = new MutationObserver(() => {
          if (!done()) return;
          observer.disconnect();
          clearTimeout(timer);
          window.requestAnimationFrame(() => resolve({ ms: performance.now() - t0, hits: nav.querySelectorAll('mark').length > 0 }));
        });
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`search for ${q} showed nothing in 60 s`));
        }, 60_000);
        observer.observe(nav, { childList: true, subtree: true, characterData: true });
        setValue.call(box, q);
        box.dispatchEvent(new Event('input', { bubbles: true }));
      }),
    q,
  );
}

/** Empties the search box and waits until the unfiltered list (no marks) is drawn. */
async function clearSearch(page) {
  await page.getByRole('searchbox', { name: 'Search notes' }).fill('');
  await page.waitForFunction(() => document.querySelector('nav[aria-label="Notes"] mark') === null && !/No notes match/.test(document.querySelector('nav[aria-label="Notes"]')?.textContent ?? ''), null, {
    polling: 'raf',
  });
}

async function heapAfterCollection(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

async function oneSize({ server, fixture, notes, reps, seed, corpus, queries }) {
  const options = { seed, chars: 5_000, corpus };
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-search-'));
  const profile = join(dir, 'profile');
  const file = join(dir, 'backup.jsonl');
  const out = { notes, reps };
  let context = null;
  try {
    const backup = fixture.fixtureBackup(notes, options);
    out.fileBytes = backup.size;
    await writeFile(file, Buffer.from(await backup.arrayBuffer()));
    let textChars = 0;
    for (let n = 0; n < notes; n++) textChars += fixture.fixtureLines(n, options).reduce((sum, line) => sum + line.length + 1, 0);
    out.textChars = textChars;
    const first = { id: fixture.fixtureNote(0, options).id, text: fixture.fixtureLines(0, options)[1].slice(0, 60) };

    context = await chromium.launchPersistentContext(profile, LAUNCH_OPTIONS);
    let page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: 'New note' }).waitFor();
    let t0 = performance.now();
    await page.getByLabel('Restore from backup').setInputFiles(file);
    await page
      .getByRole('status')
      .filter({ hasText: `Restored ${notes.toLocaleString('en-US')} notes from the backup.` })
      .waitFor({ timeout: STEP_TIMEOUT_MS });
    out.restoreMs = performance.now() - t0;

    // The first index: nothing persisted yet, so the focus rebuilds it from the stored texts.
    t0 = performance.now();
    await page.getByRole('searchbox', { name: 'Search notes' }).focus();
    await page.waitForFunction(() => window.weft.search.state().state === 'ready', null, { timeout: STEP_TIMEOUT_MS, polling: 100 });
    out.buildMs = performance.now() - t0;
    out.buildOrigin = (await page.evaluate(() => window.weft.search.state())).origin;
    t0 = performance.now();
    await page.evaluate(() => window.weft.search.saveSnapshot());
    out.snapshotSaveMs = performance.now() - t0;
    // The snapshot's size as stored (characters of its JSON), read straight from IndexedDB.
    out.snapshotChars = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open('weft:notes-index');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('snapshots').objectStore('snapshots').get('data');
            get.onsuccess = () => {
              resolve(typeof get.result === 'string' ? get.result.length : 0);
              open.result.close();
            };
            get.onerror = () => reject(get.error);
          };
        }),
    );
    await page.evaluate(() => window.weft.flush());
    await context.close();
    context = null;

    out.coldMs = [];
    out.heapAfterStart = [];
    for (let r = 0; r < reps; r++) {
      let ms;
      ({ context, page, ms } = await openNoteCold(profile, `${server.url}/#/note/${first.id}`, first.text));
      out.coldMs.push(ms);
      const cdp = await context.newCDPSession(page);
      // The list's first page is drawn (it reads in parallel with the note).
      await page.getByRole('navigation', { name: 'Notes' }).getByRole('link').first().waitFor();
      out.heapAfterStart.push(await heapAfterCollection(cdp));
      if (r === 0) {
        out.listElements = await page.evaluate(() => document.querySelectorAll('nav[aria-label="Notes"] *').length);
        out.listLinks = await page.evaluate(() => document.querySelectorAll('nav[aria-label="Notes"] a').length);
        out.pageElements = await page.evaluate(() => document.querySelectorAll('*').length);
        out.searchStateAtStart = (await page.evaluate(() => window.weft.search.state())).state;
        // First search: the index is loaded (from the snapshot) by this query.
        const firstSearch = await timeSearch(page, queries[0].q);
        out.firstSearchMs = firstSearch.ms;
        out.firstSearchOrigin = (await page.evaluate(() => window.weft.search.state())).origin;
        out.warm = [];
        for (const { kind, q } of queries.slice(1)) {
          await clearSearch(page);
          const { ms, hits } = await timeSearch(page, q);
          out.warm.push({ kind, q, ms, hits });
        }
        // The same queries through the list's read alone (what the list reads: index, entries, texts,
        // snippets), without drawing: the rest of the warm figure is React drawing the results.
        out.listOnly = await page.evaluate(async (queries) => {
          const times = [];
          for (const q of queries) {
            const t0 = performance.now();
            await window.weft.search.list(q);
            times.push(performance.now() - t0);
          }
          return times;
        }, queries.slice(1).map((x) => x.q));
        out.heapWithIndex = await heapAfterCollection(cdp);
      }
      await context.close();
      context = null;
    }
  } finally {
    if (context) await context.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

/** Runs every size, smallest first; resolves with one row per size. */
export async function searchScenario({ root, distDir, sizes, reps, seed, queryCount, log }) {
  const fixture = await loadBackupFixture(root);
  const corpus = traceCorpus();
  const queries = queriesFor(fixture, { seed, chars: 5_000, corpus }, queryCount, seed);
  log(`  corpus: the traces' end texts, ${corpus.length.toLocaleString('en-US')} characters; ${queries.length} queries (seed ${seed})`);
  const server = await startAppServer(root, distDir);
  const rows = [];
  try {
    for (const notes of sizes) {
      log(`  ${notes} notes…`);
      try {
        rows.push(await oneSize({ server, fixture, notes, reps, seed, corpus, queries }));
      } catch (error) {
        rows.push({ notes, error: String(error?.message ?? error) });
      }
    }
  } finally {
    await server.stop();
  }
  return { rows, queries };
}
