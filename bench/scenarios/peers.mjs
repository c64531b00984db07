/* global window, document, DataTransfer, ClipboardEvent, MutationObserver */
/**
 * Scenarios 3 and 5, on the app as built (`dist/` + `build/server/main.js`): peers are separate
 * Chromium *processes* on their own profiles (nothing shared: sync goes through our signaling
 * server and WebRTC on loopback), granted camera/microphone so WebRTC gathers host candidates.
 *
 * 3. Peer latency: a keystroke typed on A (trusted input) → the first DOM mutation in B's editor,
 *    one keystroke at a time (the next is typed once B changed), in a small note and then at the
 *    end of the large note left by the paste. Times are `performance.timeOrigin + now()` in each
 *    process — the same system clock, so A's keydown and B's mutation compare directly.
 * 5. Large paste: a ~1 MB plain-text paste on A (a `paste` ClipboardEvent through Lexical, as a
 *    browser does) → B's editor holds every pasted paragraph; connections must survive it.
 *    Initial sync: A imports a backup holding a note with the whole automerge-paper history (made
 *    by the bench harness through the real editor); a new peer C opens its share link; measured
 *    in C from navigation start (and from "connected") until its editor shows the whole note.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { startAppServer } from './coldStart.mjs';

const EDITOR = '[contenteditable="true"][aria-label="Note"]';
const PASTE_LINE = 'Weft paste benchmark line, the same text on every line of the paste.';

const syncStatus = (page) => page.getByRole('status', { name: 'Sync status' });
async function waitConnected(page, timeout = 30_000) {
  await syncStatus(page).filter({ hasText: /^Connected to 1 peer$/ }).waitFor({ timeout });
}

async function shareLink(page) {
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  const input = dialog.getByRole('textbox', { name: 'Share link' });
  await page.waitForFunction(() => /#\/share\//.test(document.querySelector('dialog input')?.value ?? ''));
  const link = await input.inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();
  return link;
}

/** Marks keydown times on the typing page, DOM mutation times of the editor on the receiving page. */
async function instrument(sender, receiver) {
  await sender.evaluate(() => {
    window.__keys = [];
    // Once per page: the scenario instruments the same page again for the large note.
    if (window.__keysListening) return;
    window.__keysListening = true;
    window.addEventListener('keydown', (e) => window.__keys.push(performance.timeOrigin + e.timeStamp), true);
  });
  await receiver.evaluate((sel) => {
    window.__muts = [];
    window.__mutObserver?.disconnect();
    window.__mutObserver = new MutationObserver(() => window.__muts.push(performance.timeOrigin + performance.now()));
    window.__mutObserver.observe(document.querySelector(sel), { subtree: true, childList: true, characterData: true });
  }, EDITOR);
}

async function keystrokeLatency(a, b, n) {
  await instrument(a, b);
  const out = [];
  const chars = 'abcdefghijklmnopqrstuvwxyz ';
  for (let i = 0; i < n; i++) {
    const before = await b.evaluate(() => window.__muts.length);
    await a.keyboard.type(chars[i % chars.length]);
    await b.waitForFunction((k) => window.__muts.length > k, before, { polling: 'raf', timeout: 10_000 });
    const [key, mut] = await Promise.all([a.evaluate((j) => window.__keys[j], i), b.evaluate((k) => window.__muts[k], before)]);
    out.push(mut - key);
  }
  return out;
}

/** With WEFT_PROFILE_PEERS=<dir>: CPU profiles of `pages` around `fn`, written as <dir>/weft-peer-<name>-<label>.cpuprofile (for DevTools). */
async function profiled(pages, label, fn) {
  const dir = process.env.WEFT_PROFILE_PEERS;
  if (!dir) return fn();
  const sessions = await Promise.all(
    Object.entries(pages).map(async ([name, page]) => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
      return [name, cdp];
    }),
  );
  try {
    return await fn();
  } finally {
    const { writeFileSync } = await import('node:fs');
    for (const [name, cdp] of sessions) writeFileSync(join(dir, `weft-peer-${name}-${label}.cpuprofile`), JSON.stringify((await cdp.send('Profiler.stop')).profile));
  }
}

const paragraphs = (page) => page.evaluate((sel) => document.querySelector(sel).childElementCount, EDITOR);

export async function peersScenario({ root, distDir, chromePath, args, keystrokes, pasteLines, backup, backupText }) {
  const server = await startAppServer(root, distDir);
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-peers-'));
  const contexts = [];
  const launch = async (name) => {
    const context = await chromium.launchPersistentContext(join(dir, name), {
      executablePath: chromePath,
      args,
      headless: true,
      permissions: ['camera', 'microphone'],
    });
    contexts.push(context);
    return context.pages()[0] ?? (await context.newPage());
  };
  const out = { ok: true, error: null };
  try {
    const a = await launch('a');
    const b = await launch('b');
    await a.goto(`${server.url}/`);
    await a.getByRole('button', { name: 'New note' }).click();
    await a.locator(EDITOR).click();
    await a.keyboard.type('Latency: ');
    const link = await shareLink(a);
    await a.locator(EDITOR).click();
    await a.keyboard.press('Control+End');
    await b.goto(link);
    await b.locator(EDITOR).waitFor();
    await Promise.all([waitConnected(a), waitConnected(b)]);
    await b.waitForFunction((sel) => document.querySelector(sel).textContent.startsWith('Latency:'), EDITOR);

    // 3, small note.
    out.latencySmall = await keystrokeLatency(a, b, keystrokes);

    // 5, 1 MB paste.
    const before = await paragraphs(b);
    const seen = b.waitForFunction(
      ([sel, want]) => {
        const el = document.querySelector(sel);
        return el.childElementCount >= want && el.lastElementChild.textContent.startsWith(String(want - 1).padStart(6, '0'))
          ? performance.timeOrigin + performance.now()
          : false;
      },
      [EDITOR, before + pasteLines],
      { polling: 'raf', timeout: 60_000 },
    );
    await a.keyboard.press('Enter');
    const [pasted, arrived] = await profiled({ a, b }, 'paste', async () => {
      const pasted = await a.evaluate(
        ({ sel, line, count, first }) => {
          const lines = [];
          for (let i = 0; i < count; i++) lines.push(`${String(first + i).padStart(6, '0')} ${line}`);
          const text = lines.join('\n');
          const data = new DataTransfer();
          data.setData('text/plain', text);
          const t = performance.timeOrigin + performance.now();
          document.querySelector(sel).dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
          return { t, bytes: new TextEncoder().encode(text).byteLength };
        },
        { sel: EDITOR, line: PASTE_LINE, count: pasteLines, first: before },
      );
      return [pasted, await (await seen).jsonValue()];
    });
    out.paste = { bytes: pasted.bytes, ms: arrived - pasted.t };
    out.pasteStillConnected = (await syncStatus(a).textContent()) === 'Connected to 1 peer' && (await syncStatus(b).textContent()) === 'Connected to 1 peer';
    if (!out.pasteStillConnected) {
      out.ok = false;
      out.error = 'a peer lost its connection during the large paste';
    }

    // 3, large note: type at the end of the pasted megabyte.
    await a.keyboard.press('Control+End');
    out.largeChars = await a.evaluate((sel) => document.querySelector(sel).textContent.length, EDITOR);
    out.latencyLarge = await profiled({ a, b }, 'large-typing', () => keystrokeLatency(a, b, keystrokes));

    // 5, initial sync of a new peer to a note with the whole automerge-paper history.
    if (backup) {
      await a.goto(`${server.url}/`);
      await a.locator('input[type="file"]').setInputFiles({ name: 'weft-backup.json', mimeType: 'application/json', buffer: Buffer.from(backup) });
      const notes = a.getByRole('navigation', { name: 'Notes' });
      await notes.getByRole('link', { name: /bench/ }).first().click({ timeout: 30_000 });
      // The note's text, as the DOM holds it: one element per line, no newlines.
      const want = { paras: backupText.split('\n').length, chars: backupText.replace(/\n/g, '').length };
      await a.waitForFunction(
        ([sel, w]) => document.querySelector(sel)?.childElementCount === w.paras && document.querySelector(sel).textContent.length === w.chars,
        [EDITOR, want],
        { timeout: 30_000 },
      );
      const historyLink = await shareLink(a);
      const c = await launch('c');
      await c.goto('about:blank');
      const navStart = Date.now();
      await c.goto(historyLink);
      const [connectedAt, syncedAt] = await Promise.all([
        c.waitForFunction(() => /^Connected to/.test(document.querySelector('[role="status"][aria-label="Sync status"]')?.textContent ?? '') && performance.now(), null, { polling: 'raf', timeout: 60_000 }).then((h) => h.jsonValue()),
        c.waitForFunction(
          ([sel, w]) => {
            const el = document.querySelector(sel);
            return el && el.childElementCount === w.paras && el.textContent.length === w.chars ? performance.now() : false;
          },
          [EDITOR, want],
          { polling: 'raf', timeout: 60_000 },
        ).then((h) => h.jsonValue()),
      ]);
      out.initialSync = { paragraphs: want.paras, chars: want.chars, navToSyncedMs: syncedAt, connectedToSyncedMs: syncedAt - connectedAt, wallMs: Date.now() - navStart };
    }
  } catch (error) {
    out.ok = false;
    out.error = String(error?.message ?? error).split('\n')[0];
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await server.stop();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  return out;
}
