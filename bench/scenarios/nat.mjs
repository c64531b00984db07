/* global window, document, DataTransfer, ClipboardEvent -- used inside page.evaluate callbacks, which run in the browser */
/**
 * Scenario 15: direct versus relayed, in the NAT network of the NAT test (scripts/natNetwork.mjs:
 * Linux network namespaces, a public side with the Weft server and a real coturn, two homes
 * behind nftables NAT routers, a Chromium inside each home). One server configuration for both
 * paths — `STUN_URLS` + `TURN_URLS` + `TURN_SECRET`, the default ICE policy — and only the NATs
 * differ:
 *
 * - direct: both routers endpoint-independent ("cone"): ICE punches through both NATs;
 * - relayed: both routers address-and-port-dependent ("symmetric"): only a path through coturn.
 *
 * Each run starts two new browsers (new sockets, new NAT mappings) and measures, for each path in
 * turn (direct first, then relayed, so both see the same machine load):
 *
 * - join: Bob (home B) opens the share link of Alice's note (home A, a note of realistic size):
 *   navigation start → Bob's editor shows the whole note. The server's store-and-forward relay is
 *   blocked in both browsers (their requests to /relay/v2/ fail), so the note can only come over
 *   the peer connection: the number is signaling + ICE (+ a TURN allocation) + the sync.
 * - paste: a 1 MB plain-text paste on Alice (a `paste` ClipboardEvent through Lexical) → Bob's
 *   editor shows its last line.
 *
 * The path each run took is read from the status line ("Connected to 1 peer, direct" /
 * ", relayed"); a run on the wrong path is a correctness failure, not a number.
 */
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS } from '../../scripts/chromium.mjs';
import { coturnInstalled, startCoturn } from '../../scripts/coturn.mjs';
import { createNatNetwork, namespaceProblem, PUBLIC_SERVICE_ADDRESS, startPublicServer } from '../../scripts/natNetwork.mjs';
import { EDITOR, pasteText, shareLink } from './peers.mjs';

/** coturn's port inside the public namespace (ours alone: nothing else listens there). */
const TURN_PORT = 3478;
/** Bound on each wait: signaling + ICE + a 1 MB sync on a loaded 2-core box. */
const STEP_TIMEOUT_MS = 90_000;
const STATUS = '[role="status"][aria-label="Sync status"]';

export const PATHS = [
  { name: 'direct', nat: 'cone', status: 'Connected to 1 peer, direct' },
  { name: 'relayed', nat: 'symmetric', status: 'Connected to 1 peer, relayed' },
];

/** Why this scenario cannot run here (not root, no coturn…), or null. */
export const natBenchProblem = () => namespaceProblem() ?? (coturnInstalled() ? null : 'coturn is not installed (apt-get install coturn)');

/**
 * `runs` runs of both paths. `noteText`: the note Alice shares (lines become paragraphs);
 * `pasteLines` × ~76 bytes: the paste; `prose`: the paste's text. Returns `{ rows, runs }` with
 * one row per path and run (`{ path, run, joinMs, pasteMs, pasteBytes, status }`, or
 * `{ path, run, error }` for a run that failed), and `error` when the network, coturn or the
 * server could not be set up.
 */
export async function natScenario({ root, distDir, entry, runs, noteText, pasteLines, prose, log }) {
  const net = createNatNetwork();
  const rows = [];
  let coturn = null;
  let server = null;
  try {
    coturn = await startCoturn({ host: PUBLIC_SERVICE_ADDRESS, port: TURN_PORT, prefix: net.publicPrefix });
    const env = { STUN_URLS: `stun:${PUBLIC_SERVICE_ADDRESS}:${TURN_PORT}`, TURN_URLS: coturn.url, TURN_SECRET: coturn.secret };
    server = await startPublicServer(net, { entry, staticDir: distDir, cwd: root, env });
    for (let run = 1; run <= runs; run++) {
      for (const path of PATHS) {
        net.setNat('A', path.nat);
        net.setNat('B', path.nat);
        try {
          const row = await oneRun(net, server.url, path, { noteText, pasteLines, prose });
          rows.push({ path: path.name, run, ...row });
          log(`  run ${run}, ${path.name}: join ${fmt(row.joinMs)} ms, paste ${fmt(row.pasteMs)} ms (${row.status})`);
        } catch (error) {
          // One failed run is reported (a correctness failure) and the others still measured.
          const message = error instanceof Error ? error.message : String(error);
          rows.push({ path: path.name, run, error: message });
          log(`  run ${run}, ${path.name}: FAILED — ${message}`);
        }
      }
    }
    return { rows };
  } catch (error) {
    return { rows, error: `${error instanceof Error ? error.message : String(error)}${coturn ? `\ncoturn's last lines:\n${coturn.output().split('\n').slice(-15).join('\n')}` : ''}` };
  } finally {
    await server?.stop();
    await coturn?.stop();
    net.destroy();
  }
}

const fmt = (v) => (Number.isFinite(v) ? v.toFixed(0) : 'n/a');

/** Alice shares a note, Bob joins from its link, Alice pastes; both browsers closed at the end. */
async function oneRun(net, url, path, { noteText, pasteLines, prose }) {
  const browsers = [];
  try {
    const page = async (home) => {
      const browser = await chromium.launch({
        executablePath: net.chromiumIn(home),
        // An http: origin other than localhost is not a secure context; the test origin is treated as one.
        args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${url}`],
        headless: true,
        timeout: 30_000,
      });
      browsers.push(browser);
      const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
      // No store-and-forward relay: the note must come over the peer connection.
      await context.route(/\/relay\/v2\//, (route) => route.abort());
      return context.newPage();
    };
    const [alice, bob] = await Promise.all([page('A'), page('B')]);
    await alice.goto(`${url}/`);
    await alice.getByRole('button', { name: 'New note' }).click();
    await alice.locator(EDITOR).click();
    const want = await paste(alice, noteText);
    const link = await shareLink(alice);

    await bob.goto(link);
    const joinMs = await step('join', [alice, bob], bob
      .waitForFunction(
        ([sel, w]) => {
          const el = document.querySelector(sel);
          return el && el.childElementCount === w.paras && el.textContent.length === w.chars ? performance.now() : false;
        },
        [EDITOR, want],
        { polling: 'raf', timeout: STEP_TIMEOUT_MS },
      )
      .then((h) => h.jsonValue()));
    // Both ends name the same path once ICE has settled on it.
    for (const p of [alice, bob]) await p.locator(STATUS).filter({ hasText: /^Connected to 1 peer, / }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const statuses = [await alice.locator(STATUS).textContent(), await bob.locator(STATUS).textContent()];
    if (statuses.some((s) => s !== path.status)) throw new Error(`${path.name} run: expected "${path.status}" on both ends, got ${JSON.stringify(statuses)}`);

    // The 1 MB paste, on new lines after the end of Alice's note: its text starts with a line
    // break rather than an Enter pressed first (an Enter right after Control+End sometimes left
    // the caret in the paragraph before the new one, and the paste went there).
    const before = want.paras;
    await alice.locator(EDITOR).click();
    await caretAtEnd(alice);
    const text = `\n${pasteText(before, pasteLines, prose)}`;
    const lastLine = `${String(before + pasteLines - 1).padStart(6, '0')} `;
    const shown = bob
      .waitForFunction(
        ([sel, count, prefix]) => {
          const el = document.querySelector(sel);
          return el && el.childElementCount >= count && el.lastElementChild?.textContent.startsWith(prefix) ? performance.timeOrigin + performance.now() : false;
        },
        [EDITOR, before + pasteLines, lastLine],
        { polling: 'raf', timeout: STEP_TIMEOUT_MS },
      )
      .then((h) => h.jsonValue());
    const pastedAt = await alice.evaluate(
      ({ sel, text: t }) => {
        const data = new DataTransfer();
        data.setData('text/plain', t);
        const at = performance.timeOrigin + performance.now();
        document.querySelector(sel).dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
        return at;
      },
      { sel: EDITOR, text },
    );
    // Both processes read the same system clock (timeOrigin + now), so the times compare directly.
    const pasteMs = (await step('paste', [alice, bob], shown)) - pastedAt;
    return { joinMs, pasteMs, pasteBytes: Buffer.byteLength(text), noteChars: want.chars, status: statuses[1] };
  } finally {
    await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
  }
}

/**
 * Puts the caret in the last paragraph of `page`'s editor with Control+End, and waits until the
 * editor has taken it: the DOM selection is there, and the `selectionchange` it fired has been
 * handled (Lexical reads the selection on that event; a paste handled before it goes where the
 * click put the caret, mid-note — seen in 1 of 5 quick runs). Pressed again, a few times at most,
 * until the selection is there.
 */
async function caretAtEnd(page) {
  for (let attempt = 1; ; attempt++) {
    // Armed before the key: resolves on the next frame after the next selectionchange (bounded).
    const taken = page.evaluate(
      () =>
        new Promise((resolve) => {
          const bound = setTimeout(() => resolve(false), 5_000);
          document.addEventListener(
            'selectionchange',
            () => {
              clearTimeout(bound);
              window.requestAnimationFrame(() => resolve(true));
            },
            { once: true },
          );
        }),
    );
    await page.keyboard.press('Control+End');
    await taken;
    const there = await page.evaluate((sel) => {
      const anchor = window.getSelection()?.anchorNode;
      return anchor != null && document.querySelector(sel)?.lastElementChild?.contains(anchor) === true;
    }, EDITOR);
    if (there) return;
    if (attempt === 5) throw new Error('the caret did not reach the end of the note after 5 Control+End');
  }
}

/** `promise`, or an error naming the step and what both status lines said. */
async function step(name, pages, promise) {
  try {
    return await promise;
  } catch (error) {
    const statuses = await Promise.all(pages.map((p) => p.locator(STATUS).textContent({ timeout: 1_000 }).catch(() => '?')));
    const editors = await Promise.all(
      pages.map((p) =>
        p
          .evaluate((sel) => {
            const el = document.querySelector(sel);
            const anchor = window.getSelection()?.anchorNode;
            const at = anchor ? [...el.children].findIndex((child) => child.contains(anchor)) : -1;
            return `${el.childElementCount} paragraphs, the last "${el.lastElementChild?.textContent.slice(0, 12)}", caret in paragraph ${at}`;
          }, EDITOR)
          .catch(() => '?'),
      ),
    );
    throw new Error(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)} (status lines: ${JSON.stringify(statuses)}; editors: ${JSON.stringify(editors)})`, { cause: error });
  }
}

/** Pastes `text` at the caret of `page`'s editor; resolves with what the editor then holds. */
async function paste(page, text) {
  await page.evaluate(
    ({ sel, t }) => {
      const data = new DataTransfer();
      data.setData('text/plain', t);
      document.querySelector(sel).dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    },
    { sel: EDITOR, t: text },
  );
  const lastLine = text.split('\n').findLast((line) => line.trim() !== '') ?? '';
  await page.waitForFunction(([sel, tail]) => document.querySelector(sel)?.textContent.endsWith(tail), [EDITOR, lastLine.trimEnd()], { timeout: STEP_TIMEOUT_MS });
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    return { paras: el.childElementCount, chars: el.textContent.length };
  }, EDITOR);
}
