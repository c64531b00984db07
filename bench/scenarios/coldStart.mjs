/* global window, document */
/**
 * Scenario 7 (cold start): the installed app, offline, to an editable note. The built app
 * (`dist/` served by `build/server/main.js`, as users get it) is visited once online in a
 * persistent Chromium profile until its service worker controls the page; a note is written and
 * flushed to IndexedDB; the browser is closed. Then, `reps` times: a new Chromium process on the
 * same profile, offline from the first request, navigates to the note's URL; measured from the
 * navigation's start (`performance.timeOrigin`, in the page) to the first frame in which the note's
 * editor is contenteditable and shows the note's text. Browser launch time is reported apart
 * (it is not the app's). Correctness: the reopened note shows what was written.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../scripts/chromium.mjs';

const READY_LINE = /Weft is running at (http:\/\/\S+?)\/?\r?\n/;
const NOTE_TEXT = 'Cold start: this note was written online and is opened offline.';

/**
 * Starts `node build/server/main.js` on 127.0.0.1:0 over `distDir` (extra `env`, e.g. REDIS_URL;
 * the relay's DATA_DIR is a fresh temporary directory, removed on stop); resolves with its URL,
 * pid and a stop().
 */
export function startAppServer(root, distDir, env = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'weft-bench-data-'));
  const child = spawn(process.execPath, [join(root, 'build/server/main.js')], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', STATIC_DIR: distDir, DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve)).then(() => rmSync(dataDir, { recursive: true, force: true }));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the Weft server did not start:\n${output}`));
    }, 15_000);
    const onData = (chunk) => {
      output += chunk.toString('utf8');
      const m = READY_LINE.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop, pid: child.pid, dataDir });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Weft server exited (${code}) before it was ready:\n${output}`));
    });
  });
}

export async function coldStartScenario({ root, distDir, reps }) {
  const server = await startAppServer(root, distDir);
  const profile = await mkdtemp(join(tmpdir(), 'weft-bench-profile-'));
  const launch = () => chromium.launchPersistentContext(profile, LAUNCH_OPTIONS);
  const out = { ms: [], launchMs: [], ok: true, error: null };
  let context = null;
  try {
    // Install: one online visit, until the worker controls the page (it never claims the page
    // that installed it, so reload once), then write a note and let it reach IndexedDB.
    context = await launch();
    let page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/`);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
    await page.getByRole('button', { name: 'New note' }).click();
    const editor = page.getByRole('textbox', { name: 'Note' });
    await editor.waitFor();
    await editor.click();
    await page.keyboard.type(NOTE_TEXT);
    await page.evaluate(() => window.weft.flush());
    const noteUrl = page.url();
    await context.close();
    context = null;

    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      context = await launch();
      out.launchMs.push(performance.now() - t0);
      await context.setOffline(true);
      page = context.pages()[0] ?? (await context.newPage());
      const ready = page.waitForFunction(
        (text) => {
          const el = document.querySelector('[contenteditable="true"][aria-label="Note"]');
          return el && el.textContent.includes(text) ? performance.now() : false;
        },
        NOTE_TEXT,
        { polling: 'raf', timeout: 30_000 },
      );
      await page.goto(noteUrl);
      const ms = await (await ready).jsonValue();
      // One more frame: the note is painted.
      const painted = await page.evaluate(() => new Promise((resolve) => window.requestAnimationFrame(() => resolve(performance.now()))));
      out.ms.push(Math.max(ms, painted));
      if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
        out.ok = false;
        out.error = 'the offline start was not served by the service worker';
      }
      await context.close();
      context = null;
    }
  } catch (error) {
    out.ok = false;
    out.error = String(error?.message ?? error);
  } finally {
    if (context) await context.close().catch(() => undefined);
    await server.stop();
    await rm(profile, { recursive: true, force: true });
  }
  return out;
}
