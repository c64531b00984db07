/* global window, document */
/**
 * Scenario 10 (issue 21, many notes): the built app (`dist/` served by `build/server/main.js`) in
 * a fresh persistent Chromium profile per size, with 10 / 100 / 1,000 / 10,000 notes of about
 * 5,000 characters (tests/backupFixture.ts; the same seed, so note 2 is the same note at every
 * size). Per size, through the UI:
 * - restore: "Restore from backup" of the fixture file until "Restored N notes" (time, peak JS heap);
 * - backup: "Back up all notes" until the download (time, peak JS heap, file bytes; the file's
 *   note count is checked);
 * - disk: `navigator.storage.estimate().usage` after both;
 * - open a note: a click on note 2's list link until the editor shows its text, then note 3 (not
 *   timed), `reps` times;
 * - cold start: a new Chromium process on the profile navigates to note 2's URL; from navigation
 *   start to the first frame with the note editable and showing its text, `reps` times.
 * Peak heap: `Runtime.getHeapUsage` (CDP) sampled every 100 ms during the operation, after a forced
 * collection before it (garbage included); and the live heap of a second, untimed backup: a forced
 * collection before each sample, every 500 ms. Targets (issue 21) are ratios to the 10-note run of the same sitting.
 */
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../scripts/chromium.mjs';
import { loadBackupFixture } from '../lib/fixture.mjs';
import { startAppServer } from './coldStart.mjs';

const EDITOR = '[contenteditable="true"][aria-label="Note"]';
/** Longest any one step may take (a restore of 10,000 notes on a loaded 2-core machine included). */
const STEP_TIMEOUT_MS = 30 * 60_000;

/**
 * Samples the page's used JS heap every `everyMs` until stopped; resolves with the peak (bytes).
 * With `collect`, a full collection runs before each sample (slower, but only live objects count).
 */
async function heapSampler(cdp, { collect = false, everyMs = 100 } = {}) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize: before } = await cdp.send('Runtime.getHeapUsage');
  let peak = before;
  let running = true;
  const loop = (async () => {
    while (running) {
      if (collect) await cdp.send('HeapProfiler.collectGarbage').catch(() => undefined);
      const { usedSize } = await cdp.send('Runtime.getHeapUsage').catch(() => ({ usedSize: 0 }));
      peak = Math.max(peak, usedSize);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    before,
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** Clicks the list link named `title` and resolves with ms until the editor shows `text` (next frame). */
function timeOpen(page, title, text) {
  return page.evaluate(
    ({ title, text, editor }) =>
      new Promise((resolve, reject) => {
        const link = [...document.querySelectorAll('nav[aria-label="Notes"] a')].find((a) => a.textContent === title);
        if (!link) return reject(new Error(`no list link named ${title}`));
        const t0 = performance.now();
        link.click();
        const tick = () => {
          const el = document.querySelector(editor);
          if (el && el.textContent.includes(text)) window.requestAnimationFrame(() => resolve(performance.now() - t0));
          else if (performance.now() - t0 > 60_000) reject(new Error(`note ${title} did not open`));
          else window.requestAnimationFrame(tick);
        };
        tick();
      }),
    { title, text, editor: EDITOR },
  );
}

async function oneSize({ server, fixture, notes, reps, seed }) {
  const options = { seed, chars: 5_000 };
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-scale-'));
  const profile = join(dir, 'profile');
  const file = join(dir, 'backup.jsonl');
  const out = { notes, reps };
  let context = null;
  try {
    await writeFile(file, Buffer.from(await fixture.fixtureBackup(notes, options).arrayBuffer()));
    out.fileBytes = (await stat(file)).size;
    const note = (n) => {
      const lines = fixture.fixtureLines(n, options);
      return { id: fixture.fixtureNote(n, options).id, title: fixture.fixtureNote(n, options).entry.title ?? lines[0], text: lines[1].slice(0, 80) };
    };
    const [a, b] = [note(1), note(2)];

    context = await chromium.launchPersistentContext(profile, LAUNCH_OPTIONS);
    let page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: 'New note' }).waitFor();
    const cdp = await context.newCDPSession(page);

    // Restore.
    let heap = await heapSampler(cdp);
    let t0 = performance.now();
    await page.getByLabel('Restore from backup').setInputFiles(file);
    await page
      .getByRole('status')
      .filter({ hasText: `Restored ${notes.toLocaleString('en-US')} notes from the backup.` })
      .waitFor({ timeout: STEP_TIMEOUT_MS });
    out.restoreMs = performance.now() - t0;
    out.restoreHeapPeak = await heap.stop();
    out.restoreHeapBefore = heap.before;

    // Backup.
    heap = await heapSampler(cdp);
    t0 = performance.now();
    const downloading = page.waitForEvent('download', { timeout: STEP_TIMEOUT_MS });
    await page.getByRole('button', { name: 'Back up all notes' }).click();
    const download = await downloading;
    const saved = join(dir, 'again.jsonl');
    await download.saveAs(saved);
    out.backupMs = performance.now() - t0;
    out.backupHeapPeak = await heap.stop();
    out.backupHeapBefore = heap.before;
    out.backupBytes = (await stat(saved)).size;
    const handle = await open(saved);
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(512), 0, 512, 0);
    await handle.close();
    const header = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8').split('\n', 1)[0]);
    if (header.notes !== notes) throw new Error(`the backup holds ${header.notes} notes, not ${notes}`);

    // Live heap of a backup: the same backup again (untimed), with a forced collection before each
    // sample, so the peak is what the backup holds, not garbage waiting for a collection.
    const live = await heapSampler(cdp, { collect: true, everyMs: 500 });
    const again = page.waitForEvent('download', { timeout: STEP_TIMEOUT_MS });
    await page.getByRole('button', { name: 'Back up all notes' }).click();
    await (await again).path();
    out.backupLiveHeapPeak = await live.stop();
    out.backupLiveHeapBefore = live.before;

    out.diskBytes = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

    // Opening a note from the list (warm).
    out.openMs = [];
    for (let r = 0; r < reps; r++) {
      out.openMs.push(await timeOpen(page, a.title, a.text));
      await timeOpen(page, b.title, b.text);
    }
    await page.evaluate(() => window.weft.flush());
    await context.close();
    context = null;

    // Cold start to an editable note.
    out.coldMs = [];
    for (let r = 0; r < reps; r++) {
      let ms;
      ({ context, page, ms } = await openNoteCold(profile, `${server.url}/#/note/${a.id}`, a.text));
      out.coldMs.push(ms);
      await context.close();
      context = null;
    }
  } finally {
    if (context) await context.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

/** Runs every size in `sizes`, smallest first; resolves with one row per size. */
/**
 * A new Chromium process on `profile` opens `url`: navigation start → the first frame painted after the
 * editor shows `text` (ms, in the page's clock). Resolves with the open context and page too.
 */
export async function openNoteCold(profile, url, text) {
  const context = await chromium.launchPersistentContext(profile, LAUNCH_OPTIONS);
  const page = context.pages()[0] ?? (await context.newPage());
  const ready = page.waitForFunction(
    ({ editor, text }) => {
      const el = document.querySelector(editor);
      return el && el.textContent.includes(text) ? performance.now() : false;
    },
    { editor: EDITOR, text },
    { polling: 'raf', timeout: STEP_TIMEOUT_MS },
  );
  await page.goto(url);
  const ms = await (await ready).jsonValue();
  const painted = await page.evaluate(() => new Promise((resolve) => window.requestAnimationFrame(() => resolve(performance.now()))));
  return { context, page, ms: Math.max(ms, painted) };
}

export async function scaleScenario({ root, distDir, sizes, reps, seed, log }) {
  const fixture = await loadBackupFixture(root);
  const server = await startAppServer(root, distDir);
  const rows = [];
  try {
    for (const notes of sizes) {
      log(`  ${notes} notes…`);
      try {
        rows.push(await oneSize({ server, fixture, notes, reps, seed }));
      } catch (error) {
        rows.push({ notes, error: String(error?.message ?? error) });
      }
    }
  } finally {
    await server.stop();
  }
  return rows;
}
